using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Core.Judgments;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// Settings of the distilled rankers (<c>dense-distilled</c>, <c>bm25+dense-distilled</c>), read from
/// <c>distill.json</c> in the <c>--models</c> directory. Relative paths are resolved against that directory.
/// </summary>
internal sealed class DistillSettings
{
    internal const string FileName = "distill.json";

    /// <summary>Unjudged queries (<c>qid&lt;TAB&gt;query</c>) the teacher labels. Required.</summary>
    public string QueryLog { get; set; } = "";
    /// <summary>Extra catalog files whose brand, category and attributes enrich the indexed products' weak pairs. Default none.</summary>
    public string[] Catalogs { get; set; } = [];
    /// <summary>Query-log queries labelled (the first ones, after dropping evaluation queries and repeats). Default 30,000.</summary>
    public int Queries { get; set; } = 30_000;
    /// <summary>BM25 candidates of each query-log query the teacher re-ranks. Default 20.</summary>
    public int Candidates { get; set; } = 20;
    /// <summary>Text tower epochs. Default 6.</summary>
    public int Epochs { get; set; } = 6;
    /// <summary>Least gap between the teacher's first and second score for a query to become a pair. Default 0.</summary>
    public float MinMargin { get; set; }
    /// <summary>Keep a query only where the teacher overrules BM25's first candidate. Default false.</summary>
    public bool OverruledOnly { get; set; }
    /// <summary>Hard negatives per query (one training pair each; see <see cref="TeacherPairs.PickMany"/>). Default 1.</summary>
    public int Negatives { get; set; } = 1;
    /// <summary>Times the pairs of a query where the teacher overrules BM25 are repeated. Default 1.</summary>
    public int OverruledRepeats { get; set; } = 1;
    /// <summary>Settings of the <c>-residual</c> rankers. Default: <see cref="ResidualSettings"/>'s defaults.</summary>
    public ResidualSettings Residual { get; set; } = new();

    internal static DistillSettings Read(string modelsDir)
    {
        var path = Path.Combine(modelsDir, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"the distilled rankers need {path}: {{\"queryLog\": \"…/query-log.tsv\", \"catalogs\": [], \"queries\": 30000, \"candidates\": 20, \"epochs\": 6}}", path);
        DistillSettings s;
        // Unknown keys are refused: a misspelt setting ("candidate") was dropped and its default used without a word.
        try
        {
            s = JsonSerializer.Deserialize<DistillSettings>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow })
                ?? throw new InvalidDataException($"{path}: empty settings.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        s.Validate(path);
        // GetFullPath(path, base) needs a rooted base: a relative --models (out/m) refused every relative path with
        // "Basepath argument is not fully qualified".
        var dir = Path.GetFullPath(modelsDir);
        s.QueryLog = Path.GetFullPath(s.QueryLog, dir);
        s.Catalogs = [.. s.Catalogs.Select(c => Path.GetFullPath(c, dir))];
        if (s.Residual.Init is { } init) s.Residual.Init = Path.GetFullPath(init, dir);
        // Checked here, not when first read: a missing file surfaced only after a fold's teacher had been trained.
        if (!File.Exists(s.QueryLog)) throw new InvalidDataException($"{path}: queryLog '{s.QueryLog}' does not exist.");
        foreach (var c in s.Catalogs)
            if (!File.Exists(c)) throw new InvalidDataException($"{path}: catalogs: '{c}' does not exist.");
        if (s.Residual.Init is { } from && !Directory.Exists(from)) throw new InvalidDataException($"{path}: residual.init '{from}' is not a folder.");
        return s;
    }

    internal void Validate(string file)
    {
        if (string.IsNullOrWhiteSpace(QueryLog)) throw new InvalidDataException($"{file}: queryLog is required (an unjudged query file).");
        if (Queries < 1) throw new InvalidDataException($"{file}: queries must be positive (was {Queries}).");
        if (Candidates < 2) throw new InvalidDataException($"{file}: candidates must be at least 2 (was {Candidates}).");
        if (Epochs < 1) throw new InvalidDataException($"{file}: epochs must be positive (was {Epochs}).");
        if (!(MinMargin >= 0)) throw new InvalidDataException($"{file}: minMargin must be non-negative (was {MinMargin}).");
        if (Negatives < 1) throw new InvalidDataException($"{file}: negatives must be at least 1 (was {Negatives}).");
        if (OverruledRepeats < 1) throw new InvalidDataException($"{file}: overruledRepeats must be at least 1 (was {OverruledRepeats}).");
        if (Catalogs is null) throw new InvalidDataException($"{file}: catalogs must be a list of files.");
        if (Residual is null) throw new InvalidDataException($"{file}: residual must be an object.");
        Residual.Validate(file);
    }
}

