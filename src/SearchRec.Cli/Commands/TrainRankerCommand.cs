using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Catalog;
using SearchRec.Deep.Scoring;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Recommendation;
using SearchRec.Ranking.NextItem;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Text;
using ModelCard = SearchRec.Ranking.Models.ModelCard;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec train-ranker</c>: builds learning-to-rank data from judged queries (recall window → features →
/// qrels labels), cross-validates the three combiners against the single rankers by query, then trains the chosen
/// combiner on all queries and saves it with a model card.
/// </summary>
public sealed class TrainRankerCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var catalog = new Option<string[]>("--catalog") { Description = "Catalog file(s) (TSV id<TAB>title or JSON Lines).", AllowMultipleArgumentsPerToken = true };
        var queries = new Option<string?>("--queries") { Description = "Queries TSV: qid<TAB>query." };
        var qrels = new Option<string?>("--qrels") { Description = "TREC qrels: qid 0 docid grade (graded labels 0/1/2... supported)." };
        var cut = new Option<long?>("--cut") { Description = "Next-item mode (no catalog): Unix time of the eval-rec cut (Taobao 1512230400); trains on behaviour after an inner cut one day earlier." };
        var testUsers = new Option<string?>("--test-users-from") { Description = "Next-item mode: file whose lines start with a test user id (split-users output)." };
        var deepDir = new Option<string?>("--deep") { Description = "A deep model folder (train-deep) whose query–item score becomes a feature; search finds it again as deep/ beside the ranker." };
        var featureLog = new Option<string[]>("--feature-log") { Description = "Traffic mode: feature log file(s) written by the search pipeline (JSON Lines).", AllowMultipleArgumentsPerToken = true };
        var labelEvents = new Option<string[]>("--labels-from-events") { Description = "Traffic mode: event CSV file(s) whose later behaviour labels the logged candidates (same user and item, within --join-minutes).", AllowMultipleArgumentsPerToken = true };
        var joinMinutes = new Option<int>("--join-minutes") { Description = "Traffic mode: how long after a request an event still labels it.", DefaultValueFactory = _ => 30 };
        var perSource = new Option<int>("--per-source") { Description = "Next-item mode: candidates taken from each collaborative source.", DefaultValueFactory = _ => 50 };
        var queryUsers = new Option<string?>("--query-users") { Description = "qid<TAB>user TSV for personalised sets." };
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s) for collaborative features (used when the collab models are available).", AllowMultipleArgumentsPerToken = true };
        var combiner = new Option<string>("--combiner") { Description = "lambdamart, linear or weighted.", DefaultValueFactory = _ => "lambdamart" };
        var models = new Option<string>("--models") { Description = "Folder to save ranker.json and the model card in.", DefaultValueFactory = _ => "models/ranker" };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds by query (0 skips cross-validation).", DefaultValueFactory = _ => 5 };
        var window = new Option<int>("--window") { Description = "Recall window re-ranked per query.", DefaultValueFactory = _ => 200 };
        var engine = new Option<string>("--engine") { Description = "LambdaMART trees from fasttree or lightgbm.", DefaultValueFactory = _ => "fasttree" };
        var trees = new Option<int>("--trees") { Description = "LambdaMART trees.", DefaultValueFactory = _ => 300 };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree.", DefaultValueFactory = _ => 16 };
        var lr = new Option<double>("--learning-rate") { Description = "LambdaMART learning rate.", DefaultValueFactory = _ => 0.05 };
        var minLeaf = new Option<int>("--min-leaf") { Description = "Minimum rows per leaf.", DefaultValueFactory = _ => 20 };
        var saveIndex = new Option<string?>("--save-index") { Description = "Also keep the index built from the catalog in this directory (for `searchrec search`)." };
        var cmd = new Command("train-ranker", "Train the re-ranker (LambdaMART, linear stacking or weighted average) on judged queries, cross-validated by query.");
        foreach (var o in new Option[] { catalog, queries, qrels, queryUsers, events, combiner, models, folds, window, engine, trees, leaves, lr, minLeaf, saveIndex, cut, testUsers, perSource, featureLog, labelEvents, joinMinutes, deepDir }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                var options = new RankerTrainingOptions
                {
                    Kind = RankerTrainingOptions.ParseKind(pr.GetValue(combiner)!),
                    Folds = Math.Max(2, pr.GetValue(folds)),
                    LambdaMart = new LambdaMartOptions
                    {
                        Engine = pr.GetValue(engine)!.ToLowerInvariant() switch
                        {
                            "fasttree" => LambdaMartEngine.FastTree,
                            "lightgbm" => LambdaMartEngine.LightGbm,
                            var e => throw new ArgumentException($"--engine '{e}': use fasttree or lightgbm."),
                        },
                        Trees = pr.GetValue(trees), Leaves = pr.GetValue(leaves), LearningRate = pr.GetValue(lr), MinRowsPerLeaf = pr.GetValue(minLeaf),
                    },
                }.Validate();
                if (pr.GetValue(cut) is { } cutTime)
                    return NextItem(pr.GetValue(events) ?? [], cutTime, pr.GetValue(testUsers) ?? throw new ArgumentException("--cut needs --test-users-from."),
                        pr.GetValue(perSource), options, pr.GetValue(models)!);
                if (pr.GetValue(featureLog) is { Length: > 0 } logs)
                {
                    var labelFiles = pr.GetValue(labelEvents) is { Length: > 0 } lf ? lf : throw new ArgumentException("--feature-log needs --labels-from-events.");
                    if (pr.GetValue(joinMinutes) <= 0) throw new ArgumentException("--join-minutes must be positive.");
                    var (logged, report) = FeatureLogJoin.Join(logs, UserHistories.ReadCsv(labelFiles), TimeSpan.FromMinutes(pr.GetValue(joinMinutes)));
                    Console.Error.WriteLine($"feature logs: {report.Requests} requests, {report.Groups} with a labelled candidate; skipped {report.Anonymous} anonymous, {report.NoPositive} without later events, {report.OtherSchema} with another schema");
                    var logCard = new ModelCard { Kind = options.Kind.ToString().ToLowerInvariant(), Schema = logged.Schema.ToString(), Features = logged.Schema.Names.ToList() };
                    logCard.Data["feature_logs"] = string.Join(", ", logs);
                    logCard.Data["labels"] = $"{string.Join(", ", labelFiles)} (same user and item within {pr.GetValue(joinMinutes)} min)";
                    if (pr.GetValue(folds) >= 2 && logged.Groups.Count >= options.Folds)
                    {
                        var runs = RankerComparison.Run(logged, options, m => Console.Error.WriteLine(m));
                        RankerComparison.AddTo(logCard, runs);
                        PrintComparison(runs, options.Folds);
                        logCard.Folds = options.Folds;
                    }
                    var (logModel, logImportance) = RankerTrainer.Train(logged, options);
                    logCard.Importance = logImportance.Select((v, i) => new KeyValuePair<string, double>(logged.Schema.Names[i], v)).Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ToList();
                    RankerStore.Save(logModel, pr.GetValue(models)!, logCard);
                    Console.WriteLine($"saved {logModel.Kind} ranker ({logged.Schema}) trained on logged traffic to {pr.GetValue(models)}");
                    return 0;
                }
                if (pr.GetValue(catalog) is not { Length: > 0 } || pr.GetValue(queries) is null || pr.GetValue(qrels) is null)
                    throw new ArgumentException("Give --catalog, --queries and --qrels (search ranking), or --events with --cut and --test-users-from (next-item ranking).");
                var win = pr.GetValue(window);
                if (win < 1) throw new ArgumentException("--window must be positive.");
                var sw = Stopwatch.StartNew();
                void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");

                var import = CatalogReader.ReadFiles(pr.GetValue(catalog)!);
                if (import.UnreadableFiles.Count > 0) throw new FileNotFoundException($"--catalog: {import.UnreadableFiles[0]}: file not found");
                if (import.Products.Count == 0) throw new ArgumentException($"No products in the catalog: {import.Summary}.");
                Log($"catalog: {import.Summary}");
                using var index = ProductIndex.Build(import.Products, new IndexOptions(), path: pr.GetValue(saveIndex),
                    new Progress<long>(n => Log($"indexed {n:N0} products")));
                var users = pr.GetValue(queryUsers) is string qu ? JudgmentFiles.ReadQueryUsers(qu) : null;
                var judged = JudgmentFiles.ReadQueries(pr.GetValue(queries)!, users);
                var labels = JudgmentFiles.ReadQrels(pr.GetValue(qrels)!);
                UserHistories? histories = null;
                CollabModels? collabModels = null;
                if (pr.GetValue(events) is { Length: > 0 } eventFiles)
                {
                    var all = UserHistories.ReadCsv(eventFiles);
                    histories = new UserHistories(all);
                    collabModels = CollabModels.Train(all, new CollabOptions());
                    Log($"collaborative models from {all.Count:N0} events ({histories.Users:N0} users); pass only events before the judged queries to avoid leakage");
                }
                var deepScorer = pr.GetValue(deepDir) is string dd ? DeepScorer.Open(dd) : null;
                var extractor = StandardFeatures.ForSearch(new FeatureSources { Collab = collabModels, Products = index.GetProduct, DeepText = deepScorer });
                var tokenizer = new ChineseTokenizer();
                var data = SearchTrainingData.Build(index, tokenizer, extractor, judged, labels, win,
                    progress: new Progress<int>(n => { if (n % 25 == 0) Log($"features for {n} queries"); }), histories: histories);
                Log($"dataset: {data.Groups.Count} judged queries, {data.Rows:N0} rows, {extractor.Schema}");
                if (data.Groups.Count == 0) throw new ArgumentException("No query has judgments in the qrels file; check that the query ids match.");

                var card = new ModelCard
                {
                    Kind = options.Kind.ToString().ToLowerInvariant(), Schema = extractor.Schema.ToString(), Features = extractor.Schema.Names.ToList(),
                    Folds = pr.GetValue(folds) >= 2 ? options.Folds : 0,
                };
                card.Data["catalog"] = $"{string.Join(", ", pr.GetValue(catalog)!)} ({import.Products.Count:N0} products)";
                card.Data["queries"] = $"{pr.GetValue(queries)} ({data.Groups.Count} judged)";
                card.Data["qrels"] = pr.GetValue(qrels)!;
                card.Data["window"] = win.ToString(CultureInfo.InvariantCulture);
                foreach (var (k, v) in options.LambdaMart.Describe()) card.Options["lambdamart." + k] = v;

                if (pr.GetValue(folds) >= 2)
                {
                    var runs = RankerComparison.Run(data, options, Log);
                    RankerComparison.AddTo(card, runs);
                    PrintComparison(runs, options.Folds);
                }
                Log($"training {card.Kind} on all {data.Groups.Count} queries");
                var (model, importance) = RankerTrainer.Train(data, options);
                card.Importance = importance.Select((v, i) => new KeyValuePair<string, double>(extractor.Schema.Names[i], v))
                    .Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ToList();
                var outDir = pr.GetValue(models)!;
                RankerStore.Save(model, outDir, card);
                Console.WriteLine($"saved {model.Kind} ranker ({extractor.Schema}) to {outDir} in {sw.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or InvalidOperationException)
            {
                Console.Error.WriteLine($"train-ranker: {ex.Message}");
                return 2;
            }
        });
        return cmd;
    }

    private static int NextItem(string[] eventFiles, long cut, string testUsersFile, int perSource, RankerTrainingOptions options, string outDir)
    {
        if (eventFiles.Length == 0) throw new ArgumentException("Next-item mode needs --events.");
        Guard.Positive(perSource);
        var sw = Stopwatch.StartNew();
        void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");
        var events = UserHistories.ReadCsv(eventFiles);
        var test = RecEvaluator.ReadUserIds(testUsersFile);
        Log($"{events.Count:N0} events, {test.Count} test users; combiner trained on the day after each of 3 inner cuts before the cut (all users, pre-cut events only)");
        var collabOptions = new CollabOptions();
        var builder = new RankingDatasetBuilder(NextItemRanking.Schema);
        for (var d = 1; d <= 3; d++)
        {
            var innerCut = cut - d * 86_400L;
            var inner = CollabModels.Train(events.Where(e => e.Timestamp < innerCut), collabOptions);
            NextItemRanking.AddTrainingData(builder, inner, events, innerCut, innerCut + 86_400, new HashSet<long>(), perSource, Log);
        }
        var data = builder.Build();
        Log($"training data: {data.Groups.Count} users, {data.Rows:N0} candidates");
        var combiners = new Dictionary<string, IRankerModel>(StringComparer.Ordinal)
        {
            ["lambdamart"] = LambdaMartTrainer.Train(data, options.LambdaMart).Model,
            ["linear"] = LinearTrainer.Train(data, options.Linear),
            ["weighted"] = WeightedTrainer.Train(data, new WeightedOptions { Features = ["cf_repeat", "cf_item_item", "cf_als", "cf_category_affinity", "item_popularity"] }),
        };
        var models = CollabModels.Train(events.Where(e => e.Timestamp < cut), collabOptions);
        var split = RecSplit.Create(events, cut, test);
        Log($"scoring {split.Test.Count} test users");
        var perUser = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var results = new Dictionary<string, double[]>(StringComparer.Ordinal); // hr10, ndcg10, hr20, recall20, ndcg20
        void Add(string name, int u, IReadOnlyList<long> ranked, HashSet<long> truth)
        {
            var grades = truth.ToDictionary(i => i, _ => 1);
            if (!results.TryGetValue(name, out var r)) { results[name] = r = new double[5]; perUser[name] = new double[split.Test.Count]; }
            r[0] += RankingMetrics.HitRate(ranked, grades, 10);
            r[1] += RankingMetrics.Ndcg(ranked, grades, 10);
            r[2] += RankingMetrics.HitRate(ranked, grades, 20);
            r[3] += RankingMetrics.Recall(ranked, grades, 20);
            var n20 = RankingMetrics.Ndcg(ranked, grades, 20);
            r[4] += n20;
            perUser[name][u] = n20;
        }
        for (var u = 0; u < split.Test.Count; u++)
        {
            var (user, history, truth) = split.Test[u];
            var h = new UserHistory(user, history.OrderByDescending(e => e.Timestamp).ToArray(), cut);
            foreach (var name in CollabModels.ScorerNames)
                Add(name, u, models.Scorer(name).TopK(h, 20).Select(x => x.ItemId).ToList(), truth);
            var (items, f) = NextItemRanking.Candidates(models, h, perSource);
            foreach (var (name, model) in combiners)
            {
                var scores = new float[items.Length];
                model.Score(f, items.Length, scores);
                Add("fused-" + name, u, Enumerable.Range(0, items.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(20).Select(i => items[i]).ToList(), truth);
            }
        }
        var users = Math.Max(1, split.Test.Count);
        Console.WriteLine($"next-item ranking, cut {cut}, {split.Test.Count} test users, candidates: top {perSource} of {string.Join(", ", NextItemRanking.Sources)}");
        Console.WriteLine($"{"model",-20} {"HR@10",7} {"NDCG@10",8} {"HR@20",7} {"R@20",7} {"NDCG@20",8}");
        foreach (var (name, r) in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-20} {r[0] / users,7:F4} {r[1] / users,8:F4} {r[2] / users,7:F4} {r[3] / users,7:F4} {r[4] / users,8:F4}"));
        var best = CollabModels.ScorerNames.OrderByDescending(n => results[n][4]).First();
        var fused = results["fused-lambdamart"][4];
        var p = PairedTest.RandomizationPValue(perUser["fused-lambdamart"], perUser[best]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fused-lambdamart NDCG@20 {fused / users:F4} vs best single ({best}) {results[best][4] / users:F4}: {(results[best][4] > 0 ? (fused / results[best][4] - 1) * 100 : 0):+0.0;-0.0}% (paired randomisation p = {p:F4})"));
        var card = new ModelCard { Kind = "lambdamart", Schema = NextItemRanking.Schema.ToString(), Features = NextItemRanking.Schema.Names.ToList() };
        card.Data["events"] = string.Join(", ", eventFiles);
        card.Data["protocol"] = $"cut {cut}; combiner labels from the day after inner cuts at cut - 1, 2, 3 days (pre-cut events only); {split.Test.Count} test users";
        foreach (var (name, r) in results)
            card.Metrics[name] = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["hr@20"] = r[2] / users, ["ndcg@20"] = r[4] / users, ["ndcg@10"] = r[1] / users };
        RankerStore.Save(combiners["lambdamart"], outDir, card);
        Log($"saved next-item LambdaMART to {outDir}");
        return 0;
    }

    internal static void PrintComparison(IReadOnlyList<ComparedRun> runs, int folds)
    {
        Console.WriteLine($"{"ranker",-22} {"nDCG@10",8} {"95% CI",17} {"MRR@10",8} {"R@100",7}  p vs lambdamart   ({folds}-fold CV by query; singles need no training)");
        foreach (var r in runs)
        {
            var p = double.IsNaN(r.PValueVsReference) ? "" : r.PValueVsReference.ToString("F4", CultureInfo.InvariantCulture);
            Console.WriteLine($"{(r.IsCombiner ? r.Run.Name : "single:" + r.Run.Name),-22} {r.Run.Ndcg10,8:F4} [{r.Ndcg10Ci.Low:F4}, {r.Ndcg10Ci.High:F4}] {r.Run.Mrr10,8:F4} {r.Run.Recall100,7:F4}  {p}");
        }
        var best = runs.Where(r => !r.IsCombiner).OrderByDescending(r => r.Run.Ndcg10).FirstOrDefault();
        var lm = runs.Last();
        if (best is not null)
            Console.WriteLine($"lambdamart − best single ({best.Run.Name}) = {lm.Run.Ndcg10 - best.Run.Ndcg10:+0.0000;-0.0000} nDCG@10, paired randomisation p = {best.PValueVsReference:F4}");
    }
}
