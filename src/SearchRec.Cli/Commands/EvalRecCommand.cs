using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SearchRec.Collab.Models;
using SearchRec.Evaluation.Recommendation;
using SearchRec.Evaluation.Reports;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec eval-rec</c>: offline evaluation of a collaborative model with a time cut and held-out users.</summary>
public sealed class EvalRecCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s), or a service's event store (events.db); may be repeated.", Required = true, AllowMultipleArgumentsPerToken = true };
        var cut = new Option<string>("--cut") { Description = "Cut time: Unix seconds or ISO 8601 (Taobao: 2017-12-03T00:00:00+08:00).", Required = true };
        var users = new Option<string>("--test-users-from") { Description = "File whose lines start with a test user id (split-users output or an events CSV).", Required = true };
        var model = new Option<string[]>("--model") { Description = $"Model name(s): {string.Join(", ", CollabModels.ScorerNames)}, {DeepRecEval.Name} (the deep behaviour tower, trained on the pre-cut events), {FusedRecEval.Name} (the next-item ranker given by --ranker), or 'all' (every collaborative model, and {FusedRecEval.Name} when --ranker is given).", Required = true, AllowMultipleArgumentsPerToken = true };
        var ks = new Option<string>("--k") { Description = "Cut-offs, comma-separated.", DefaultValueFactory = _ => "10,20" };
        var json = new Option<bool>("--json") { Description = "End with one JSON line per model." };
        var blend = new Option<string?>("--blend-weights") { Description = "For --model blend: its weights, repeat,item-item,als,category,popularity (default 1,0.05,0.9,0.01,0.01, chosen on a validation cut of 2017-12-02 over the non-test users)." };
        var report = new Option<string?>("--report") { Description = "Also write an HTML report: each model's metrics with 95% bootstrap intervals over users, paired tests against repeat (or the first model) and a chart per metric." };
        var ranker = new Option<string?>("--ranker") { Description = $"For --model {FusedRecEval.Name}: a next-item ranker saved by `train-ranker --events … --cut …`; the models it reads are retrained on the pre-cut events." };
        var cmd = new Command("eval-rec", "Evaluate recommendation models: HR@K, Recall@K, NDCG@K and coverage on held-out users after a time cut.");
        foreach (var o in new Option[] { events, cut, users, model, ranker, ks, json, blend, report }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                var kList = pr.GetValue(ks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k is > 0 and <= 1_000 ? k : throw new FormatException($"--k: '{s}' is not a whole number from 1 to 1,000.")).ToArray();
                var names = pr.GetValue(model)!.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
                var rankerDir = pr.GetValue(ranker);
                if (names.Contains("all")) names = [.. CollabModels.ScorerNames, .. rankerDir is null ? Array.Empty<string>() : [FusedRecEval.Name]];
                foreach (var n in names)
                    if (!CollabModels.ScorerNames.Contains(n) && n != DeepRecEval.Name && n != FusedRecEval.Name)
                        throw new ArgumentException($"--model: unknown model '{n}'; expected {string.Join(", ", CollabModels.ScorerNames)}, {DeepRecEval.Name}, {FusedRecEval.Name} or all.");
                if (names.Contains(FusedRecEval.Name) && rankerDir is null) throw new ArgumentException($"--model {FusedRecEval.Name} needs --ranker DIR (a next-item ranker from `train-ranker --events … --cut …`).");
                if (rankerDir is not null && !names.Contains(FusedRecEval.Name)) throw new ArgumentException($"--ranker is read only by --model {FusedRecEval.Name} (or all).");
                // Read before training, not after it: a bad list, or one no evaluated model reads, was found only once the models were trained, or never.
                // Whether any model reads the weights comes first: a short list beside --model repeat was refused for its length, not for being ignored.
                if (pr.GetValue(blend) is not null && !names.Contains("blend")) throw new ArgumentException("--blend-weights is read only by --model blend (or all).");
                var blendWeights = pr.GetValue(blend) is string bw ? ParseBlendWeights(bw) : null;
                // Before the evaluation, not once it is done: a folder given as the report failed only at the end.
                if (pr.GetValue(report) is { } reportFile) OutputFiles.Check(reportFile, "--report");
                long cutTs = EventFiles.ParseTime(pr.GetValue(cut)!);
                var fused = rankerDir is null ? default : FusedRecEval.Load(rankerDir, cutTs);
                var usersFile = pr.GetValue(users)!;
                var testUsers = EventFiles.ReadUsers(usersFile);
                var all = EventFiles.Read(pr.GetValue(events)!);
                var split = EventFiles.Split(all, cutTs, testUsers, usersFile);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var models = CollabModels.Train(split.Train, new CollabOptions { SkipAls = !names.Contains("als") && !names.Contains("blend") && !names.Contains(FusedRecEval.Name) },
                    new SyncProgress<TrainProgress>(p => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {p.Stage}: {p.Message}")));
                var results = new List<RecEvalResult>();
                foreach (var name in names)
                    results.Add(name switch
                    {
                        DeepRecEval.Name => DeepRecEval.Evaluate(split, kList, models.ItemCount, m => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] deep: {m}")),
                        FusedRecEval.Name => FusedRecEval.Evaluate(split, models, fused.Model, fused.Info, kList, m => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] fused: {m}")),
                        "blend" when blendWeights is not null => BlendWith(models, blendWeights, split, kList),
                        _ => RecEvaluator.Evaluate(models, split, name, kList),
                    });
                var cols = kList.SelectMany(k => new[] { $"hr@{k}", $"recall@{k}", $"ndcg@{k}", $"coverage@{k}" }).ToArray();
                Console.WriteLine($"{"model",-12} {"users",6} " + string.Join(" ", cols.Select(c => $"{c,11}")));
                foreach (var r in results)
                    Console.WriteLine($"{r.Model,-12} {r.Users,6} " + string.Join(" ", cols.Select(c => $"{r.Metrics[c],11:F4}")));
                if (pr.GetValue(report) is string reportPath)
                {
                    var reference = results.Any(r => r.Model == "repeat") ? "repeat" : results[0].Model;
                    var metricNames = kList.SelectMany(k => new[] { $"hr@{k}", $"recall@{k}", $"ndcg@{k}" }).ToArray();
                    RecReport.Write(reportPath, "SearchRec recommendation evaluation", [
                        string.Create(CultureInfo.InvariantCulture, $"Events: {string.Join(", ", pr.GetValue(events)!)}; cut {DateTimeOffset.FromUnixTimeSeconds(cutTs):yyyy-MM-dd HH:mm}Z; {split.Train.Count:N0} training events; {split.Test.Count} test users with events after the cut (from {pr.GetValue(users)}); truth: every item a test user touches after the cut."),
                    ], results.Select(r => new RecModelRun(r.Model, r.PerUser) { Overall = kList.ToDictionary(k => $"coverage@{k}", k => r.Metrics[$"coverage@{k}"]) }).ToList(), reference, metricNames);
                    Console.Error.WriteLine($"report: {reportPath}");
                }
                if (pr.GetValue(json))
                    foreach (var r in results)
                        Console.WriteLine(JsonSerializer.Serialize(new { model = r.Model, users = r.Users, metrics = r.Metrics }));
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine($"eval-rec: {CliErrors.Message(ex)}");
                return 2;
            }
        });
        return cmd;
    }

    private static float[] ParseBlendWeights(string text)
    {
        var w = text.Split(',').Select(x => float.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"--blend-weights: '{x}' is not a number.")).ToArray();
        if (w.Length != 5) throw new FormatException("--blend-weights needs 5 numbers: repeat,item-item,als,category,popularity.");
        if (w.Any(x => !(x >= 0) || float.IsInfinity(x)) || w.Sum() <= 0) throw new FormatException("--blend-weights must be finite numbers of at least 0, and at least one above 0.");
        return w;
    }

    // The blend under the given weights, and only the blend: the next-item ranker (fused) reads the blend's scores as
    // a candidate source and a column, and learnt them under the trained weights.
    private static RecEvalResult BlendWith(CollabModels models, float[] w, RecSplit split, IReadOnlyList<int> ks)
    {
        var trained = models.TrainedOptions;
        models.SetBlendWeights(w[0], w[1], w[2], w[3], w[4]);
        try { return RecEvaluator.Evaluate(models, split, "blend", ks); }
        finally { models.SetBlendWeights(trained.BlendRepeat, trained.BlendItemItem, trained.BlendAls, trained.BlendCategory, trained.BlendPopularity); }
    }
}
