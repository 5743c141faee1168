using System.CommandLine;
using System.Globalization;
using SearchRec.Core.Judgments;
using SearchRec.Core;
using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using SearchRec.Deep;
using SearchRec.Deep.Model;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation.Metrics;
using SearchRec.Index;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec train-deep</c>: trains the text two-tower model on the catalog (weak pairs + optional judged
/// pairs) and the behaviour towers on event logs, exports both to ONNX and stores the item vectors.
/// </summary>
public sealed class TrainDeepCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var catalog = new Option<string[]>("--catalog") { Description = "Catalog files (TSV id<TAB>title or JSONL). Repeat; records with the same id are merged (first title wins, later files add brand/category/attributes).", AllowMultipleArgumentsPerToken = true };
        var events = new Option<string[]>("--events") { Description = "Event logs user,item,category,behavior,timestamp (Taobao CSV). Repeat.", AllowMultipleArgumentsPerToken = true };
        var pairs = new Option<string?>("--pairs") { Description = "Judged pairs, TSV query<TAB>productId (relevant only)." };
        var models = new Option<string>("--models") { Description = "Output directory for towers, item vectors and deep-model.json.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (the model does not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var textEpochs = new Option<int>("--text-epochs") { Description = "Passes over the text pairs.", DefaultValueFactory = _ => 6 };
        var behaviourEpochs = new Option<int>("--behaviour-epochs") { Description = "Passes over the behaviour samples.", DefaultValueFactory = _ => 4 };
        var evalQueries = new Option<string?>("--eval-queries") { Description = "Evaluation queries (qid<TAB>query): never used for training (derived pairs equal to one are dropped); with --eval-qrels, dense recall is evaluated after training." };
        var evalQrels = new Option<string?>("--eval-qrels") { Description = "TREC qrels for --eval-queries." };
        var queryLog = new Option<string?>("--query-log") { Description = "Unjudged queries (qid<TAB>query): each becomes a weak pair with its BM25 top title when that title clearly wins (top score ≥ 1.2 × second)." };
        var evalUsers = new Option<string?>("--eval-users") { Description = "Test users for --eval-cut (a split-users file: a user id at the start of each line); default every user with events on both sides of the cut." };
        var separate = new Option<bool>("--separate-behaviour-towers") { Description = "Train the user and item towers with their own weights (default: tied)." };
        var noWords = new Option<bool>("--no-words") { Description = "Character n-grams only (no segmented words)." };
        var spans = new Option<int>("--spans-per-title") { Description = "Random title-span pairs derived per product.", DefaultValueFactory = _ => 6 };
        var pseudoRatio = new Option<double>("--pseudo-ratio") { Description = "--query-log: a query's BM25 top title becomes its pair when top score ≥ this × second (1 = always).", DefaultValueFactory = _ => 1.2 };
        var textDim = new Option<int>("--text-dim") { Description = "Text embedding width.", DefaultValueFactory = _ => 64 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden width of the tower MLPs.", DefaultValueFactory = _ => 128 };
        var dim = new Option<int>("--dim") { Description = "Output vector dimension.", DefaultValueFactory = _ => 64 };
        var noItemText = new Option<bool>("--no-item-text") { Description = "Item tower without the items' text vectors, even when a text model is trained too." };
        var idfOpt = new Option<bool>("--idf") { Description = "Weight each text-tower input id by its catalog IDF (default: all weigh 1)." };
        var hardNeg = new Option<bool>("--hard-negatives") { Description = "--query-log: add each pseudo-pair's BM25 runner-up title as a hard negative." };
        var pooling = new Option<string>("--pooling") { Description = "Text tower pooling: mean, attention (learned weights over the bag), sqrt (sum / √n) or max.", DefaultValueFactory = _ => "mean" };
        var cut = new Option<string?>("--eval-cut") { Description = "Unix seconds or an ISO 8601 time: train the behaviour towers on events before it and evaluate next items after it (Taobao protocol: 1512230400)." };
        var cmd = new Command("train-deep", "Train the deep two-tower models in C#, export them to ONNX and store item vectors.");
        foreach (var o in new Option[] { catalog, events, pairs, models, seed, threads, textEpochs, behaviourEpochs, evalQueries, evalQrels, cut, queryLog, noWords, evalUsers, separate, spans, pseudoRatio, textDim, hidden, dim, noItemText, idfOpt, hardNeg, pooling }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                return Run(pr.GetValue(catalog) ?? [], pr.GetValue(events) ?? [], pr.GetValue(pairs), OutputFiles.CheckFolder(pr.GetValue(models)!, "--models"),
                    new DeepTrainingOptions
                    {
                        Seed = pr.GetValue(seed), Threads = pr.GetValue(threads),
                        TextEpochs = pr.GetValue(textEpochs), BehaviourEpochs = pr.GetValue(behaviourEpochs),
                        ShareBehaviourTowers = !pr.GetValue(separate),
                        SpansPerTitle = pr.GetValue(spans), TextEmbeddingDim = pr.GetValue(textDim),
                        Hidden = pr.GetValue(hidden), OutputDim = pr.GetValue(dim), UseItemText = !pr.GetValue(noItemText), IdfWeights = pr.GetValue(idfOpt),
                        TextPooling = ParsePooling(pr.GetValue(pooling)),
                    },
                    pr.GetValue(evalQueries), pr.GetValue(evalQrels), pr.GetValue(cut) is string cutText ? EventFiles.ParseTime(cutText, "--eval-cut") : null, pr.GetValue(queryLog), !pr.GetValue(noWords), pr.GetValue(evalUsers), pr.GetValue(pseudoRatio), pr.GetValue(hardNeg));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or FormatException)
            {
                Console.Error.WriteLine($"train-deep: {CliErrors.Message(e, nameof(DeepTrainingOptions), FlagOf)}");
                return 2;
            }
        });
        return cmd;
    }

    private static string? FlagOf(string property) => property switch
    {
        nameof(DeepTrainingOptions.Threads) => "--threads",
        nameof(DeepTrainingOptions.TextEmbeddingDim) => "--text-dim",
        nameof(DeepTrainingOptions.Hidden) => "--hidden",
        nameof(DeepTrainingOptions.OutputDim) => "--dim",
        nameof(DeepTrainingOptions.TextEpochs) => "--text-epochs",
        nameof(DeepTrainingOptions.BehaviourEpochs) => "--behaviour-epochs",
        nameof(DeepTrainingOptions.SpansPerTitle) => "--spans-per-title",
        _ => null,
    };

    private static BagPooling ParsePooling(string? s) =>
        Enum.TryParse<BagPooling>(s, ignoreCase: true, out var p) && Enum.IsDefined(p) && !int.TryParse(s, out _)
            ? p
            : throw new ArgumentException($"--pooling: '{s}' is not one of mean, sqrt, max, attention.");

    internal static void Log(string m) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {m}");

    private static int Run(string[] catalogs, string[] eventFiles, string? pairsFile, string modelsDir, DeepTrainingOptions options,
        string? evalQueries, string? evalQrels, long? cut, string? queryLog, bool words, string? evalUsers, double pseudoRatio, bool hardNegatives)
    {
        if (catalogs.Length == 0 && eventFiles.Length == 0)
        {
            Console.Error.WriteLine("train-deep: give --catalog (text model) and/or --events (behaviour model).");
            return 2;
        }
        // Each of these was ignored without its partner: the towers were saved without the evaluation or pairs asked for.
        foreach (var (given, message) in new[]
        {
            (evalQrels is not null && evalQueries is null, "--eval-qrels needs --eval-queries (the queries they judge)"),
            (evalUsers is not null && cut is null, "--eval-users needs --eval-cut (the cut the users are evaluated at)"),
            (cut is not null && eventFiles.Length == 0, "--eval-cut needs --events (it evaluates the behaviour towers)"),
            (hardNegatives && queryLog is null, "--hard-negatives needs --query-log (the pseudo-pairs whose runner-up titles they are)"),
        })
            if (given)
            {
                Console.Error.WriteLine($"train-deep: {message}.");
                return 2;
            }
        // A missing file was reported without its option ("Could not find file …" for --pairs), and only after the catalogs were read.
        foreach (var (flag, path) in new[] { ("--pairs", pairsFile), ("--query-log", queryLog), ("--eval-queries", evalQueries), ("--eval-qrels", evalQrels), ("--eval-users", evalUsers) })
            if (path is not null && !File.Exists(path))
            {
                Console.Error.WriteLine($"train-deep: {flag}: '{path}' does not exist.");
                return 2;
            }
        // NaN or infinity made every query fail "top ≥ ratio × second", so --query-log silently added nothing.
        if (!(pseudoRatio >= 1 && double.IsFinite(pseudoRatio)))
        {
            Console.Error.WriteLine($"train-deep: --pseudo-ratio must be a finite number of at least 1 (1 = always), not {pseudoRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
            return 2;
        }
        Dictionary<string, string>? queries = null;
        if (evalQueries is not null)
        {
            queries = ReadQueries(evalQueries);
            options.ExcludeQueries = new HashSet<string>(queries.Values, QueryTextComparer.Instance);
        }
        options.Validate();
        // The library allows 0 to go on from a loaded tower; from the command line it would save an untrained one.
        if (catalogs.Length > 0 && options.TextEpochs == 0)
        {
            Console.Error.WriteLine("train-deep: --text-epochs must be at least 1 with --catalog: with 0 the text tower would be saved untrained, ranking at random.");
            return 2;
        }
        if (eventFiles.Length > 0 && options.BehaviourEpochs == 0)
        {
            Console.Error.WriteLine("train-deep: --behaviour-epochs must be at least 1 with --events: with 0 the behaviour towers would be saved untrained.");
            return 2;
        }
        // Every input is read before a tower is saved: one refused after the text tower (an events file, the qrels, the
        // test users) left a new tower and manifest in --models and exit code 2.
        var all = eventFiles.Length > 0 ? ReadEvents(eventFiles) : null;
        if (all is { Count: 0 }) throw new InvalidDataException($"no event could be read from {string.Join(", ", eventFiles)}: expected lines 'user,item,category,pv|fav|cart|buy,timestamp'.");
        var judgments = evalQrels is null ? null : JudgmentReader.ReadQrels(evalQrels, CliErrors.Note);
        var testUsers = evalUsers is null ? null : EventFiles.ReadUsers(evalUsers, "--eval-users");
        var train = all is null ? null : cut is { } before ? all.Where(e => e.Timestamp < before).ToList() : all;
        if (train is not null && DeepTraining.NextItemSamples(train) is var samples and < 2)
            throw new InvalidDataException($"the events{(cut is null ? "" : " before --eval-cut")} give {samples} next-item samples; the behaviour towers need at least 2 (users with two or more distinct consecutive items).");
        if (catalogs.Length > 0)
        {
            var products = ReadCatalogs(catalogs);
            var judged = pairsFile is null ? [] : KnownPairs(pairsFile, ReadPairs(pairsFile), products);
            var tokenizer = words ? new ChineseTokenizer() : null;
            using var index = queryLog is not null || evalQrels is not null ? ProductIndex.Build(products, new IndexOptions()) : null;
            var negatives = new List<string?>();
            var weak = queryLog is null ? [] : PseudoPairs(index!, ReadQueries(queryLog), options.ExcludeQueries, pseudoRatio, negatives);
            var report = DeepTraining.TrainText(products, judged, modelsDir, options, tokenizer, Log, weak, hardNegatives ? negatives : null);
            Print(report);
            if (queries is not null && judgments is not null)
            {
                using var scorer = DeepScorer.Open(modelsDir, tokenizer: tokenizer);
                Say(DenseEvalModule.Report(index!, scorer, queries, judgments).Line);
            }
        }
        if (all is not null && train is not null)
        {
            var report = DeepTraining.TrainBehaviour(train, modelsDir, options, Log);
            Print(report);
            if (cut is { } c) EvaluateBehaviour(modelsDir, all, c, testUsers);
        }
        WriteCard(modelsDir, options);
        return 0;
    }

    private static readonly List<string> Card = [];

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Card.Add(line);
    }

    private static void WriteCard(string modelsDir, DeepTrainingOptions o)
    {
        var path = Path.Combine(modelsDir, "deep-model-card.md");
        var lines = new List<string>
        {
            "# Deep model card", "",
            "Two-tower model trained by `searchrec train-deep` (see docs/deep-model.md for the architecture).", "",
            $"- seed {o.Seed}, threads {o.Threads} (the result does not depend on the thread count)",
            $"- loss: sampled softmax over in-batch negatives, batch {o.BatchSize}, temperature {o.Temperature}",
            $"- Adam: dense lr {o.LearningRate}, embedding rows lr {o.EmbeddingLearningRate} (lazy); epochs: text {o.TextEpochs}, behaviour {o.BehaviourEpochs}",
            $"- text tower: {o.Text.Buckets} buckets × {o.TextEmbeddingDim} → {o.Hidden} → {o.OutputDim}; {o.SpansPerTitle} title-span pairs per product, judged pairs ×{o.JudgedPairRepeats}",
            $"- behaviour towers ({(o.ShareBehaviourTowers ? "tied" : "separate")}): {o.Behaviour.ItemBuckets}+{o.Behaviour.CategoryBuckets} ids × {o.BehaviourEmbeddingDim} → {o.Hidden} → {o.OutputDim}; history {o.Behaviour.HistoryLength} events, half-life {o.Behaviour.HalfLife}",
            $"- text tower pooling: {o.TextPooling.ToString().ToLowerInvariant()}",
            $"- text inputs weighted by catalog IDF: {(o.IdfWeights ? "yes" : "no")}; item tower takes text vectors when event ids are catalog ids: {(o.UseItemText ? "yes" : "no")} (text-only dropout {o.ItemTextDropout})",
            "", "## This run", "", "```",
        };
        lines.AddRange(Card);
        lines.Add("```");
        File.WriteAllLines(path, lines);
        Log($"model card: {path}");
    }

    private static void Print(DeepTrainingReport r)
    {
        Say($"{r.Tower}: {r.Examples:N0} training pairs, {r.EpochLoss.Count} epochs, loss {string.Join(" → ", r.EpochLoss.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)))}, {r.Elapsed.TotalSeconds:F1} s");
        foreach (var (file, bytes) in r.FileBytes) Say($"  {file}: {bytes / 1048576.0:F1} MiB");
    }

    internal static List<Product> ReadCatalogs(string[] paths) => ReadCatalogs(paths, [], addNew: true);

    /// <summary>
    /// Reads catalog files merged into <paramref name="seed"/> by id (first title wins; later records add brand,
    /// category, attributes and price). Without <paramref name="addNew"/>, products absent from the seed are skipped.
    /// </summary>
    internal static List<Product> ReadCatalogs(string[] paths, IReadOnlyList<Product> seed, bool addNew)
    {
        var merged = new List<Product>(seed);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var k = 0; k < merged.Count; k++) index.TryAdd(merged[k].Id, k);
        foreach (var path in paths)
        {
            var import = CatalogReader.ReadFiles([path]);
            if (import.UnreadableFiles.Count > 0) throw new FileNotFoundException($"catalog '{path}' does not exist.", path);
            foreach (var p in import.Problems.Take(5)) Log($"catalog: {p}");
            Log($"catalog {path}: {import.Summary}");
            foreach (var p in import.Products)
            {
                if (!index.TryGetValue(p.Id, out var i))
                {
                    if (addNew) { index[p.Id] = merged.Count; merged.Add(p); }
                    continue;
                }
                var old = merged[i];
                var attrs = new Dictionary<string, IReadOnlyList<string>>(old.Attributes, StringComparer.Ordinal);
                foreach (var (k, v) in p.Attributes) attrs.TryAdd(k, v);
                merged[i] = old with
                {
                    Brand = old.Brand ?? p.Brand,
                    Category = old.Category.Count > 0 ? old.Category : p.Category,
                    Attributes = attrs,
                    Price = old.Price ?? p.Price,
                };
            }
        }
        if (merged.Count == 0) throw new InvalidDataException("the catalogs hold no valid product.");
        return merged;
    }

    private static List<(string Query, string ProductId, int Line)> ReadPairs(string path)
    {
        var list = new List<(string, string, int)>();
        var n = 0;
        foreach (var line in SearchRec.Core.TextFiles.ReadLines(path))
        {
            n++;
            if (line.Length == 0) continue;
            var parts = line.Split('\t');
            if (parts.Length < 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
                throw new InvalidDataException($"{path}:{n}: expected 'query<TAB>productId'.");
            list.Add((parts[0].Trim(), parts[1].Trim(), n));
        }
        return list;
    }

    // A pair whose product is not in the catalog cannot be trained on: say which lines, and refuse a file with none.
    internal static List<(string, string)> KnownPairs(string path, IReadOnlyList<(string Query, string ProductId, int Line)> pairs, IReadOnlyList<Product> products)
    {
        var ids = new HashSet<string>(products.Count, StringComparer.Ordinal);
        foreach (var p in products) ids.Add(p.Id);
        var known = new List<(string, string)>(pairs.Count);
        var unknown = 0;
        foreach (var (query, id, line) in pairs)
        {
            if (ids.Contains(id)) { known.Add((query, id)); continue; }
            if (unknown++ < 5) Log($"--pairs: {path}:{line}: product '{id}' is not in the catalog; pair skipped");
        }
        if (unknown > 5) Log($"--pairs: ... and {unknown - 5:N0} more pairs whose product is not in the catalog");
        if (pairs.Count > 0 && known.Count == 0)
            throw new InvalidDataException($"--pairs: {path}: none of its {pairs.Count:N0} pairs names a product of the catalog (first: line {pairs[0].Line}, product '{pairs[0].ProductId}').");
        Log($"--pairs: {known.Count:N0} judged pairs from {path}");
        return known;
    }

    internal static Dictionary<string, string> ReadQueries(string path)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, text) in JudgmentReader.ReadQueries(path)) d[id] = text;
        return d;
    }

    internal static List<UserEvent> ReadEvents(string[] paths)
    {
        var list = new List<UserEvent>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"events '{path}' do not exist.", path);
            var n = 0; var bad = 0;
            foreach (var line in SearchRec.Core.TextFiles.ReadLines(path))
            {
                n++;
                var f = line.Split(',');
                if (f.Length != 5 || !long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var u)
                    || !long.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                    || !long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c)
                    || !BehaviorNames.TryParse(f[3], out var b)
                    || !long.TryParse(f[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t))
                {
                    if (bad++ < 5) Log($"{path}:{n}: skipped, expected 'user,item,category,pv|fav|cart|buy,timestamp'");
                    continue;
                }
                list.Add(new UserEvent(u, i, c, b, t));
            }
            Log($"events {path}: {list.Count:N0} read, {bad:N0} skipped");
        }
        return list;
    }

    private static List<(string, string)> PseudoPairs(ProductIndex index, Dictionary<string, string> log, IReadOnlySet<string>? exclude, double ratio, List<string?> runnersUp)
    {
        var pairs = new List<(string, string)>();
        var seen = 0;
        var tick = System.Diagnostics.Stopwatch.StartNew();
        foreach (var q in log.Values)
        {
            seen++;
            if (tick.ElapsedMilliseconds > 3000) { tick.Restart(); Log($"query log: {seen:N0}/{log.Count:N0} queries, {pairs.Count:N0} pairs"); }
            if (q.Length == 0 || exclude?.Contains(q) == true) continue;
            var top = index.Recall(new RecallRequest(q) { TopN = 2 });
            if (top.Count == 0) continue;
            if (top.Count == 1 || top[0].Score >= ratio * top[1].Score)
            {
                pairs.Add((q, top[0].ProductId));
                runnersUp.Add(top.Count > 1 ? top[1].ProductId : null);
            }
        }
        Log($"query log: {pairs.Count:N0} weak pairs from {log.Count:N0} queries");
        return pairs;
    }


    private static void EvaluateBehaviour(string modelsDir, List<UserEvent> all, long cut, IReadOnlySet<long>? users)
    {
        using var scorer = BehaviourScorer.Open(modelsDir);
        var result = BehaviourEvaluation.Run(scorer, all, cut, [10, 20], users);
        Say($"behaviour tower, Taobao protocol (cut {cut}): {result.Users} test users");
        foreach (var (k, hr, recall, ndcg) in result.Rows)
            Say($"  K={k}: HR {hr:F3}  Recall {recall:F3}  NDCG {ndcg:F3}");
        foreach (var (segment, n, k, hr, recall) in result.Segments)
            if (n > 0) Say($"  {segment} items (≤ {(segment == "cold" ? 0 : BehaviourEvaluation.RareMaxEvents)} training events), {n} users, K={k}: HR {hr:F3}  Recall {recall:F3}");
    }
}
