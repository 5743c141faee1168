using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Core.Events;
using SearchRec.Deep;
using SearchRec.Deep.Scoring;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec bench deep</c>: query-tower latency, scoring 200 candidates, exact dense recall, user-tower latency
/// (p50/p99 over single requests on one thread), the training times recorded at training, and the model files' sizes.
/// <c>--ensemble DIR…</c> times the text measurements on the mean of several towers' cosines instead. A folder with a
/// hubness correction (<c>searchrec hubness</c>) is timed with it, and the first line says so.
/// </summary>
public sealed class BenchDeepCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var models = new Option<string>("--models") { Description = "Models directory written by train-deep.", Required = true };
        var queries = new Option<string?>("--queries") { Description = "Queries (qid<TAB>query) to time; default: spans of stored item texts." };
        var iterations = new Option<int>("--iterations") { Description = "Timed requests per measurement.", DefaultValueFactory = _ => 5000 };
        var ensemble = new Option<string[]>("--ensemble")
        {
            Description = "Further models directories whose text towers join --models' as one ensemble (mean cosine, TowerEnsemble); default none.",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("deep", "Deep model speed: query tower, scoring 200 candidates, dense recall, user tower, model sizes.");
        cmd.Options.Add(models); cmd.Options.Add(queries); cmd.Options.Add(iterations); cmd.Options.Add(ensemble);
        cmd.SetAction(pr =>
        {
            try { return Run(pr.GetValue(models)!, pr.GetValue(queries), Math.Max(100, pr.GetValue(iterations)), pr.GetValue(ensemble) ?? []); }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                Console.Error.WriteLine($"bench deep: {CliErrors.Message(e)}");
                return 2;
            }
        });
        return cmd;
    }

    private static int Run(string dir, string? queryFile, int iterations, string[] ensemble)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var manifest = DeepModelManifest.Read(dir);
        foreach (var f in Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal))
            Console.WriteLine($"file {Path.GetFileName(f)}: {new FileInfo(f).Length / 1048576.0:F2} MiB");
        if (manifest.Text is { } t) Console.WriteLine($"training time, text tower: {t.TrainSeconds:F1} s");
        if (manifest.Behaviour is { } b) Console.WriteLine($"training time, behaviour towers: {b.TrainSeconds:F1} s");
        var rng = new Random(1);
        if (manifest.Text is not null)
        {
            var first = DeepScorer.Open(dir);
            var itemCount = first.ItemCount;
            IDenseScorer scorer = first;
            if (ensemble.Length > 0)
            {
                // Named by folder: a refusal (a mix of corrected and uncorrected members) said 'member 2', not which folder.
                var all = TowerEnsemble.Create([first, .. ensemble.Select(d => DeepScorer.Open(d))], [dir, .. ensemble]);
                (scorer, itemCount) = (all, all.ItemCount);
                Console.WriteLine($"text: ensemble of {all.Count} towers (mean cosine), {all.Dimension} floats per item");
            }
            using var owner = (IDisposable)scorer;
            Console.WriteLine($"text: {DenseModels.Describe(scorer)}");
            var texts = File.ReadLines(Path.Combine(dir, manifest.Text.ItemVectors + ".tsv")).Select(l => (Id: l[..l.IndexOf('\t')], Text: l[(l.IndexOf('\t') + 1)..])).ToArray();
            var qs = queryFile is not null
                ? TrainDeepCommand.ReadQueries(queryFile).Values.ToArray()
                : Enumerable.Range(0, 500).Select(_ => { var s = texts[rng.Next(texts.Length)].Text; var len = Math.Min(s.Length, 2 + rng.Next(6)); return s.Substring(rng.Next(s.Length - len + 1), len); }).ToArray();
            var v = new float[scorer.Dimension];
            Report("query tower (ORT, 1 query)", iterations, i => scorer.EncodeQuery(qs[i % qs.Length], v));
            var candidates = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, 200).Select(_ => texts[rng.Next(texts.Length)].Id).ToArray()).ToArray();
            var scores = new float[200];
            scorer.EncodeQuery(qs[0], v);
            Report("score 200 candidates (gather + dot)", iterations * 4, i => scorer.Score(v, candidates[i % candidates.Length], scores));
            Report("query tower + score 200", iterations, i => { scorer.EncodeQuery(qs[i % qs.Length], v); scorer.Score(v, candidates[i % candidates.Length], scores); });
            Report($"dense recall top 100 of {itemCount:N0} (exact)", Math.Max(100, iterations / 5), i => scorer.Nearest(qs[i % qs.Length], 100));
            // The term-level score (deep round ten): every title word is encoded once and cached, so warm the cache
            // over the catalog first (timed and reported), then time requests.
            var terms = new TermMatchScorer(first);
            var warm = System.Diagnostics.Stopwatch.StartNew();
            var itemIds = texts.Select(t => t.Id).ToArray();
            for (var i = 0; i < itemIds.Length; i += 200) terms.Score(qs[0], itemIds[i..Math.Min(itemIds.Length, i + 200)]);
            Console.WriteLine($"term score: title words of {itemIds.Length:N0} items encoded and cached in {warm.Elapsed.TotalSeconds:F1} s");
            Report("term score, 200 candidates (query words encoded, cached title words)", iterations, i => terms.Score(qs[i % qs.Length], candidates[i % candidates.Length]));
        }
        if (manifest.Behaviour is not null)
        {
            using var scorer = BehaviourScorer.Open(dir);
            var history = Enumerable.Range(0, 50).Select(i => new UserEvent(1, rng.Next(100_000), rng.Next(1000), Behavior.View, 1000 + i)).ToArray();
            var v = new float[scorer.Dimension];
            Report("user tower (ORT, 50 events)", iterations, _ => scorer.EncodeUser(history, v));
        }
        Console.WriteLine("figures are single-threaded request latencies on this machine; under contention they are preliminary.");
        return 0;
    }

    private static void Report(string name, int n, Action<int> action)
    {
        for (var i = 0; i < Math.Min(200, n); i++) action(i);
        var times = new double[n];
        for (var i = 0; i < n; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            action(i);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(times);
        string P(double q) => times[Math.Min(n - 1, (int)(q * n))].ToString("F3", CultureInfo.InvariantCulture);
        Console.WriteLine($"{name}: p50 {P(0.50)} ms  p90 {P(0.90)} ms  p99 {P(0.99)} ms  ({n:N0} runs)");
    }
}
