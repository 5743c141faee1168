using System.CommandLine;
using System.Globalization;
using SearchRec.Index;
using SearchRec.Ranking;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.Models;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec search</c>: recall → features → ranker → top k for one query, with per-stage timings and optional explanations.</summary>
public sealed class SearchCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var index = new Option<string>("--index") { Description = "Index directory.", Required = true };
        var models = new Option<string?>("--models") { Description = "Folder holding ranker.json (from train-ranker); left out, the BM25 recall order is shown." };
        var user = new Option<long?>("--user") { Description = "The user searching (personal features); anonymous when left out." };
        var k = new Option<int>("--k") { Description = "Results to show.", DefaultValueFactory = _ => 10 };
        var window = new Option<int>("--window") { Description = "Recall window re-ranked.", DefaultValueFactory = _ => 200 };
        // One file per --events, so the query after it is not read as a second file.
        var events = new Option<string[]>("--events") { Description = "Event CSV file, or a service's event store (events.db), holding users' histories (personal features); repeat the option for more files." };
        var featureLog = new Option<string?>("--feature-log") { Description = "Append the ranked candidates' features to this JSON Lines log (for train-ranker --feature-log)." };
        var requestId = new Option<string?>("--request-id") { Description = "Request id written to the feature log (a new one when left out)." };
        var explain = new Option<bool>("--explain") { Description = "Show each result's feature values and contributions." };
        var repeat = new Option<int>("--repeat") { Description = "Then run the query this many more times and print the median time per stage (warm; the first request includes start-up costs).", DefaultValueFactory = _ => 0 };
        var query = new Argument<string>("query") { Description = "The query text." };
        var cmd = new Command("search", "Search the index and re-rank with a trained ranker (BM25 alone without --models).");
        foreach (var o in new Option[] { index, models, user, k, window, explain, events, featureLog, requestId, repeat }) cmd.Options.Add(o);
        cmd.Arguments.Add(query);
        cmd.SetAction(pr =>
        {
            try
            {
                var repeats = pr.GetValue(repeat);
                if (repeats is < 0 or > 1_000_000) throw new ArgumentException($"--repeat must be between 0 and 1,000,000 (was {repeats}).");
                if (pr.GetValue(k) is < 1 or > 1_000) throw new ArgumentException($"--k must be between 1 and 1,000 (was {pr.GetValue(k)}).");
                if (pr.GetValue(window) is < 1 or > 10_000) throw new ArgumentException($"--window must be between 1 and 10,000 (was {pr.GetValue(window)}).");
                if (repeats > 0 && pr.GetValue(featureLog) is not null) throw new ArgumentException("--repeat would log every repetition: leave out --feature-log.");
                // Alone it was ignored: the id went to no log.
                if (pr.GetValue(requestId) is not null && pr.GetValue(featureLog) is null)
                    throw new ArgumentException("--request-id needs --feature-log (the log the id is written to).");
                // A folder given as the log failed when the logger opened it, as "Access to the path is denied".
                if (pr.GetValue(featureLog) is string logFile) OutputFiles.Check(logFile, "--feature-log");
                if (pr.GetValue(models) is null)
                {
                    // Without a ranker only recall runs: refuse what needs one rather than ignore it.
                    string? needsRanker = pr.GetValue(explain) ? "--explain" : pr.GetValue(user) is not null ? "--user"
                        : pr.GetValue(events) is { Length: > 0 } ? "--events" : pr.GetValue(featureLog) is not null ? "--feature-log"
                        : pr.GetResult(window) is { Implicit: false } ? "--window" : null;
                    if (needsRanker is not null) throw new ArgumentException($"{needsRanker} needs a ranker: give --models DIR (from train-ranker).");
                    using var bm25Index = ProductIndex.Open(pr.GetValue(index)!);
                    return Bm25Only(bm25Index, pr.GetValue(query)!, pr.GetValue(k), repeats);
                }
                // Without a history or a log to record the user in, the results were the anonymous ones, unsaid.
                if (pr.GetValue(user) is not null && pr.GetValue(events) is not { Length: > 0 } && pr.GetValue(featureLog) is null)
                    throw new ArgumentException("--user needs --events (the user's history, which the personal features read) or --feature-log (which records the user).");
                using var idx = ProductIndex.Open(pr.GetValue(index)!);
                var dir = pr.GetValue(models)!;
                var rankerDir = ModelLocations.Ranker(dir) ?? dir;
                // The ranker may be found in dir/ranker: say so, so the wrong one is not used unseen.
                if (Path.GetFullPath(rankerDir) != Path.GetFullPath(dir)) Console.Error.WriteLine($"ranker: {rankerDir} (found from --models {dir})");
                var saved = RankerStore.Read(rankerDir);
                // Only these columns read a history (and item activity): to any other ranker the events were read for nothing.
                if (pr.GetValue(events) is { Length: > 0 } && saved.Schema.IndexOf("cf_item_item") < 0 && saved.Schema.IndexOf("deep_user_item") < 0)
                    throw new ArgumentException($"--events is read only by a ranker with collaborative or behaviour-tower features, and the one in {rankerDir} has neither: leave out --events (its results are the same for every user)");
                if (RankerNotes.Window(dir, pr.GetValue(window)) is { } note) Console.Error.WriteLine(note);
                // Products added or retitled since train-deep (index --update) get vectors from the tower, as the service's do.
                // The prior may come from dir/prior or a sibling prior folder (another experiment's): say which, as for the ranker.
                if (saved.Schema.IndexOf("prior_hits") >= 0 && ModelLocations.Prior(dir) is { } priorFile && Path.GetDirectoryName(priorFile) != Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar))
                    Console.Error.WriteLine($"prior: {priorFile} (found from --models {dir})");
                var sources = ModelLocations.LoadSources(dir, saved, idx.GetProduct, new SearchRec.Deep.Scoring.DeepScorerOptions().Covering(() => idx.Products().Select(p => KeyValuePair.Create(p.Id, p.Title))));
                var all = pr.GetValue(events) is { Length: > 0 } files ? UserHistories.ReadCsv(files) : null;
                var histories = all is null ? null : new UserHistories(all);
                if (all is not null) // item recency: as of the newest event given
                    sources = new FeatureSources { Collab = sources.Collab, Products = sources.Products, DeepText = sources.DeepText, DeepTowers = sources.DeepTowers, DeepBehaviour = sources.DeepBehaviour, TitleStats = sources.TitleStats, Prior = sources.Prior, Activity = ItemActivity.Build(all) };
                var extractor = StandardFeatures.ForSchema(saved.Schema, sources);
                using var logger = pr.GetValue(featureLog) is string logPath ? new JsonlFeatureLogger(logPath) : null;
                var pipeline = new SearchPipeline(idx, new ChineseTokenizer(), extractor, saved,
                    new SearchPipelineOptions { RecallWindow = pr.GetValue(window), TopK = pr.GetValue(k) }, logger,
                    history: histories is null ? null : u => histories.History(u));
                var r = pipeline.Search(new SearchRequest(pr.GetValue(query)!) { UserId = pr.GetValue(user), Explain = pr.GetValue(explain), RequestId = pr.GetValue(requestId) });
                if (logger is not null) Console.Error.WriteLine($"request {r.RequestId}: features logged to {pr.GetValue(featureLog)}");
                if (r.Notice is not null) Console.Error.WriteLine(r.Notice);
                foreach (var hit in r.Hits)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{hit.Rank + 1,3}. {hit.Product.Id,-10} {hit.Score,8:F4}  (recall #{hit.Recall.Rank + 1}, bm25 {hit.Recall.Score:F2})  {hit.Product.Title}"));
                    if (hit.Explanation is null) continue;
                    foreach (var c in hit.Explanation.Take(8))
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       {c.Feature,-22} value {ExplainText.Value(c.Value, "F4"),9}  contribution {c.Contribution,+8:F4}"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       (other features and bias {hit.Unexplained + hit.Explanation.Skip(8).Sum(c => c.Contribution):F4})"));
                }
                var t = r.Timings;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Recalled} recalled; {t.TotalMs:F2} ms = recall {t.RecallMs:F2} + fetch {t.FetchMs:F2} + features {t.FeaturesMs:F2} + {saved.Kind} {t.ScoreMs:F2} + top-k {t.TopKMs:F2}"));
                if (repeats > 0)
                {
                    var runs = new StageTimings[repeats];
                    var again = new SearchRequest(pr.GetValue(query)!) { UserId = pr.GetValue(user) };
                    for (var i = 0; i < repeats; i++) runs[i] = pipeline.Search(again).Timings;
                    double Median(Func<StageTimings, double> f) => MedianOf(runs.Select(f));
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"median of {repeats} more: {Median(x => x.TotalMs):F2} ms = recall {Median(x => x.RecallMs):F2} + fetch {Median(x => x.FetchMs):F2} + features {Median(x => x.FeaturesMs):F2} + {saved.Kind} {Median(x => x.ScoreMs):F2} + top-k {Median(x => x.TopKMs):F2}"));
                }
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine($"search: {CliErrors.Message(ex)}");
                return 2;
            }
        });
        return cmd;
    }

    private static int Bm25Only(ProductIndex idx, string query, int k, int repeats)
    {
        var request = new RecallRequest(query) { TopN = k };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var hits = idx.Recall(request);
        double recallMs = sw.Elapsed.TotalMilliseconds;
        foreach (var hit in hits)
        {
            var title = idx.GetProduct(hit.ProductId)?.Title ?? "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{hit.Rank + 1,3}. {hit.ProductId,-10} {hit.Score,8:F4}  (bm25)  {title}"));
        }
        if (hits.Count == 0) Console.Error.WriteLine($"No product matched \"{query}\".");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{hits.Count} shown; recall {recallMs:F2} ms (BM25 order: no --models given)"));
        if (repeats > 0)
        {
            var ms = new double[repeats];
            for (int i = 0; i < repeats; i++) { sw.Restart(); idx.Recall(request); ms[i] = sw.Elapsed.TotalMilliseconds; }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median of {repeats} more: recall {MedianOf(ms):F2} ms"));
        }
        return 0;
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