/// <summary>
/// Settings of the residual rankers (<c>dense-residual</c>, <c>bm25+dense-residual</c>): the <c>residual</c> object of
/// <c>distill.json</c>. The tower is first trained on the catalog's weak pairs (<c>epochs</c> of <see cref="DistillSettings"/>),
/// then on the query log's BM25 candidate lists with the teacher's pick as target and BM25 as a fixed logit offset.
/// </summary>
internal sealed class ResidualSettings
{
    /// <summary>Passes over the candidate lists. Default 2.</summary>
    public int Epochs { get; set; } = 2;
    /// <summary>The fusion weight α on the cosine the lists are trained for (β = (1 − α)/(α·τ)). Default 0.3.</summary>
    public double FusionWeight { get; set; } = 0.3;
    /// <summary>Other lists' candidates as extra negatives at the row's smallest offset. Default false.</summary>
    public bool InBatch { get; set; }
    /// <summary>
    /// A models directory (relative to the <c>--models</c> one; <c>"."</c> is that one) whose text tower the lists
    /// fine-tune; the weak-pair epochs are then skipped. Default null: a fresh tower trained on the catalog's weak pairs first.
    /// </summary>
    public string? Init { get; set; }
    /// <summary>Towers in the <c>-residual-ens</c> rankers' ensemble (tower seeds seed, seed + 1, …). Default 3.</summary>
    public int Ensemble { get; set; } = 3;

    internal const int MaxEnsemble = 16;

    internal void Validate(string file)
    {
        if (Epochs < 1) throw new InvalidDataException($"{file}: residual.epochs must be positive (was {Epochs}).");
        if (Ensemble < 1 || Ensemble > MaxEnsemble) throw new InvalidDataException($"{file}: residual.ensemble must be between 1 and {MaxEnsemble} (was {Ensemble}).");
        if (!(FusionWeight > 0 && FusionWeight < 1)) throw new InvalidDataException($"{file}: residual.fusionWeight must be in (0, 1) (was {FusionWeight}).");
    }
}

/// <summary>
/// Distils a judged teacher into the text tower, per cross-validation fold: a LambdaMART over BM25 and text features
/// (no deep features, so nothing circular) is trained on the fold's training queries only; it re-ranks BM25's top
/// candidates of unjudged query-log queries; its top candidate becomes each query's positive (BM25's top the hard
/// negative where the teacher overrules it); and the text tower is trained on these pairs plus the catalog's weak
/// pairs. No held-out query or judgment reaches the teacher, the tower or the fusion weight.
/// </summary>
internal sealed class DistillState
{
    private const int TeacherWindow = 200;
    private static readonly ConditionalWeakTable<EvalContext, DistillState> States = new();
    private readonly EvalContext _context;
    private readonly DistillSettings _settings;
    private readonly string _modelsDir;
    private readonly FeatureExtractor _extractor;
    private readonly ITokenizer _tokenizer = new ChineseTokenizer();
    private readonly Lazy<LogSample> _log;
    private readonly Lazy<List<Product>> _products;
    private readonly ConcurrentDictionary<string, Lazy<DeepScorer>> _towers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<DeepScorer>> _residual = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<TowerEnsemble>> _ensembles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<double>> _nested = new(StringComparer.Ordinal);
    internal const int HalfSeed = 17;
    private readonly ConcurrentDictionary<string, Lazy<(IRankerModel Model, int Fold)>> _teachers = new(StringComparer.Ordinal);
    private int _folds;

    // Bm25: each candidate's BM25 score divided by the query's top score, as the bm25+dense fusion normalises it.
    private sealed record LogSample(string[] Queries, string[][] Ids, float[][] Features, float[][] Bm25);

