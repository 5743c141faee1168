using BenchmarkDotNet.Attributes;
using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;

namespace SearchRec.Bench.Deep;

/// <summary>Query tower (ORT) and 200-candidate scoring on a small trained model (default sizes, 2,000 synthetic titles).</summary>
[MemoryDiagnoser]
public class DeepScoringBenchmarks
{
    private string _dir = "";
    private DeepScorer _scorer = null!;
    private float[] _query = [];
    private string[] _candidates = [];
    private readonly float[] _scores = new float[200];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "searchrec-bench-deep-" + Guid.NewGuid().ToString("N")[..8]);
        var rng = new Random(1);
        const string chars = "红色连衣裙夏季女装蓝牙耳机无线降噪不锈钢保温杯大容量儿童运动鞋透气机械键盘青轴游戏纯棉短袖电饭煲智能预约";
        var products = Enumerable.Range(1, 2000).Select(i =>
            Product.Of(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string(Enumerable.Range(0, 20 + rng.Next(20)).Select(_ => chars[rng.Next(chars.Length)]).ToArray()))).ToList();
        DeepTraining.TrainText(products, [], _dir, new DeepTrainingOptions { TextEpochs = 1 });
        _scorer = DeepScorer.Open(_dir);
        _query = _scorer.EncodeQuery("蓝牙耳机");
        _candidates = Enumerable.Range(0, 200).Select(_ => products[rng.Next(products.Count)].Id).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public float[] QueryTower() => _scorer.EncodeQuery("红色连衣裙 夏季");

    [Benchmark]
    public float Score200()
    {
        _scorer.Score(_query, _candidates, _scores);
        return _scores[0];
    }
}
