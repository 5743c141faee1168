using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SearchRec.Core;
using SearchRec.Deep;
using SearchRec.Deep.Training;
using SearchRec.Ranking.Features;

namespace SearchRec.Bench.Ranking;

/// <summary>
/// What checking a <c>lambdamart-towers</c> ranker's towers costs at load: <see cref="TowerSet.Fingerprint"/> hashes a
/// tower's item vectors file (SHA-256, streamed), once per tower per service load or reload. The tower here is a tiny
/// trained one whose vectors file is replaced by <see cref="Items"/> random rows of 128 floats (the T3 tower's width),
/// so the file is the size a catalog of that many products gives.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class TowerFingerprintBenchmarks
{
    private const int Dim = 128;
    private string _dir = "";

    /// <summary>Products in the catalog (rows of the vectors file).</summary>
    [Params(100_000, 1_000_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "searchrec-bench-fingerprint-" + Items);
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        DeepTraining.TrainText([Product.Of("1", "华为 手机"), Product.Of("2", "碎花 连衣裙")], [], _dir,
            new DeepTrainingOptions { TextEpochs = 1, Threads = 1, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8 });
        var text = DeepModelManifest.Read(_dir).Text!;
        var rng = new Random(1);
        var row = new byte[Dim * sizeof(float)];
        using var file = File.Create(Path.Combine(_dir, text.ItemVectors + ".bin"));
        for (var i = 0; i < Items; i++)
        {
            rng.NextBytes(row);
            file.Write(row);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>One tower's fingerprint (a three-tower ranker pays it three times per load).</summary>
    [Benchmark]
    public string Fingerprint() => TowerSet.Fingerprint(_dir);
}