    private DistillState(EvalContext context)
    {
        _context = context;
        _modelsDir = context.ModelsDirectory ?? throw new ArgumentException("the distilled rankers need --models DIR holding distill.json.");
        _settings = DistillSettings.Read(_modelsDir);
        // BM25 and text features only: the teacher must not see any deep score.
        _extractor = StandardFeatures.ForSearch(new FeatureSources { Products = context.Index.GetProduct });
        _log = new Lazy<LogSample>(ReadLog);
        _products = new Lazy<List<Product>>(() => TrainDeepCommand.ReadCatalogs(_settings.Catalogs, context.Catalog, addNew: false));
    }

    internal static DistillState For(EvalContext context) => States.GetValue(context, c => new DistillState(c));

    /// <summary>The tower distilled for these training queries (trained once, shared by the distilled rankers).</summary>
    internal DeepScorer Tower(IReadOnlyList<EvalQuery> train) =>
        _towers.GetOrAdd(Key(train), _ => new Lazy<DeepScorer>(() => TrainFold(train))).Value;

    /// <summary>The residual tower of these training queries (trained once, shared by the residual rankers).</summary>
    internal DeepScorer ResidualTower(IReadOnlyList<EvalQuery> train) =>
        _residual.GetOrAdd(Key(train), _ => new Lazy<DeepScorer>(() => TrainResidualFold(train))).Value;

    /// <summary>The residual ensemble of these training queries (trained once, shared by the <c>-residual-ens</c> rankers).</summary>
    internal TowerEnsemble ResidualEnsemble(IReadOnlyList<EvalQuery> train) =>
        _ensembles.GetOrAdd(Key(train), _ => new Lazy<TowerEnsemble>(() => TrainResidualEnsemble(train))).Value;

    /// <summary>
    /// The fusion weight of the residual ensemble chosen on queries its teacher did not see: the training queries are
    /// split into halves A / B by text (<see cref="NestedHalves"/>); a teacher on one half labels the lists,
    /// an ensemble is trained from them and its fusion scored on the other half; the weight with the best mean nDCG@10
    /// over both halves' queries wins (computed once per training set).
    /// </summary>
    internal double NestedResidualWeight(IReadOnlyList<EvalQuery> train) =>
        _nested.GetOrAdd(Key(train), _ => new Lazy<double>(() => ChooseNestedWeight(train))).Value;

    /// <summary>The fusion weight the residual towers are trained for (<c>residual.fusionWeight</c>).</summary>
    internal double ResidualFusionWeight => _settings.Residual.FusionWeight;

    private static string Key(IReadOnlyList<EvalQuery> train) => string.Join('\n', train.Select(q => q.Id).Order(StringComparer.Ordinal));

    // The fold's teacher, trained once whichever tower asks first.
    private (IRankerModel Model, int Fold) Teacher(IReadOnlyList<EvalQuery> train) =>
        _teachers.GetOrAdd(Key(train), _ => new Lazy<(IRankerModel, int)>(() => TrainTeacher(train))).Value;

    private void Report(string line) => _context.Log?.Report("distill: " + line);

