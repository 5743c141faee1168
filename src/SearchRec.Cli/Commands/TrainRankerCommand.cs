using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Core.Judgments;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Catalog;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation.Reports;
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
/// combiner on all queries and saves it with a model card. Other modes learn from next-item behaviour (<c>--cut</c>),
/// from logged traffic (<c>--feature-log</c>) or from another domain's graded pairs alone (<c>--ood-train</c>).
/// </summary>
public sealed class TrainRankerCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var catalog = new Option<string[]>("--catalog") { Description = "Catalog file(s) (TSV id<TAB>title or JSON Lines).", AllowMultipleArgumentsPerToken = true };
        var queries = new Option<string?>("--queries") { Description = "Queries TSV: qid<TAB>query." };
        var qrels = new Option<string?>("--qrels") { Description = "TREC qrels: qid 0 docid grade (graded labels 0/1/2... supported)." };
        var cut = new Option<string?>("--cut") { Description = "Next-item mode (no catalog): Unix seconds or an ISO 8601 time of the eval-rec cut (Taobao 1512230400); trains on behaviour after an inner cut one day earlier." };
        var testUsers = new Option<string?>("--test-users-from") { Description = "Next-item mode: file whose lines start with a test user id (split-users output)." };
        var deepDir = new Option<string?>("--deep") { Description = "A deep model folder (train-deep, or one holding ensemble.json that names several) whose query–item score becomes a feature; search finds it again as deep/ beside the ranker." };
        var featureLog = new Option<string[]>("--feature-log") { Description = "Traffic mode: feature log file(s) written by the search pipeline (JSON Lines).", AllowMultipleArgumentsPerToken = true };
        var labelEvents = new Option<string[]>("--labels-from-events") { Description = "Traffic mode: event CSV file(s), or the service's event store (events.db), whose later behaviour labels the logged candidates (same user and item, within --join-minutes).", AllowMultipleArgumentsPerToken = true };
        var joinMinutes = new Option<int>("--join-minutes") { Description = "Traffic mode: how long after a request an event still labels it.", DefaultValueFactory = _ => 30 };
        var perSource = new Option<int>("--per-source") { Description = "Next-item mode: candidates taken from each collaborative source.", DefaultValueFactory = _ => 50 };
        var innerCuts = new Option<int>("--inner-cuts") { Description = "Next-item mode: inner cuts (one per day before the cut) whose following day labels the combiner's training data; the latest one validates the LambdaMART settings.", DefaultValueFactory = _ => 6 };
        var towerEpochs = new Option<int>("--tower-epochs") { Description = "Next-item mode: epochs of the behaviour tower trained at each (inner) cut for the user–item feature; 0 leaves it out.", DefaultValueFactory = _ => 2 };
        var stepHours = new Option<int>("--cut-step-hours") { Description = "Next-item mode: hours between inner cuts (label windows may overlap when shorter than the eval window; validation never trains on its own window).", DefaultValueFactory = _ => 24 };
        var noGrid = new Option<bool>("--no-grid") { Description = "Next-item mode: use the given LambdaMART settings instead of choosing among a few on the validation cut." };
        var idealWeights = new Option<bool>("--ideal-weights") { Description = "Next-item mode: weigh each training user by the ideal DCG@20 of their pooled truths over that of all their truths, as the metric counts them (docs/ranking.md, twenty-first session's round)." };
        var pointwise = new Option<bool>("--pointwise") { Description = "Next-item mode: fit each combiner model as a FastTree binary classifier (log-loss over every pooled candidate, users without a pooled truth included) instead of LambdaMART (docs/ranking.md, twenty-fourth session's round)." };
        var pickBest = new Option<bool>("--pick-best") { Description = "Next-item mode: keep the one grid setting with the best validation figure instead of the mean of every setting's LambdaMART (the default)." };
        var queryUsers = new Option<string?>("--query-users") { Description = "qid<TAB>user TSV for personalised sets." };
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s), or a service's event store (events.db), for collaborative features (used when the collab models are available).", AllowMultipleArgumentsPerToken = true };
        var combiner = new Option<string>("--combiner") { Description = "lambdamart, lambdamart-bag (query-bagged LambdaMART), lambdamart-towers (one LambdaMART per tower of --deep's ensemble.json, scores averaged), lambdamart-towers-stack (the same over two more columns from a linear stacker), lambdamart-towers-transfer (the same over two columns from a LambdaMART trained on --ood-train alone: the adopted ecom-search configuration), linear or weighted.", DefaultValueFactory = _ => "lambdamart" };
        var bagMembers = new Option<int>("--bag-members") { Description = "lambdamart-bag: members, each on a bootstrap sample of the queries.", DefaultValueFactory = _ => 10 };
        var bagTrees = new Option<int>("--bag-trees") { Description = "lambdamart-bag: trees per member (learning rate 0.1, other settings from --leaves / --min-leaf).", DefaultValueFactory = _ => 100 };
        var models = new Option<string>("--models") { Description = "Folder to save ranker.json and the model card in.", DefaultValueFactory = _ => "models/ranker" };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds by query (0 skips cross-validation).", DefaultValueFactory = _ => 5 };
        var window = new Option<int>("--window") { Description = "Recall window re-ranked per query.", DefaultValueFactory = _ => 200 };
        var engine = new Option<string>("--engine") { Description = "LambdaMART trees from fasttree or lightgbm.", DefaultValueFactory = _ => "fasttree" };
        var trees = new Option<int>("--trees") { Description = "LambdaMART trees.", DefaultValueFactory = _ => 300 };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree.", DefaultValueFactory = _ => 16 };
        var lr = new Option<double>("--learning-rate") { Description = "LambdaMART learning rate.", DefaultValueFactory = _ => 0.05 };
        var minLeaf = new Option<int>("--min-leaf") { Description = "Minimum rows per leaf.", DefaultValueFactory = _ => 20 };
        var listHead = new Option<bool>("--list-head") { Description = "Add the window-relative (list) and head-word (head) groups. Off by default: they did not help LambdaMART on ecom-search (docs/ranking.md)." };
        var idf = new Option<bool>("--idf") { Description = "Add the idf group (IDF-weighted query coverage; the catalog's bigram table is saved beside ranker.json). Off by default: it helped linear stacking but not LambdaMART on ecom-search (docs/ranking.md). search and serve read the table from beside ranker.json." };
        var priorFile = new Option<string?>("--prior") { Description = $"A query-log prior ({QueryLogPrior.FileName} from build-prior) whose counts become features; copied beside ranker.json." };
        var oodTrain = new Option<string[]>("--ood-train") { Description = "Graded query–title JSON Lines (QBQTC dev.jsonl; several files are read as one): the transfer model's judgments (lambdamart-towers-transfer), or, without --catalog / --queries / --qrels, the only judgments a lambdamart, linear or weighted ranker learns from (for a catalog with none of its own).", AllowMultipleArgumentsPerToken = true };
        var oodCatalog = new Option<string[]>("--ood-catalog") { Description = "More graded-pair JSON Lines whose titles join --ood-train's catalog (QBQTC test_public.jsonl).", AllowMultipleArgumentsPerToken = true };
        var oodQueries = new Option<int?>("--ood-queries") { Description = $"--ood-train queries used (the file's first ones with a relevant title). Default: {TransferQueries:N0} for lambdamart-towers-transfer, all of them otherwise." };
        var saveIndex = new Option<string?>("--save-index") { Description = "Also keep the index built from the catalog in this directory (for `searchrec search`)." };
        var cmd = new Command("train-ranker", "Train the re-ranker (LambdaMART, linear stacking or weighted average) on judged queries, cross-validated by query.");
        foreach (var o in new Option[] { catalog, queries, qrels, queryUsers, events, combiner, models, folds, window, engine, trees, leaves, lr, minLeaf, saveIndex, listHead, idf, priorFile, cut, testUsers, perSource, featureLog, labelEvents, joinMinutes, deepDir, innerCuts, towerEpochs, noGrid, pickBest, idealWeights, pointwise, stepHours, bagMembers, bagTrees, oodTrain, oodCatalog, oodQueries }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                // The settings are checked by the options objects too; here they are named as the user typed them.
                if (pr.GetValue(folds) is < 0 or 1) throw new ArgumentException($"--folds must be 0 (no cross-validation) or at least 2 (was {pr.GetValue(folds)}).");
                if (pr.GetValue(trees) < 1) throw new ArgumentException($"--trees must be at least 1 (was {pr.GetValue(trees)}).");
                if (pr.GetValue(leaves) < 2) throw new ArgumentException($"--leaves must be at least 2 (was {pr.GetValue(leaves)}).");
                if (pr.GetValue(minLeaf) < 1) throw new ArgumentException($"--min-leaf must be at least 1 (was {pr.GetValue(minLeaf)}).");
                if (!(pr.GetValue(lr) is > 0 and <= 1)) throw new ArgumentException($"--learning-rate must be in (0, 1] (was {pr.GetValue(lr).ToString(CultureInfo.InvariantCulture)}).");
                if (pr.GetValue(bagTrees) < 1) throw new ArgumentException($"--bag-trees must be at least 1 (was {pr.GetValue(bagTrees)}).");
                OutputFiles.CheckFolder(pr.GetValue(models)!, "--models");
                if (pr.GetValue(saveIndex) is { } savedIndex) OutputFiles.CheckFolder(savedIndex, "--save-index");
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
                    Bagged = new BaggedLambdaMartOptions
                    {
                        Members = pr.GetValue(bagMembers),
                        Member = new LambdaMartOptions { Trees = pr.GetValue(bagTrees), LearningRate = 0.1, Leaves = pr.GetValue(leaves), MinRowsPerLeaf = pr.GetValue(minLeaf) },
                    },
                }.Validate();
                // Checked before any data is read or indexed.
                if (options.UsesTowers)
                {
                    var ens = pr.GetValue(deepDir) ?? throw new ArgumentException($"--combiner {KindName(options.Kind)} needs --deep: a folder whose ensemble.json names the towers.");
                    if (!DenseModels.IsEnsemble(ens)) throw new ArgumentException($"--deep {ens}: {KindName(options.Kind)} needs a folder holding {DenseModels.EnsembleFile} naming the towers; for one tower use --combiner lambdamart.");
                }
                if (options.Kind == CombinerKind.LambdaMartTowersTransfer && pr.GetValue(oodTrain) is not { Length: > 0 })
                    throw new ArgumentException("--combiner lambdamart-towers-transfer needs --ood-train: graded query–title JSON Lines (QBQTC dev.jsonl) for its transfer model.");
                // Options only one mode reads were accepted by the others and ignored without a word (--window or --idf
                // beside --feature-log, --per-source beside --catalog, --bag-members beside --combiner linear).
                string GivenOf(params (Option Option, string Flag)[] flags) => string.Join(", ", flags.Where(f => pr.GetResult(f.Option) is { Implicit: false }).Select(f => f.Flag));
                if (pr.GetValue(cut) is null && GivenOf((perSource, "--per-source"), (innerCuts, "--inner-cuts"), (towerEpochs, "--tower-epochs"), (noGrid, "--no-grid"),
                        (pickBest, "--pick-best"), (idealWeights, "--ideal-weights"), (stepHours, "--cut-step-hours")) is { Length: > 0 } nextItemOnly)
                    throw new ArgumentException($"{nextItemOnly}: read by next-item mode (--cut) alone.");
                if (pr.GetValue(featureLog) is not { Length: > 0 } && GivenOf((joinMinutes, "--join-minutes")) is { Length: > 0 } trafficOnly)
                    throw new ArgumentException($"{trafficOnly}: read by traffic mode (--feature-log) alone.");
                if ((pr.GetValue(featureLog) is { Length: > 0 } || pr.GetValue(cut) is not null)
                    && GivenOf((window, "--window"), (listHead, "--list-head"), (idf, "--idf"), (priorFile, "--prior")) is { Length: > 0 } searchOnly)
                    throw new ArgumentException(pr.GetValue(cut) is not null
                        ? $"{searchOnly}: read by the search ranking modes, not by next-item mode (--cut)."
                        : $"{searchOnly}: traffic mode (--feature-log) re-ranks the logged candidates with the logged features; leave out {searchOnly}.");
                if (options.Kind != CombinerKind.LambdaMartBag && GivenOf((bagMembers, "--bag-members"), (bagTrees, "--bag-trees")) is { Length: > 0 } bagOnly)
                    throw new ArgumentException($"{bagOnly}: read by --combiner lambdamart-bag alone.");
                if (pr.GetValue(oodTrain) is { Length: > 0 } oodFiles)
                {
                    foreach (var f in (string[])[.. oodFiles, .. pr.GetValue(oodCatalog) ?? []])
                        if (!File.Exists(f)) throw new FileNotFoundException($"--ood-train / --ood-catalog: {f}: file not found", f);
                    if (pr.GetValue(oodQueries) is < 1) throw new ArgumentException($"--ood-queries must be at least 1 (was {pr.GetValue(oodQueries)}).");
                    if (pr.GetValue(featureLog) is { Length: > 0 }) throw new ArgumentException("--ood-train cannot be combined with --feature-log: traffic mode learns from the logged searches alone.");
                    if (pr.GetValue(cut) is not null) throw new ArgumentException("--ood-train cannot be combined with --cut: next-item mode learns from behaviour.");
                    if (options.Kind != CombinerKind.LambdaMartTowersTransfer)
                    {
                        var conflicting = new List<string>();
                        if (pr.GetValue(catalog) is { Length: > 0 }) conflicting.Add("--catalog");
                        if (pr.GetValue(queries) is not null) conflicting.Add("--queries");
                        if (pr.GetValue(qrels) is not null) conflicting.Add("--qrels");
                        if (pr.GetValue(events) is { Length: > 0 }) conflicting.Add("--events");
                        if (pr.GetValue(deepDir) is not null) conflicting.Add("--deep");
                        return TrainOnOutsideJudgments(oodFiles, pr.GetValue(oodCatalog) ?? [], pr.GetValue(oodQueries) ?? int.MaxValue, options, pr.GetValue(window),
                            pr.GetValue(folds) >= 2, pr.GetValue(models)!, conflicting);
                    }
                }
                if (pr.GetValue(pointwise) && pr.GetValue(cut) is null) throw new ArgumentException("--pointwise is read by next-item mode (--cut) alone.");
                if (pr.GetValue(pointwise) && pr.GetValue(idealWeights)) throw new ArgumentException("--ideal-weights weighs LambdaMART's groups of users; --pointwise fits rows, not groups: give one of them.");
                if (pr.GetValue(pickBest) && pr.GetValue(noGrid)) throw new ArgumentException("--pick-best chooses among the grid's settings; leave out --no-grid.");
                // Each mode reads its own inputs: another mode's were ignored without a word (--feature-log beside --cut
                // trained a next-item ranker, --combiner linear a LambdaMART), as --ood-train already refuses.
                string Given(params (string Flag, bool Given)[] flags) => string.Join(", ", flags.Where(f => f.Given).Select(f => f.Flag));
                bool hasLog = pr.GetValue(featureLog) is { Length: > 0 }, hasLabels = pr.GetValue(labelEvents) is { Length: > 0 }, hasCatalog = pr.GetValue(catalog) is { Length: > 0 },
                    hasQueries = pr.GetValue(queries) is not null, hasQrels = pr.GetValue(qrels) is not null, hasQueryUsers = pr.GetValue(queryUsers) is not null,
                    hasSaveIndex = pr.GetValue(saveIndex) is not null, hasEvents = pr.GetValue(events) is { Length: > 0 }, hasTestUsers = pr.GetValue(testUsers) is not null;
                if (pr.GetValue(cut) is not null)
                {
                    var stray = Given(("--feature-log", hasLog), ("--labels-from-events", hasLabels), ("--catalog", hasCatalog), ("--queries", hasQueries), ("--qrels", hasQrels),
                        ("--query-users", hasQueryUsers), ("--save-index", hasSaveIndex));
                    if (stray.Length > 0) throw new ArgumentException($"--cut trains a next-item ranker from --events; leave out {stray} (inputs of the search ranking modes).");
                    if (options.Kind != CombinerKind.LambdaMart) throw new ArgumentException($"--cut trains a next-item LambdaMART; --combiner {KindName(options.Kind)} is for search rankers.");
                }
                else if (hasLog)
                {
                    var stray = Given(("--catalog", hasCatalog), ("--queries", hasQueries), ("--qrels", hasQrels), ("--query-users", hasQueryUsers), ("--save-index", hasSaveIndex),
                        ("--events", hasEvents), ("--test-users-from", hasTestUsers));
                    if (stray.Length > 0) throw new ArgumentException($"--feature-log trains on logged searches; leave out {stray} (the labels come from --labels-from-events).");
                }
                else if (hasTestUsers || hasLabels)
                    throw new ArgumentException(hasTestUsers ? "--test-users-from is read by next-item mode (--cut) alone." : "--labels-from-events is read by traffic mode (--feature-log) alone.");
                if (pr.GetValue(cut) is { } cutText)
                    return NextItem(pr.GetValue(events) ?? [], EventFiles.ParseTime(cutText), pr.GetValue(testUsers) ?? throw new ArgumentException("--cut needs --test-users-from."),
                        new NextItemSettings(pr.GetValue(perSource), pr.GetValue(innerCuts), pr.GetValue(towerEpochs), !pr.GetValue(noGrid), pr.GetValue(stepHours), AverageGrid: !pr.GetValue(noGrid) && !pr.GetValue(pickBest), IdealWeights: pr.GetValue(idealWeights), Pointwise: pr.GetValue(pointwise)), options, pr.GetValue(models)!);
                if (pr.GetValue(featureLog) is { Length: > 0 } logs)
                {
                    var labelFiles = pr.GetValue(labelEvents) is { Length: > 0 } lf ? lf : throw new ArgumentException("--feature-log needs --labels-from-events.");
                    if (pr.GetValue(joinMinutes) <= 0) throw new ArgumentException("--join-minutes must be positive.");
                    var shown = 0;
                    var (logged, report) = FeatureLogJoin.Join(logs, EventFiles.Read(labelFiles), TimeSpan.FromMinutes(pr.GetValue(joinMinutes)),
                        line => { if (shown++ < 20) Console.Error.WriteLine(line); });
                    Console.Error.WriteLine($"feature logs: {report.Requests} requests, {report.Groups} with a labelled candidate; skipped {report.Anonymous} anonymous, {report.NoPositive} without later events, {report.OtherSchema} with another schema, {report.Malformed} lines that are not records");
                    if (logged.Groups.Count < MinTrafficRequests)
                        throw new ArgumentException($"{logged.Groups.Count} of the {report.Requests} logged requests have a candidate that later events label (same user and item within {pr.GetValue(joinMinutes)} min); a ranker needs at least {MinTrafficRequests}: log more searches with their clicks and purchases, or widen --join-minutes.");
                    var logCard = new ModelCard { Kind = KindName(options.Kind), Schema = logged.Schema.ToString(), Features = logged.Schema.Names.ToList() };
                    logCard.Data["feature_logs"] = string.Join(", ", logs);
                    logCard.Data["labels"] = $"{string.Join(", ", labelFiles)} (same user and item within {pr.GetValue(joinMinutes)} min)";
                    logCard.RecordTrainingQueries(TextsOf(logged));
                    // The deep model that scored the logged deep column: search and serve refuse another in its place.
                    if (logged.Schema.IndexOf("deep_query_item") >= 0)
                    {
                        if (report.DeepFingerprints.Count == 1) logCard.Data[ModelLocations.DeepFingerprintEntry] = report.DeepFingerprints[0];
                        else if (report.DeepFingerprints.Count > 1)
                            Console.Error.WriteLine($"warning: the logged searches were scored by {report.DeepFingerprints.Count} deep models ({string.Join(", ", report.DeepFingerprints)}), so the ranker's deep column mixes them; no one of them is recorded as its own. Log with one deep model to have it checked.");
                    }
                    if (pr.GetValue(folds) >= 2 && logged.Groups.Count >= options.Folds)
                    {
                        var runs = RankerComparison.Run(logged, options, m => Console.Error.WriteLine(m));
                        RankerComparison.AddTo(logCard, runs);
                        PrintComparison(runs, options.Folds);
                        logCard.Folds = options.Folds;
                    }
                    else if (pr.GetValue(folds) >= 2)
                    {
                        // Each fold holds out at least one request; with fewer the comparison cannot run, so say so rather than save a card without it unseen.
                        var skipped = $"skipped: {logged.Groups.Count} labelled requests are too few for --folds {options.Folds} (one request per fold at least)";
                        Console.Error.WriteLine($"cross-validation {skipped}; the ranker is trained on all of them without cross-validated figures");
                        logCard.Data["cross_validation"] = skipped;
                    }
                    if (options.UsesTowers)
                    {
                        // The logged rows hold each tower's columns; the saved ranker records which towers they came from.
                        var ensembleDir = pr.GetValue(deepDir) ?? throw new ArgumentException($"--combiner {KindName(options.Kind)} needs --deep: the ensemble folder the logged features were computed with.");
                        using var logTowers = TowerSet.Open(ensembleDir);
                        var loggedTowers = TowerDeepFeatures.TowerCount(logged.Schema);
                        if (logTowers.Count != loggedTowers) throw new ArgumentException($"--deep {ensembleDir} names {logTowers.Count} towers, but the logged features hold the columns of {loggedTowers}.");
                        options.Towers = logTowers.Info();
                    }
                    var (logModel, logImportance) = RankerTrainer.Train(logged, options);
                    logCard.Importance = ImportanceOf(logModel, logImportance);
                    RankerStore.Save(logModel, pr.GetValue(models)!, logCard);
                    if (options.Towers is { } loggedInfo) NameTowersBeside(pr.GetValue(models)!, loggedInfo.Select(t => t.Name).ToList(), m => Console.Error.WriteLine(m));
                    Console.WriteLine($"saved {logModel.Kind} ranker ({logged.Schema}) trained on logged traffic to {pr.GetValue(models)}");
                    foreach (var need in ServingNeeds(logged.Schema, pr.GetValue(models)!, logCard.Data.TryGetValue(ModelLocations.DeepFingerprintEntry, out var loggedDeep) ? loggedDeep : null)) Console.WriteLine(need);
                    return 0;
                }
                if (pr.GetValue(catalog) is not { Length: > 0 } || pr.GetValue(queries) is null || pr.GetValue(qrels) is null)
                    throw new ArgumentException("Give --catalog, --queries and --qrels (search ranking), --ood-train alone (search ranking from another domain's graded pairs), --feature-log with --labels-from-events (from traffic), or --events with --cut and --test-users-from (next-item ranking).");
                var win = pr.GetValue(window);
                if (win < 1) throw new ArgumentException("--window must be positive.");
                // Read before the catalog is indexed: a missing or malformed prior was found only afterwards, as .NET's "Could not find file".
                var prior = pr.GetValue(priorFile) is string pf
                    ? File.Exists(pf) ? QueryLogPrior.Load(pf) : throw new FileNotFoundException($"--prior: {pf}: file not found", pf)
                    : null;
                var sw = Stopwatch.StartNew();
                void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");

                var import = CatalogFiles.Read(pr.GetValue(catalog)!, Log);
                using var index = ProductIndex.Build(import.Products, new IndexOptions(), path: pr.GetValue(saveIndex),
                    new SyncProgress<long>(n => Log($"indexed {n:N0} products")));
                var users = pr.GetValue(queryUsers) is string qu ? JudgmentReader.ReadQueryUsers(qu) : null;
                var judged = JudgmentFiles.ReadQueries(pr.GetValue(queries)!, users);
                var labels = JudgmentReader.ReadQrels(pr.GetValue(qrels)!, CliErrors.Note);
                CheckJudgedProducts(judged, labels, import.Products, pr.GetValue(qrels)!, pr.GetValue(catalog)!, Log);
                UserHistories? histories = null;
                CollabModels? collabModels = null;
                ItemActivity? activity = null;
                string? eventsNote = null;
                if (pr.GetValue(events) is { Length: > 0 } eventFiles)
                {
                    var all = UserHistories.ReadCsv(eventFiles);
                    // Each query's personal history stops at its own time (SearchTrainingData); the models cannot, so
                    // they learn only from the events before the first judged query: a purchase a query is labelled
                    // with, or anything after it, would otherwise score the query's candidates in cross-validation.
                    histories = new UserHistories(all);
                    var labelled = judged.Where(q => labels.ContainsKey(q.QueryId)).ToList();
                    var untimed = labelled.Count(q => q.Timestamp is null);
                    if (BehaviourCut.First(labelled) is long first)
                    {
                        var (before, later) = BehaviourCut.Split(all, first);
                        collabModels = CollabModels.Train(before, new CollabOptions());
                        activity = ItemActivity.Build(before);
                        eventsNote = $"collaborative models and item activity from {before.Count:N0} events before the first judged query at {DateTimeOffset.FromUnixTimeSeconds(first):yyyy-MM-dd HH:mm:ss}Z ({first}); {later:N0} later events left out; personal histories cut at each query's time";
                        Log(eventsNote);
                        if (before.Count == 0) Log("note: no event precedes the first judged query, so the collaborative features are empty; give events that start before the judged queries");
                        if (untimed > 0)
                        {
                            eventsNote += $"; {untimed:N0} judged queries without a time read their users' whole histories";
                            Log($"warning: {untimed:N0} of {labelled.Count:N0} judged queries carry no time in {pr.GetValue(queryUsers)}: their users' histories are read in full, behaviour after the query included");
                        }
                    }
                    else
                    {
                        collabModels = CollabModels.Train(all, new CollabOptions());
                        activity = ItemActivity.Build(all);
                        eventsNote = $"collaborative models, item activity and personal histories from all {all.Count:N0} events: the judged queries carry no time, so behaviour after them is included and the cross-validated figures may be inflated";
                        Log($"warning: collaborative models from all {all.Count:N0} events ({histories.Users:N0} users): the judged queries carry no time (a third column of --query-users), so the models, and the users' histories, hold behaviour after the queries and the cross-validated figures may be inflated; pass only events before the judged queries");
                    }
                }
                string? transferNote = null;
                RankingDataset? transferData = null;
                IDenseScorer? deepScorer = null;
                TowerSet? towerSet = null;
                if (options.UsesTowers)
                {
                    var ensembleDir = pr.GetValue(deepDir)!;
                    towerSet = TowerSet.Open(ensembleDir);
                    options.Towers = towerSet.Info();
                    Log($"towers: {string.Join(", ", towerSet.Names)}");
                }
                else if (pr.GetValue(deepDir) is string dd) deepScorer = DenseModels.Open(dd);
                var titleStats = pr.GetValue(idf) ? TitleBigramStats.Build(import.Products.Select(p => p.Title)) : null;
                var extractor = StandardFeatures.ForSearch(new FeatureSources
                {
                    Collab = collabModels, Products = index.GetProduct, DeepText = deepScorer, DeepTowers = towerSet, Activity = activity, TitleStats = titleStats, Prior = prior,
                    ListAndHead = pr.GetValue(listHead),
                });
                var tokenizer = new ChineseTokenizer();
                if (options.Kind == CombinerKind.LambdaMartTowersTransfer)
                {
                    // The transfer model reads the same features over its own domain's titles, and never these judgments.
                    var (ood, summary) = OutOfDomainData.Build(pr.GetValue(oodTrain)!, pr.GetValue(oodCatalog) ?? [], pr.GetValue(oodQueries) ?? TransferQueries, tokenizer, extractor, win,
                        new SyncProgress<int>(n => { if (n % 250 == 0) Log($"transfer data: features for {n:N0} queries"); }));
                    Log($"transfer data: {summary.Titles:N0} titles, {summary.Queries:N0} queries ({summary.WithRelevant:N0} with a relevant title in the window), {summary.Rows:N0} rows");
                    options.Transfer = LambdaMartTrainer.Train(ood, options.LambdaMart).Model;
                    transferData = ood;
                    transferNote = $"{string.Join(", ", pr.GetValue(oodTrain)!)} (first {summary.Queries:N0} queries with a relevant title, {summary.Titles:N0} titles, {summary.Rows:N0} rows); one LambdaMART with the ranker's settings, trained once";
                }
                var data = SearchTrainingData.Build(index, tokenizer, extractor, judged, labels, win,
                    progress: new SyncProgress<int>(n => { if (n % 25 == 0) Log($"features for {n} queries"); }), histories: histories);
                Log($"dataset: {data.Groups.Count} judged queries, {data.Rows:N0} rows, {extractor.Schema}");
                if (data.Groups.Count == 0) throw new ArgumentException("No query has judgments in the qrels file; check that the query ids match.");

                var card = new ModelCard
                {
                    Kind = KindName(options.Kind), Schema = extractor.Schema.ToString(), Features = extractor.Schema.Names.ToList(),
                    Folds = pr.GetValue(folds) >= 2 ? options.Folds : 0,
                };
                card.Data["catalog"] = $"{string.Join(", ", pr.GetValue(catalog)!)} ({import.Products.Count:N0} products)";
                card.Data["queries"] = $"{pr.GetValue(queries)} ({data.Groups.Count} judged)";
                card.Data["qrels"] = pr.GetValue(qrels)!;
                card.Data["window"] = win.ToString(CultureInfo.InvariantCulture);
                // Every judged query it learnt from, the transfer model's too: eval warns on any of them, under any file or id.
                card.RecordTrainingQueries([.. TextsOf(data), .. transferData is null ? [] : TextsOf(transferData)]);
                if (eventsNote is not null) card.Data["events"] = $"{string.Join(", ", pr.GetValue(events)!)}: {eventsNote}";
                if (deepScorer is not null && pr.GetValue(deepDir) is { } scoredWith)
                {
                    card.Data["deep"] = $"{scoredWith}: {DenseModels.Describe(deepScorer)}";
                    // search and serve refuse another deep model in its place.
                    card.Data[ModelLocations.DeepFingerprintEntry] = ModelLocations.DeepFingerprint(scoredWith);
                }
                if (towerSet is not null)
                {
                    card.Data["deep"] = $"{pr.GetValue(deepDir)}: {towerSet.Count} towers, one LambdaMART each, raw scores averaged";
                    for (var t = 0; t < towerSet.Count; t++) card.Data[$"tower_{t + 1}"] = $"{towerSet.Names[t]} (fingerprint {towerSet.Fingerprints[t]})";
                }
                if (options.Kind == CombinerKind.LambdaMartBag) foreach (var (k, v) in options.Bagged.Describe()) card.Options["lambdamart-bag." + k] = v;
                else foreach (var (k, v) in options.LambdaMart.Describe()) card.Options["lambdamart." + k] = v;
                if (transferNote is not null) card.Options["transfer"] = transferNote;
                if (options.Kind == CombinerKind.LambdaMartTowersStack)
                    card.Options["stack"] = FormattableString.Invariant($"linear stacker (L2 {options.Linear.L2}, {options.Linear.Iterations} iterations); the trees learn from its out-of-fold scores over {RankerTrainer.StackInnerFolds} inner folds (seed {options.Seed + 1})");

                var model = CompareThenTrain(data, options, card, pr.GetValue(folds) >= 2, Log);
                var outDir = pr.GetValue(models)!;
                if (model is BaggedRanker bag)
                    for (var i = 0; i < bag.Info.Count; i++)
                        card.Data[$"bag_member_{i:D2}"] = $"seed {bag.Info[i].Seed}, {bag.Info[i].Trees} trees, {bag.Info[i].DistinctQueries} distinct of {bag.Info[i].Queries} queries drawn";
                RankerStore.Save(model, outDir, card);
                // The idf group reads the catalog's bigram document frequencies at serving time too.
                if (titleStats is not null) titleStats.Save(Path.Combine(outDir, TitleBigramStats.FileName));
                if (prior is not null) prior.Save(Path.Combine(outDir, QueryLogPrior.FileName));
                if (towerSet is not null) NameTowersBeside(outDir, towerSet.Names, Log);
                else if (deepScorer is not null && pr.GetValue(deepDir) is { } usedDeep)
                    NameTowersBeside(outDir, DenseModels.IsEnsemble(usedDeep) ? DenseModels.Members(usedDeep) : [Path.GetFullPath(usedDeep)], Log);
                Console.WriteLine($"saved {model.Kind} ranker ({extractor.Schema}) to {outDir} in {sw.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or InvalidDataException or InvalidOperationException)
            {
                Console.Error.WriteLine($"train-ranker: {CliErrors.Message(ex)}");
                return 2;
            }
        });
        return cmd;
    }

    // Cross-validates the combiners and single features onto the card (when asked), then trains the chosen one on all queries.
    /// <summary>
    /// Refuses judgments none of whose relevant products are in the catalog (another collection's ids), and names the
    /// judged queries whose relevant products are all missing: they teach the ranker nothing.
    /// </summary>
    internal static void CheckJudgedProducts(IReadOnlyList<JudgedQuery> judged, Dictionary<string, Dictionary<string, int>> labels,
        IReadOnlyList<Product> products, string qrelsPath, string[] catalogPaths, Action<string> log)
    {
        var ids = new HashSet<string>(products.Count, StringComparer.Ordinal);
        foreach (var p in products) ids.Add(p.Id);
        int withRelevant = 0, found = 0;
        foreach (var q in judged)
        {
            if (!labels.TryGetValue(q.QueryId, out var grades) || !grades.Any(g => g.Value > 0)) continue;
            withRelevant++;
            if (grades.Any(g => g.Value > 0 && ids.Contains(g.Key))) found++;
        }
        if (withRelevant == 0) return;   // no query matches the qrels: the dataset step says so
        if (found == 0)
            throw new ArgumentException($"none of the relevant products of the {withRelevant:N0} judged queries in {qrelsPath} is in the catalog ({string.Join(", ", catalogPaths)}): do the product ids of the qrels and the catalog match?");
        if (found < withRelevant)
            log($"note: {withRelevant - found:N0} of {withRelevant:N0} judged queries have no relevant product in the catalog; they teach the ranker nothing");
    }

    private static IRankerModel CompareThenTrain(RankingDataset data, RankerTrainingOptions options, ModelCard card, bool crossValidate, Action<string> log)
    {
        if (crossValidate)
        {
            var runs = RankerComparison.Run(data, options, log);
            RankerComparison.AddTo(card, runs);
            PrintComparison(runs, options.Folds);
        }
        log($"training {card.Kind} on all {data.Groups.Count:N0} queries");
        var (model, importance) = RankerTrainer.Train(data, options);
        card.Importance = ImportanceOf(model, importance);
        return model;
    }

    /// <summary>Fewer requests with a labelled candidate than this are refused in traffic mode: a ranker learned from so few is noise.</summary>
    internal const int MinTrafficRequests = 5;

    // A log holds whatever columns the logging service computed (with --log-features all, the collaborative group), but
    // traffic mode opens none of their sources: name the folders `search` and `serve` will need for this schema.
    internal static IEnumerable<string> ServingNeeds(FeatureSchema schema, string outDir, string? loggedDeep = null)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(outDir)) is { Length: > 0 } p ? p : ".";
        string Found(string? dir) => dir is null ? "none there now" : "found now: " + dir;
        if (schema.IndexOf("cf_item_item") >= 0)
            yield return $"the ranker reads collaborative features: `search --models {outDir}` needs collab/collab.bin (train-cf) in {outDir}, {Path.Combine(outDir, "collab")} or {Path.Combine(parent, "collab")} ({Found(ModelLocations.Collab(outDir))}); `serve` reads its --collab folder";
        if (schema.IndexOf("deep_query_item") >= 0 || schema.IndexOf("deep_user_item") >= 0 || TowerDeepFeatures.TowerCount(schema) > 0)
            yield return $"the ranker reads deep features: `search --models {outDir}` and `serve` without --deep need the deep models the logging service used (deep-model.json or {DenseModels.EnsembleFile}) in {outDir}, {Path.Combine(outDir, "deep")} or {Path.Combine(parent, "deep")} ({FoundDeep(ModelLocations.Deep(outDir), loggedDeep)}); or give `serve --deep FOLDER`";
        if (schema.IndexOf("idf_coverage") >= 0)
            yield return $"the ranker reads idf features: `search` and `serve` need {TitleBigramStats.FileName} beside its ranker.json in {outDir} (the logging ranker's folder holds one)";
        if (schema.IndexOf("prior_hits") >= 0)
            yield return $"the ranker reads the query-log prior: `search` and `serve` need {QueryLogPrior.FileName} in or beside {outDir} (build-prior)";
    }

    // The folder found is checked against the deep model the logs name: search and serve refuse another, so a plain
    // "found now" sent the user on to a refusal.
    private static string FoundDeep(string? dir, string? logged)
    {
        if (dir is null) return "none there now";
        if (logged is null) return "found now: " + dir;
        var found = ModelLocations.DeepFingerprint(dir);
        return found == logged
            ? $"found now: {dir}, the deep model the logged searches name"
            : $"found now: {dir}, but its fingerprint {found} is not {logged}, the one the logged searches name, so search and serve would refuse it";
    }

    /// <summary>The transfer model's training queries when --ood-queries is left out (rounds 13–14, docs/ranking.md).</summary>
    private const int TransferQueries = 2_000;

    // A ranker that has never seen a judgment of the catalog it will serve: it reads only the recall and text
    // features, which mean the same over any titles, so one trained on another domain's judgments serves any index.
    private static int TrainOnOutsideJudgments(string[] trainingFiles, string[] catalogFiles, int maxQueries, RankerTrainingOptions options, int window,
        bool crossValidate, string outDir, List<string> conflicting)
    {
        if (conflicting.Count > 0)
            throw new ArgumentException($"--ood-train with --combiner {KindName(options.Kind)} trains on those judgments alone; leave out {string.Join(", ", conflicting)} " +
                "(or use --combiner lambdamart-towers-transfer to learn from both).");
        if (options.Kind is not (CombinerKind.LambdaMart or CombinerKind.Linear or CombinerKind.Weighted))
            throw new ArgumentException($"--ood-train alone trains lambdamart, linear or weighted, not {KindName(options.Kind)}.");
        if (window < 1) throw new ArgumentException("--window must be positive.");
        var sw = Stopwatch.StartNew();
        void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");
        var extractor = StandardFeatures.ForSearch(new FeatureSources());
        var (data, summary) = OutOfDomainData.Build(trainingFiles, catalogFiles, maxQueries, new ChineseTokenizer(), extractor, window,
            new SyncProgress<int>(n => { if (n % 1000 == 0) Log($"features for {n:N0} queries"); }));
        Log($"outside judgments: {summary.Titles:N0} titles, {summary.Queries:N0} queries ({summary.WithRelevant:N0} with a relevant title in the window), {summary.Rows:N0} rows, {extractor.Schema}");
        var files = string.Join(", ", trainingFiles);
        if (summary.Queries == 0) throw new ArgumentException($"--ood-train {files}: no query has a title graded 1 or more.");
        if (crossValidate && summary.Queries < options.Folds)
            throw new ArgumentException($"--ood-train {files}: {summary.Queries} queries with a relevant title cannot be cross-validated in {options.Folds} folds; give --folds 0 or more judgments.");
        var card = new ModelCard
        {
            Kind = KindName(options.Kind), Schema = extractor.Schema.ToString(), Features = extractor.Schema.Names.ToList(),
            Folds = crossValidate ? options.Folds : 0,
        };
        card.Data["judgments"] = $"{files} alone (first {summary.Queries:N0} queries with a relevant title, {summary.Rows:N0} rows); no judgment of the catalog it serves";
        card.Data["catalog"] = $"the judged titles{(catalogFiles.Length > 0 ? " and those of " + string.Join(", ", catalogFiles) : "")} ({summary.Titles:N0}), indexed in memory";
        card.Data["window"] = window.ToString(CultureInfo.InvariantCulture);
        card.RecordTrainingQueries(TextsOf(data));
        foreach (var (k, v) in options.LambdaMart.Describe()) card.Options["lambdamart." + k] = v;
        var model = CompareThenTrain(data, options, card, crossValidate, Log);
        RankerStore.Save(model, outDir, card);
        Console.WriteLine($"saved {model.Kind} ranker ({extractor.Schema}) trained on outside judgments only to {outDir} in {sw.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    // The texts of a dataset's query groups (those that carry one), for the card's fingerprints.
    internal static IEnumerable<string> TextsOf(RankingDataset data) => data.Groups.Select(g => g.Text).OfType<string>();

    // search / serve find the ranker's text towers as deep/ beside it: name them there, unless a deep folder is
    // already there (DIR/deep or a sibling).
    private static void NameTowersBeside(string outDir, IReadOnlyList<string> towers, Action<string> log)
    {
        if (ModelLocations.Deep(outDir) is not null) return;
        var file = DenseModels.WriteEnsemble(Path.Combine(outDir, "deep"), towers);
        log($"wrote {file} naming {towers.Count} tower{(towers.Count == 1 ? "" : "s")}");
    }

    // A stacked ranker's importance is its upper model's, whose columns end with the two stack columns.
    private static List<KeyValuePair<string, double>> ImportanceOf(IRankerModel model, double[] importance)
    {
        IReadOnlyList<string> names = model is IDerivedColumnsModel d ? [.. model.Schema.Names, .. d.DerivedNames] : model.Schema.Names;
        return importance.Select((v, i) => new KeyValuePair<string, double>(names[i], v)).Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ToList();
    }

    private static string KindName(CombinerKind kind) => kind switch
    {
        CombinerKind.LambdaMartBag => BaggedRanker.KindName,
        CombinerKind.LambdaMartTowers => TowerAveragedRanker.KindName,
        CombinerKind.LambdaMartTowersStack => TowerAveragedRanker.KindName + StackColumns.Linear.KindSuffix,
        CombinerKind.LambdaMartTowersTransfer => TowerAveragedRanker.KindName + StackColumns.Transfer.KindSuffix,
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var dir in Directory.GetDirectories(from)) CopyFolder(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    private static int NextItem(string[] eventFiles, long cut, string testUsersFile, NextItemSettings settings, RankerTrainingOptions options, string outDir)
    {
        if (eventFiles.Length == 0) throw new ArgumentException("Next-item mode needs --events.");
        var perSource = Guard.Positive(settings.PerSource, "--per-source");
        if (settings.InnerCuts < 2) throw new ArgumentException("--inner-cuts must be at least 2 (one to validate on, one or more to train on).");
        if (settings.StepHours < 1) throw new ArgumentException("--cut-step-hours must be positive.");
        if (settings.TowerEpochs < 0) throw new ArgumentException("--tower-epochs must not be negative.");
        var sw = Stopwatch.StartNew();
        void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");
        var events = UserHistories.ReadCsv(eventFiles);
        var test = EventFiles.ReadUsers(testUsersFile);
        // The eval-rec truth is every item a test user touches from the cut to the end of the data: combiner labels
        // use the same window length after each inner cut, binary, any behaviour.
        var horizon = events.Max(e => e.Timestamp) + 1 - cut;
        if (horizon <= 0) throw new ArgumentException($"--cut {cut}: no events at or after the cut.");
        Log($"{events.Count:N0} events, {test.Count} test users; label window {horizon / 3600.0:F1} h after each of {settings.InnerCuts} inner cuts {settings.StepHours} h apart (pre-cut events only)");
        var collabOptions = new CollabOptions();
        var tempRoot = Path.Combine(Path.GetTempPath(), "searchrec-nextitem-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var towers = new List<BehaviourScorer>();
        try
        {
            NextItemSources SourcesAt(long time, string name)
            {
                var before = events.Where(e => e.Timestamp < time).ToList();
                var models = CollabModels.Train(before, collabOptions);
                BehaviourScorer? tower = null;
                if (settings.TowerEpochs > 0)
                {
                    var dir = Path.Combine(tempRoot, name);
                    var report = DeepTraining.TrainBehaviour(before, dir, new DeepTrainingOptions { BehaviourEpochs = settings.TowerEpochs }, m => { });
                    tower = BehaviourScorer.Open(dir);
                    towers.Add(tower);
                    Log($"{name}: behaviour tower on {before.Count:N0} events, {report.Examples:N0} samples, {report.Elapsed.TotalSeconds:F1} s");
                }
                return new NextItemSources(models, ItemActivity.Build(before, time), tower);
            }

            var perCut = new RankingDataset[settings.InnerCuts + 1];
            var innerCuts = new long[settings.InnerCuts + 1];
            for (var d = 1; d <= settings.InnerCuts; d++)
            {
                // The first inner cut's label window ends at the cut; the others step back from it.
                var innerCut = innerCuts[d] = cut - horizon - (d - 1) * settings.StepHours * 3600L;
                if (innerCut <= events.Min(e => e.Timestamp)) throw new ArgumentException($"--inner-cuts {settings.InnerCuts} with --cut-step-hours {settings.StepHours} reaches before the first event.");
                var src = SourcesAt(innerCut, "inner-" + d.ToString(CultureInfo.InvariantCulture));
                var b = new RankingDatasetBuilder(NextItemRanking.Schema);
                NextItemRanking.AddTrainingData(b, src, events, innerCut, Math.Min(cut, innerCut + horizon), new HashSet<long>(), perSource, Log, keepEmpty: settings.Pointwise, idealWeights: settings.IdealWeights);
                perCut[d] = b.Build();
                Log($"inner cut {d} ({DateTimeOffset.FromUnixTimeSeconds(innerCut):yyyy-MM-dd HH:mm}Z): {(settings.Pointwise ? $"{perCut[d].Groups.Count} users, {Enumerable.Range(0, perCut[d].Groups.Count).Count(g => HasPositive(perCut[d], g))}" : $"{perCut[d].Groups.Count} users")} with a positive candidate, {perCut[d].Rows:N0} candidates");
            }

            // Choose LambdaMART settings on the last inner cut (trained on the earlier ones); the test users' truth is never seen.
            // Only inner cuts whose label window closes before the validation cut, so validation labels are never trained on.
            // A classifier learns from users without a pooled truth too; validation scores the same users either way.
            var validation = settings.Pointwise
                ? perCut[1].Subset(Enumerable.Range(0, perCut[1].Groups.Count).Where(g => HasPositive(perCut[1], g)).ToArray())
                : perCut[1];
            var (combinerName, trees) = settings.Pointwise ? ("pointwise", "pointwise trees") : ("lambdamart", "LambdaMART");
            var train = settings.Pointwise ? PointwiseTreeTrainer.Train : (Func<RankingDataset, LambdaMartOptions, (TreeEnsembleRanker, double[])>)LambdaMartTrainer.Train;
            var trainPart = Concat(Enumerable.Range(2, settings.InnerCuts - 1).Where(d => innerCuts[d] + horizon <= innerCuts[1]).Select(d => perCut[d]).ToArray());
            if (trainPart.Groups.Count == 0) throw new ArgumentException("No inner cut's label window closes before the validation cut; give more --inner-cuts.");
            var grid = settings.Grid ? LambdaGrid(options.LambdaMart) : [options.LambdaMart];
            // Truncation only shapes LambdaMART's gradients: under log-loss the grid's truncation-20 settings repeat others.
            if (settings.Pointwise) grid = grid.DistinctBy(g => (g.Engine, g.Trees, g.Leaves, g.LearningRate, g.MinRowsPerLeaf, g.FeatureFraction, g.Seed)).ToArray();
            var bestNdcg = double.NegativeInfinity;
            var chosen = options.LambdaMart;
            var validationModels = new List<TreeEnsembleRanker>();
            foreach (var g in grid)
            {
                var (vm, _) = train(trainPart, g);
                validationModels.Add(vm);
                var v = NextItemRanking.MeanNdcg(vm, validation, 20);
                Log(string.Create(CultureInfo.InvariantCulture, $"validation (latest inner cut, {validation.Groups.Count} users): {(settings.Pointwise ? "pointwise, " : "")}trees {g.Trees}, leaves {g.Leaves}, lr {g.LearningRate}, min leaf {g.MinRowsPerLeaf}{(settings.Pointwise ? "" : $", nDCG truncation {g.NdcgTruncation}")}: nDCG@20 {v:F4} (users with a positive candidate)"));
                if (v > bestNdcg) { bestNdcg = v; chosen = g; }
            }
            var averagedNdcg = grid.Length > 1 ? NextItemRanking.MeanNdcg(new BaggedRanker(NextItemRanking.Schema, validationModels), validation, 20) : double.NaN;
            if (grid.Length > 1)
                Log(string.Create(CultureInfo.InvariantCulture, $"validation: the {grid.Length} settings' models averaged: nDCG@20 {averagedNdcg:F6} (best single {bestNdcg:F6})"));
            // Every single source re-ranks the pool alone; the blend and repeat are logged, all of them are checked against the ranker below.
            var singles = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var single in NextItemRanking.SingleColumns)
            {
                var col = NextItemRanking.Schema.IndexOf(single);
                var w = new float[NextItemRanking.Schema.Count];
                w[col] = 1;
                singles[single] = NextItemRanking.MeanNdcg(new LinearRanker(NextItemRanking.Schema, new float[w.Length], Enumerable.Repeat(1f, w.Length).ToArray(), w, 0), validation, 20);
            }
            foreach (var single in new[] { "cf_blend", "cf_repeat" })
                Log(string.Create(CultureInfo.InvariantCulture, $"validation: {single} alone nDCG@20 {singles[single]:F4}"));
            var validationWarning = NextItemRanking.ValidationWarning(settings.AverageGrid ? averagedNdcg : bestNdcg, singles);
            var data = Concat(perCut.Skip(1).ToArray());
            // A classifier has no nDCG truncation: the pointwise settings leave it out.
            IEnumerable<KeyValuePair<string, string>> Describe(LambdaMartOptions g) => g.Describe().Where(kv => !settings.Pointwise || kv.Key != "ndcg_truncation");
            string Settings(LambdaMartOptions g) => string.Join(", ", Describe(g).Select(kv => kv.Key + " " + kv.Value));
            Log($"training on all inner cuts: {data.Groups.Count} groups, {data.Rows:N0} candidates; {trees} {(settings.AverageGrid ? $"{grid.Length} settings, averaged" : Settings(chosen))}");
            IRankerModel lambda;
            double[] importance;
            if (settings.AverageGrid)
            {
                var members = new List<TreeEnsembleRanker>();
                importance = new double[NextItemRanking.Schema.Count];
                foreach (var g in grid)
                {
                    var (m, imp) = train(data, g);
                    members.Add(m);
                    for (var f = 0; f < imp.Length; f++) importance[f] += imp[f] / grid.Length;
                    Log($"trained setting {members.Count}/{grid.Length} on all inner cuts: {Settings(g)}");
                }
                lambda = new BaggedRanker(NextItemRanking.Schema, members);
                Log($"averaging the {grid.Length} settings' models (--pick-best keeps the best one instead)");
            }
            else (lambda, importance) = train(data, chosen);
            var combiners = new Dictionary<string, IRankerModel>(StringComparer.Ordinal)
            {
                [combinerName] = lambda,
                ["linear"] = LinearTrainer.Train(data, options.Linear),
            };
            var final = SourcesAt(cut, "cut");
            var split = RecSplit.Create(events, cut, test);
            Log($"scoring {split.Test.Count} test users");
            string[] metricNames = ["hr@10", "ndcg@10", "hr@20", "recall@20", "ndcg@20"];
            var perUser = new Dictionary<string, Dictionary<string, double[]>>(StringComparer.Ordinal); // model → metric → per user
            var results = new Dictionary<string, double[]>(StringComparer.Ordinal); // sums in metricNames' order
            void Add(string name, int u, IReadOnlyList<long> ranked, HashSet<long> truth)
            {
                var grades = truth.ToDictionary(i => i, _ => 1);
                if (!results.TryGetValue(name, out var r))
                {
                    results[name] = r = new double[metricNames.Length];
                    perUser[name] = metricNames.ToDictionary(m => m, _ => new double[split.Test.Count], StringComparer.Ordinal);
                }
                double[] v = [RankingMetrics.HitRate(ranked, grades, 10), RankingMetrics.Ndcg(ranked, grades, 10), RankingMetrics.HitRate(ranked, grades, 20),
                    RankingMetrics.Recall(ranked, grades, 20), RankingMetrics.Ndcg(ranked, grades, 20)];
                for (var k = 0; k < v.Length; k++) { r[k] += v[k]; perUser[name][metricNames[k]][u] = v[k]; }
            }
            double poolTruths = 0, allTruths = 0, poolUsers = 0, poolSize = 0;
            for (var u = 0; u < split.Test.Count; u++)
            {
                var (user, history, truth) = split.Test[u];
                var h = new UserHistory(user, history.OrderByDescending(e => e.Timestamp).ToArray(), cut);
                foreach (var name in CollabModels.ScorerNames)
                    Add(name, u, final.Models.Scorer(name).TopK(h, 20).Select(x => x.ItemId).ToList(), truth);
                var (items, f) = NextItemRanking.Candidates(final, h, perSource);
                var inPool = items.Count(truth.Contains);
                poolTruths += inPool; allTruths += truth.Count; poolSize += items.Length;
                if (inPool > 0) poolUsers++;
                var oracle = items.Where(truth.Contains).Concat(items.Where(i => !truth.Contains(i))).Take(20).ToList();
                Add("oracle-pool", u, oracle, truth);
                foreach (var (name, model) in combiners)
                {
                    var scores = new float[items.Length];
                    model.Score(f, items.Length, scores);
                    Add("fused-" + name, u, Enumerable.Range(0, items.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(20).Select(i => items[i]).ToList(), truth);
                }
            }
            var users = Math.Max(1, split.Test.Count);
            Console.WriteLine($"next-item ranking, cut {cut}, {split.Test.Count} test users, candidates: top {perSource} of {string.Join(", ", NextItemRanking.Sources)} (mean pool {poolSize / users:F0} items)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pool ceiling: {poolTruths / Math.Max(1, allTruths):P1} of test truths in the pool; {poolUsers / users:P1} of users have one"));
            Console.WriteLine($"{"model",-20} {"HR@10",7} {"NDCG@10",8} {"HR@20",7} {"R@20",7} {"NDCG@20",8}");
            foreach (var (name, r) in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-20} {r[0] / users,7:F4} {r[1] / users,8:F4} {r[2] / users,7:F4} {r[3] / users,7:F4} {r[4] / users,8:F4}"));
            Console.WriteLine("(oracle-pool: the pool's truth items first, the most any re-ranking of this pool can reach)");
            var fused = results["fused-" + combinerName][4];
            var runs = results.Keys.Select(n => new RecModelRun(n, perUser[n])).ToList();
            var bestSingle = CollabModels.ScorerNames.Where(n => n != "blend").OrderByDescending(n => results[n][4]).First();
            foreach (var (label, names) in new[] { ("best single", CollabModels.ScorerNames.Where(n => n != "blend").ToArray()), ("best incl. blend", CollabModels.ScorerNames.ToArray()) })
            {
                var best = names.OrderByDescending(n => results[n][4]).First();
                var p = RecReport.Summarize(runs, best, ["ndcg@20"])["fused-" + combinerName]["ndcg@20"].PValue;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"fused-{combinerName} NDCG@20 {fused / users:F4} vs {label} ({best}) {results[best][4] / users:F4}: {(results[best][4] > 0 ? (fused / results[best][4] - 1) * 100 : 0):+0.0;-0.0}% (paired randomisation p = {p:F4})"));
            }
            Console.WriteLine("feature importance (gain): " + string.Join(", ", importance.Select((v, i) => (v, i)).Where(x => x.v > 0).OrderByDescending(x => x.v).Take(12)
                .Select(x => string.Create(CultureInfo.InvariantCulture, $"{NextItemRanking.Schema.Names[x.i]} {x.v:F2}"))));
            var card = new ModelCard { Kind = lambda.Kind, Schema = NextItemRanking.Schema.ToString(), Features = NextItemRanking.Schema.Names.ToList() };
            card.Data["events"] = string.Join(", ", eventFiles);
            card.Data["protocol"] = string.Create(CultureInfo.InvariantCulture,
                $"cut {cut}; binary labels (any behaviour within {horizon / 3600.0:F1} h) after {settings.InnerCuts} inner cuts {settings.StepHours} h apart, the latest one's window ending at the cut (pre-cut events only); {(settings.AverageGrid ? $"the {grid.Length} settings' models averaged (validation nDCG@20 on the latest inner cut {averagedNdcg:F4}, best single {bestNdcg:F4})" : $"settings chosen on the latest inner cut (validation nDCG@20 {bestNdcg:F4})")}; {split.Test.Count} test users; behaviour tower {settings.TowerEpochs} epochs");
            if (settings.IdealWeights) card.Options["next_item.ideal_weights"] = "true";
            if (settings.Pointwise) card.Options["next_item.loss"] = "pointwise (FastTree binary log-loss over every pooled candidate)";
            if (settings.AverageGrid) card.Options[$"{combinerName}.average_of"] = string.Join(" | ", grid.Select(Settings));
            else foreach (var (k, v) in Describe(chosen)) card.Options[$"{combinerName}.{k}"] = v;
            card.Importance = importance.Select((v, i) => new KeyValuePair<string, double>(NextItemRanking.Schema.Names[i], v)).Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ToList();
            foreach (var (name, r) in results)
                card.Metrics[name] = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["hr@20"] = r[2] / users, ["ndcg@20"] = r[4] / users, ["ndcg@10"] = r[1] / users };
            new NextItemRankerInfo(perSource, settings.TowerEpochs, cut).WriteTo(card);
            RankerStore.Save(combiners[combinerName], outDir, card);
            // The tower the test users were scored with (events before the cut) goes beside the ranker: the feed
            // (`serve --feed-ranker`) reads it; a ranker without one must not find an older run's.
            var towerDir = Path.Combine(outDir, NextItemRecommender.TowerFolder);
            if (Directory.Exists(towerDir)) Directory.Delete(towerDir, recursive: true);
            if (settings.TowerEpochs > 0) CopyFolder(Path.Combine(tempRoot, "cut"), towerDir);
            var reportPath = Path.Combine(outDir, "next-item-report.html");
            RecReport.Write(reportPath, "SearchRec next-item ranking", [
                string.Create(CultureInfo.InvariantCulture, $"Events: {string.Join(", ", eventFiles)}; cut {DateTimeOffset.FromUnixTimeSeconds(cut):yyyy-MM-dd HH:mm}Z; {split.Test.Count} test users from {testUsersFile}; truth: every item a test user touches in the {horizon / 3600.0:F1} h after the cut."),
                string.Create(CultureInfo.InvariantCulture, $"Candidates: top {perSource} of {string.Join(", ", NextItemRanking.Sources)} (mean pool {poolSize / users:F0} items); {poolTruths / Math.Max(1, allTruths):P1} of the test truths are in the pool. fused-*: combiners trained on {settings.InnerCuts} inner cuts before the cut ({(settings.AverageGrid ? $"the mean of {grid.Length} {trees} settings' models" : $"{trees} {Settings(chosen)}, chosen on the latest inner cut")}). oracle-pool: the pool's truths first, the bound of any re-ranking of this pool."),
            ], runs, bestSingle, metricNames);
            if (validationWarning is not null) Log(validationWarning);
            Log($"saved next-item {trees}{(settings.TowerEpochs > 0 ? " and its behaviour tower" : "")} to {outDir}; report {reportPath}; evaluate it with `searchrec eval-rec --model fused --ranker {outDir}`, serve it as the feed with `searchrec serve … --feed-ranker {outDir}`");
            return 0;
        }
        finally
        {
            foreach (var t in towers) t.Dispose();
            if (Directory.Exists(tempRoot)) Directory.Delete(tempRoot, recursive: true);
        }
    }

    /// <summary>Next-item mode settings from the command line.</summary>
    private sealed record NextItemSettings(int PerSource, int InnerCuts, int TowerEpochs, bool Grid, int StepHours, bool AverageGrid, bool IdealWeights, bool Pointwise = false);

    private static bool HasPositive(RankingDataset data, int group)
    {
        var g = data.Groups[group];
        for (var r = g.Start; r < g.Start + g.Count; r++)
            if (data.Labels[r] > 0) return true;
        return false;
    }

    private static RankingDataset Concat(RankingDataset[] parts)
    {
        var b = new RankingDatasetBuilder(NextItemRanking.Schema);
        foreach (var p in parts)
            foreach (var g in p.Groups)
                b.Add(g.QueryId, p.Features.AsSpan(g.Start * p.Schema.Count, g.Count * p.Schema.Count), p.Labels.AsSpan(g.Start, g.Count), p.Items.AsSpan(g.Start, g.Count), g.Judgments, g.Weight);
        return b.Build();
    }

    /// <summary>The LambdaMART settings tried on the validation cut (the command-line ones first).</summary>
    private static LambdaMartOptions[] LambdaGrid(LambdaMartOptions given)
    {
        LambdaMartOptions With(int trees, int leaves, double lr, int minLeaf, int truncation = 100) => new()
        {
            Engine = given.Engine, Trees = trees, Leaves = leaves, LearningRate = lr, MinRowsPerLeaf = minLeaf,
            FeatureFraction = given.FeatureFraction, Seed = given.Seed, NdcgTruncation = truncation,
        };
        // Truncation 20 follows the gradients of the metric reported (nDCG@20) instead of nDCG@100.
        return [given, With(100, 16, 0.1, 50), With(300, 8, 0.05, 100), With(300, 32, 0.05, 100), With(600, 16, 0.03, 200),
            With(given.Trees, given.Leaves, given.LearningRate, given.MinRowsPerLeaf, 20), With(600, 16, 0.03, 200, 20)];
    }

    internal static void PrintComparison(IReadOnlyList<ComparedRun> runs, int folds)
    {
        var reference = runs.Count > 0 ? runs[^1].Run.Name : "lambdamart";
        string Label(ComparedRun r) => r.IsCombiner ? r.Run.Name : "single:" + r.Run.Name;
        var width = Math.Max(22, runs.Count > 0 ? runs.Max(r => Label(r).Length) : 0);
        Console.WriteLine($"{"ranker".PadRight(width)} {"nDCG@10",8} {"95% CI",17} {"MRR@10",8} {"R@100",7}  p vs {reference}   ({folds}-fold CV by query; singles need no training)");
        foreach (var r in runs)
        {
            var p = double.IsNaN(r.PValueVsReference) ? "" : r.PValueVsReference.ToString("F4", CultureInfo.InvariantCulture);
            Console.WriteLine($"{Label(r).PadRight(width)} {r.Run.Ndcg10,8:F4} [{r.Ndcg10Ci.Low:F4}, {r.Ndcg10Ci.High:F4}] {r.Run.Mrr10,8:F4} {r.Run.Recall100,7:F4}  {p}");
        }
        var best = runs.Where(r => !r.IsCombiner).OrderByDescending(r => r.Run.Ndcg10).FirstOrDefault();
        var lm = runs.Last();
        if (best is not null)
            Console.WriteLine($"{lm.Run.Name} − best single ({best.Run.Name}) = {lm.Run.Ndcg10 - best.Run.Ndcg10:+0.0000;-0.0000} nDCG@10, paired randomisation p = {best.PValueVsReference:F4}");
    }
}