    private (string[] Ids, float[] Features, float[] Bm25) Features(string text, int topN)
    {
        var recalled = _context.Index.Recall(new RecallRequest(text) { TopN = topN });
        var ids = new string[recalled.Count];
        var bm25 = new float[recalled.Count];
        var window = new RankingCandidate[recalled.Count];
        // Same normalisation as DenseEvalModule.Candidates: divided by the top score (BM25's first is the max).
        var max = recalled.Count > 0 && recalled[0].Score > 0 ? recalled[0].Score : 1f;
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = recalled[i].ProductId;
            bm25[i] = recalled[i].Score / max;
            window[i] = new RankingCandidate(recalled[i], _context.Index.GetProduct(ids[i]) ?? Product.Of(ids[i], ""));
        }
        return (ids, ids.Length == 0 ? [] : _extractor.Extract(RankingQuery.Create(text, _tokenizer), window), bm25);
    }

    private LogSample ReadLog()
    {
        var sw = Stopwatch.StartNew();
        var evalTexts = new HashSet<string>(_context.Queries.Select(q => q.Text.Trim()), StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queries = new List<string>(_settings.Queries);
        foreach (var (_, text) in JudgmentReader.ReadQueries(_settings.QueryLog))
        {
            var t = text.Trim();
            if (t.Length == 0 || evalTexts.Contains(t) || !seen.Add(t)) continue;
            queries.Add(t);
            if (queries.Count >= _settings.Queries) break;
        }
        var ids = new string[queries.Count][];
        var features = new float[queries.Count][];
        var bm25 = new float[queries.Count][];
        var done = 0;
        var tick = Stopwatch.StartNew();
        Parallel.For(0, queries.Count, i =>
        {
            (ids[i], features[i], bm25[i]) = Features(queries[i], _settings.Candidates);
            var n = Interlocked.Increment(ref done);
            if (tick.ElapsedMilliseconds > 3000)
                lock (tick)
                    if (tick.ElapsedMilliseconds > 3000) { tick.Restart(); Report($"BM25 candidates and features of the query log: {n:N0}/{queries.Count:N0}"); }
        });
        Report($"{queries.Count:N0} query-log queries (evaluation queries dropped), top {_settings.Candidates} BM25 candidates with features, in {sw.Elapsed.TotalSeconds:F0} s");
        return new LogSample([.. queries], ids, features, bm25);
    }

    private (IRankerModel Model, int Fold) TrainTeacher(IReadOnlyList<EvalQuery> train)
    {
        var fold = Interlocked.Increment(ref _folds);
        return (TrainTeacher(train, $"fold {fold}"), fold);
    }

    private IRankerModel TrainTeacher(IReadOnlyList<EvalQuery> train, string label)
    {
        var sw = Stopwatch.StartNew();
        var builder = new RankingDatasetBuilder(_extractor.Schema);
        foreach (var q in train)
        {
            var judged = _context.Qrels.For(q.Id);
            if (judged.Count == 0) continue;
            var (ids, features, _) = Features(q.Text, TeacherWindow);
            var labels = new float[ids.Length];
            for (var i = 0; i < ids.Length; i++) labels[i] = judged.TryGetValue(ids[i], out var g) ? Math.Max(0, g) : 0;
            builder.Add(q.Id, features, labels, ids, judged);
        }
        if (builder.GroupCount == 0) throw new ArgumentException($"{label}: no training query has judgments; the teacher cannot be trained.");
        var (teacher, _) = RankerTrainer.Train(builder.Build(), new RankerTrainingOptions { Kind = CombinerKind.LambdaMart, Seed = _context.Seed });
        Report($"{label}: teacher LambdaMART ({_extractor.Schema.Count} BM25 and text features) trained on {builder.GroupCount} training queries in {sw.Elapsed.TotalSeconds:F0} s");
        return teacher;
    }

    private DeepScorer TrainFold(IReadOnlyList<EvalQuery> train)
    {
        var sw = Stopwatch.StartNew();
        var (teacher, fold) = Teacher(train);
        var log = _log.Value;
        var pairs = new List<(string Query, string ProductId)>(log.Queries.Length);
        var negatives = new List<string?>(log.Queries.Length);
        var scores = new float[_settings.Candidates];
        int overruled = 0, unsure = 0;
        for (var i = 0; i < log.Queries.Length; i++)
        {
            var n = log.Ids[i].Length;
            if (n == 0) continue;
            teacher.Score(log.Features[i], n, scores);
            var picked = TeacherPairs.PickMany(log.Queries[i], log.Ids[i], scores.AsSpan(0, n), _settings.Negatives, _settings.MinMargin);
            if (picked.Count == 0) { unsure++; continue; }
            var over = picked[0].Positive != log.Ids[i][0];
            if (over) overruled++;
            else if (_settings.OverruledOnly) continue;
            for (var r = over ? _settings.OverruledRepeats : 1; r > 0; r--)
                foreach (var p in picked)
                {
                    pairs.Add((p.Query, p.Positive));
                    negatives.Add(p.Negative);
                }
        }
        Report($"fold {fold}: {pairs.Count:N0} teacher-labelled pairs ({_settings.Negatives} hard negatives per query, overruled ×{_settings.OverruledRepeats}); the teacher overrules BM25's top on {overruled:N0} queries ({100.0 * overruled / Math.Max(1, log.Queries.Length):F1} %), {unsure:N0} dropped as unsure");

        var dir = Path.Combine(_modelsDir, "distilled", $"seed{_context.Seed}-fold{fold}");
        var options = new DeepTrainingOptions
        {
            Seed = _context.Seed, TextEpochs = _settings.Epochs,
            ExcludeQueries = new HashSet<string>(_context.Queries.Select(q => q.Text.Trim()), QueryTextComparer.Instance),
        };
        DeepTraining.TrainText(_products.Value, [], dir, options, _tokenizer, m => Report($"fold {fold}: {m}"), pairs, negatives);
        Report($"fold {fold}: distilled tower in {dir} ({sw.Elapsed.TotalSeconds:F0} s for the fold)");
        return DeepScorer.Open(dir, tokenizer: _tokenizer);
    }

    /// <summary>
    /// The residual tower of one fold: the teacher picks one of BM25's candidates of each query-log query; the tower
    /// (trained first on the catalog's weak pairs) then learns lists whose logits are cos/τ + β·bm25, so its cosine
    /// is pushed only where BM25 plus the cosine disagrees with the teacher (see <see cref="DeepTrainingOptions.ResidualFusionWeight"/>).
    /// </summary>
    private DeepScorer TrainResidualFold(IReadOnlyList<EvalQuery> train)
    {
        var sw = Stopwatch.StartNew();
        var (lists, fold) = ResidualLists(train);
        var dir = Path.Combine(_modelsDir, "residual", $"seed{_context.Seed}-fold{fold}");
        TrainResidualTower(lists, $"fold {fold}", _context.Seed, dir, "");
        Report($"fold {fold}: residual tower in {dir} ({sw.Elapsed.TotalSeconds:F0} s for the fold)");
        return DeepScorer.Open(dir, tokenizer: _tokenizer);
    }

    /// <summary>
    /// <c>residual.ensemble</c> residual towers of one fold, trained as <see cref="TrainResidualFold"/> on the same
    /// teacher's lists with tower seeds seed, seed + 1, …; their score is the mean cosine (<see cref="TowerEnsemble"/>).
    /// </summary>
    private TowerEnsemble TrainResidualEnsemble(IReadOnlyList<EvalQuery> train)
    {
        var sw = Stopwatch.StartNew();
        var (lists, fold) = ResidualLists(train);
        var ensemble = TrainResidualEnsemble(lists, $"fold {fold}", Path.Combine(_modelsDir, "residual-ens", $"seed{_context.Seed}-fold{fold}"));
        Report($"fold {fold}: residual ensemble of {ensemble.Count} towers ({sw.Elapsed.TotalSeconds:F0} s for the fold)");
        return ensemble;
    }

    private TowerEnsemble TrainResidualEnsemble(List<ResidualList> lists, string label, string baseDir)
    {
        var sw = Stopwatch.StartNew();
        var k = _settings.Residual.Ensemble;
        var members = new List<DeepScorer>(k);
        try
        {
            for (var m = 0; m < k; m++)
            {
                var dir = Path.Combine(baseDir, $"m{m + 1}");
                TrainResidualTower(lists, label, _context.Seed + m, dir, $"tower {m + 1}/{k}: ");
                members.Add(DeepScorer.Open(dir, tokenizer: _tokenizer));
                Report($"{label}: tower {m + 1}/{k} (seed {_context.Seed + m}) in {dir} ({sw.Elapsed.TotalSeconds:F0} s so far)");
            }
        }
        catch
        {
            foreach (var t in members) t.Dispose();
            throw;
        }
        return TowerEnsemble.Create(members);
    }

    private double ChooseNestedWeight(IReadOnlyList<EvalQuery> train)
    {
        var sw = Stopwatch.StartNew();
        var (_, fold) = Teacher(train);
        var halves = NestedHalves(train);
        var scored = new List<DenseEvalModule.QueryCandidates>(train.Count);
        for (var h = 0; h < 2; h++)
        {
            var (seen, unseen, name) = (halves[h], halves[1 - h], h == 0 ? "A" : "B");
            var label = $"fold {fold} half {name}";
            var teacher = TrainTeacher(seen, label);
            using var ensemble = TrainResidualEnsemble(ResidualLists(teacher, label), label, Path.Combine(_modelsDir, "residual-ens-nested", $"seed{_context.Seed}-fold{fold}-half{name}"));
            foreach (var q in unseen)
                if (_context.Qrels.HasRelevant(q.Id))
                    scored.Add(DenseEvalModule.Candidates(_context.Index, ensemble, q.Id, q.Text, _context.Qrels.For(q.Id), 200));
        }
        var weight = DenseEvalModule.BestWeight(scored);
        Report($"fold {fold}: nested weight {weight:0.###}, scored on {scored.Count} training queries by ensembles whose teacher did not see them ({sw.Elapsed.TotalSeconds:F0} s)");
        return weight;
    }

    /// <summary>
    /// Halves A and B of the nested split of <paramref name="train"/>: its distinct texts (as
    /// <see cref="QueryTextComparer"/> sees them) dealt to two folds as eval deals its folds
    /// (<see cref="EvalRunner.AssignFolds(IReadOnlyList{string}, int, int)"/>, seed <see cref="HalfSeed"/>), so the same
    /// text under two ids is never taught by one half's teacher and scored in the other.
    /// </summary>
    /// <exception cref="ArgumentException">The training queries share one text: one half would be empty.</exception>
    internal static EvalQuery[][] NestedHalves(IReadOnlyList<EvalQuery> train)
    {
        // In id order, so the halves do not depend on the order the fold hands the queries over.
        var order = train.OrderBy(q => q.Id, StringComparer.Ordinal).ToArray();
        var half = EvalRunner.AssignFolds(Array.ConvertAll(order, q => q.Text), 2, HalfSeed);
        EvalQuery[][] halves = [.. Enumerable.Range(0, 2).Select(h => order.Where((_, i) => half[i] == h).ToArray())];
        if (Array.Exists(halves, h => h.Length == 0))
            throw new ArgumentException($"the nested fusion weight needs training queries of two texts or more: the {order.Length} training queries share one text.");
        return halves;
    }

    /// <summary>
    /// The fold's residual lists: the teacher picks one of BM25's candidates of each query-log query (its top; ties
    /// to the better BM25 rank), each candidate keeping its normalised BM25 score as the logit offset.
    /// </summary>
    private (List<ResidualList> Lists, int Fold) ResidualLists(IReadOnlyList<EvalQuery> train)
    {
        var (teacher, fold) = Teacher(train);
        return (ResidualLists(teacher, $"fold {fold}"), fold);
    }

    private List<ResidualList> ResidualLists(IRankerModel teacher, string label)
    {
        var log = _log.Value;
        var lists = new List<ResidualList>(log.Queries.Length);
        var scores = new float[_settings.Candidates];
        var overruled = 0;
        for (var i = 0; i < log.Queries.Length; i++)
        {
            var n = log.Ids[i].Length;
            if (n < 2) continue;
            teacher.Score(log.Features[i], n, scores);
            // The teacher's top; ties go to the better BM25 rank, as in TeacherPairs.Pick.
            var best = 0;
            for (var j = 1; j < n; j++) if (scores[j] > scores[best]) best = j;
            if (best != 0) overruled++;
            lists.Add(new ResidualList(log.Queries[i], log.Ids[i], log.Bm25[i], best));
        }
        Report($"{label}: {lists.Count:N0} residual lists of up to {_settings.Candidates} BM25 candidates; the teacher overrules BM25's top on {overruled:N0} ({100.0 * overruled / Math.Max(1, lists.Count):F1} %)");
        return lists;
    }

    // The tower (trained first on the catalog's weak pairs, or loaded from residual.init) then learns the lists
    // with logits cos/τ + β·bm25, so its cosine moves only where BM25 plus the cosine disagrees with the teacher.
    private void TrainResidualTower(List<ResidualList> lists, string fold, int seed, string dir, string label)
    {
        var r = _settings.Residual;
        var options = new DeepTrainingOptions
        {
            Seed = seed, TextEpochs = r.Init is null ? _settings.Epochs : 0, InitialTextModel = r.Init, ResidualEpochs = r.Epochs, ResidualFusionWeight = r.FusionWeight, ResidualInBatch = r.InBatch,
            ExcludeQueries = new HashSet<string>(_context.Queries.Select(q => q.Text.Trim()), QueryTextComparer.Instance),
        };
        DeepTraining.TrainText(_products.Value, [], dir, options, _tokenizer, m => Report($"{fold}: {label}{m}"), residualLists: lists);
    }
}
