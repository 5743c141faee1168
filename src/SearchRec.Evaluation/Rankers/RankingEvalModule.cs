using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Text;

namespace SearchRec.Evaluation.Rankers;

/// <summary>
/// Registers the ranking stage's rankers: <c>weighted</c>, <c>linear</c> and <c>lambdamart</c>, trained per fold on
/// the fold's training queries; and <c>fused</c>, the ranker saved in <c>--models</c> (LambdaMART trained per fold
/// when <c>--models</c> holds none). Features: BM25 and text always; deep query–item when a deep model sits in
/// <c>--models</c>; collaborative and personal ones when collaborative models and <c>--events</c> are given and
/// queries have users.
/// </summary>
public sealed class RankingEvalModule : IEvalRankerModule
{
    /// <inheritdoc />
    public void Register(EvalRankerRegistry registry)
    {
        Guard.NotNull(registry);
        // The standard rankers use last round's groups (BM25, text, and collab/deep where given); the "-ext" ones add
        // the list, head, idf and prior groups, which did not help LambdaMART in CV on ecom-search (docs/ranking.md).
        registry.Register(new CombinerFactory("weighted", CombinerKind.Weighted, Ext), "Weighted average of normalised scores, weights tuned on the training folds", reads: Histories);
        registry.Register(new CombinerFactory("linear", CombinerKind.Linear, Ext), "Stacking: regularised linear model over the ranking features", reads: Histories);
        registry.Register(new CombinerFactory("lambdamart", CombinerKind.LambdaMart, Ext), "LambdaMART (FastTree) over the ranking features", reads: Histories);
        registry.RegisterExperimental(new NestedFactory("lambdamart-nested", Ext), "LambdaMART with settings chosen by 3-fold CV inside each training fold (nested CV) among a fixed grid", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("linear-ext", CombinerKind.Linear, []), "Linear stacking with the list, head, idf and prior groups too", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("lambdamart-ext", CombinerKind.LambdaMart, []), "LambdaMART with the list, head, idf and prior groups too", reads: Histories);
        registry.RegisterExperimental(new NestedFactory("lambdamart-ext-nested", []), "lambdamart-nested with the list, head, idf and prior groups too", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("lambdamart-ext-nohead", CombinerKind.LambdaMart, ["head"]), "lambdamart-ext without the head-word group", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("lambdamart-ext-noprior", CombinerKind.LambdaMart, ["prior"]), "lambdamart-ext without the query-log prior", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("lambdamart-ext-nolist", CombinerKind.LambdaMart, ["list"]), "lambdamart-ext without the list (window-relative) group", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("lambdamart-ext-noidf", CombinerKind.LambdaMart, ["idf"]), "lambdamart-ext without the idf (IDF-weighted coverage) group", reads: Histories);
        registry.RegisterExperimental(new CombinerFactory("linear-ext-noprior", CombinerKind.Linear, ["prior"]), "linear-ext without the query-log prior", reads: Histories);
        registry.Register(new FusedFactory(), "The trained ranker in --models (LambdaMART per fold when --models has none)", reads: Histories);
        // Each collaborative scorer alone, re-ranking BM25's window for the query's user: the single models the fusions are measured against.
        foreach (var (name, column) in CollabSingles)
            registry.Register(name, c => new ColumnEvalRanker(name, RankingEvalState.For(c, Ext), column),
                $"BM25's window re-ranked by the collaborative {column} score for the query's user alone (needs users, --events and collaborative models in --models)",
                c => CollabUnavailable(c, column), reads: Histories);
        // Issue #4, round 5: variance (query bagging) and data (out-of-domain QBQTC groups), on the standard groups.
        registry.RegisterExperimental(new BagFactory("lambdamart-bag", null), "Query-bagged LambdaMART: 10 members × 100 trees on bootstrap samples of the training queries, raw scores averaged", reads: Histories);
        // Post-hoc diagnostics of the bag (chosen after seeing it lose): its member settings without bagging, and the bag with the default settings.
        registry.RegisterExperimental(new CombinerFactory("lambdamart-100t", CombinerKind.LambdaMart, Ext, new LambdaMartOptions { Trees = 100, LearningRate = 0.1 }), "Diagnostic: one LambdaMART with the bag members' settings (100 trees, learning rate 0.1)", reads: Histories);
        registry.RegisterExperimental(new BagFactory("lambdamart-bag300", new LambdaMartOptions()), "Diagnostic: lambdamart-bag with 300-tree members at learning rate 0.05 (the lambdamart defaults)", reads: Histories);
        registry.RegisterExperimental(new OutOfDomainFactory("lambdamart-qbqtc", inDomain: true, bagged: false), "LambdaMART on the fold's queries plus --ood-train groups (QBQTC), in-domain groups weighted 5", reads: HistoriesAndOutside);
        registry.RegisterExperimental(new OutOfDomainFactory("lambdamart-qbqtc-only", inDomain: false, bagged: false), "LambdaMART on --ood-train groups only (pure transfer: no judgment of the evaluated set)", reads: HistoriesAndOutside);
        registry.RegisterExperimental(new OutOfDomainFactory("lambdamart-bag-qbqtc", inDomain: true, bagged: true), "lambdamart-bag on the fold's queries plus --ood-train groups", reads: HistoriesAndOutside);
        // Issue #4, round 8 (adopted for ecom-search): the tower's seed moves LambdaMART by ~0.01, so average the models, not the cosines.
        registry.RegisterExperimental(new TowerAveragedFactory("lambdamart-towers"),
            "LambdaMART trained once per tower named by --models' ensemble.json, each with that tower's deep feature; raw scores averaged", reads: Histories);
        // Round 9: the comparison round 8 left out, one LambdaMART over every tower's deep columns at once.
        // Round 10: each tower's term-level score (deep round ten) as one more per-tower column.
        registry.RegisterExperimental(new TowerAveragedFactory("lambdamart-towers-terms", terms: true),
            "lambdamart-towers with each tower's term-level score (deep_terms#k: mean over query words of the best cosine with a title word) as one more column", reads: Histories);
        // Round 11: LambdaMART's gradients follow nDCG cut at the measured depth (10) instead of FastTree's default 100.
        registry.RegisterExperimental(new TowerAveragedFactory("lambdamart-towers-t10", options: new LambdaMartOptions { NdcgTruncation = 10 }),
            "lambdamart-towers with FastTree's nDCG truncation at 10 (the measured depth) instead of 100", reads: Histories);
        // Round 12: the trees also read a linear stacker's rank and standardised score (out of fold in training).
        registry.RegisterExperimental(new StackedTowersFactory("lambdamart-towers-stack"),
            "lambdamart-towers whose members also read a linear stacker's rank and standardised score within the window (out-of-fold in training)", reads: Histories);
        // Round 13: the stacker is a LambdaMART trained on QBQTC (--ood-train) only, so its judgment comes from other people's labels.
        registry.RegisterExperimental(new StackedTowersFactory("lambdamart-towers-transfer", transfer: true),
            "lambdamart-towers whose members also read the rank and standardised score of a LambdaMART trained on --ood-train (QBQTC) alone", reads: HistoriesAndOutside);
        registry.RegisterExperimental(new TowerColumnsFactory("lambdamart-towercols"),
            "One LambdaMART over the deep columns of every tower named by --models' ensemble.json (deep_query_item#1, #2, ...)", reads: Histories);
    }

    /// <summary>
    /// <see cref="TowerAveragedFactory"/>'s model over two more columns from a base model's rank and score
    /// (<see cref="StackedTrainer"/>): a linear stacker over the same per-tower matrix (out of fold on 5 inner folds of
    /// the training queries, then on all), or with <paramref name="transfer"/> one LambdaMART trained on the
    /// out-of-domain groups alone (the same model for every fold and seed; it never sees an evaluated judgment).
    /// </summary>
    private sealed class StackedTowersFactory(string name, bool transfer = false) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, Ext, towers: true);
            var data = state.Dataset(trainQueries);
            var towers = state.Towers!.Info();
            var (model, importance) = transfer
                ? StackedTrainer.TrainTransferOverTowers(data, state.TransferModel(), new LambdaMartOptions(), towers)
                : StackedTrainer.TrainOverTowers(data, new LinearOptions(), new LambdaMartOptions(), towers, context.Seed + 1);
            var total = importance.Sum();
            var derived = importance.AsSpan(data.Schema.Count).ToArray().Sum();
            var what = transfer ? "transfer model" : "linear stacker";
            context.Log?.Report(FormattableString.Invariant($"{name}: {what} + {towers.Count} members trained on {data.Groups.Count} queries, {data.Rows:N0} rows; its columns {(total > 0 ? derived / total : 0):P1} of the gain"));
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    /// <summary>One LambdaMART over the same per-tower feature matrix as <see cref="TowerAveragedFactory"/>.</summary>
    private sealed class TowerColumnsFactory(string name) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, Ext, towers: true);
            var data = state.Dataset(trainQueries);
            var (model, importance) = LambdaMartTrainer.Train(data, new LambdaMartOptions());
            context.Log?.Report($"{name}: one model over {state.Towers!.Count} towers' columns, trained on {data.Groups.Count} queries, {data.Rows:N0} rows");
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    /// <summary>
    /// The deployable <see cref="TowerAveragedRanker"/>, trained per fold: one feature matrix with each tower's deep
    /// columns (<see cref="TowerDeepFeatures"/>), one LambdaMART per tower on its view, raw scores averaged.
    /// </summary>
    private sealed class TowerAveragedFactory(string name, bool terms = false, LambdaMartOptions? options = null) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, Ext, towers: true, terms);
            var data = state.Dataset(trainQueries);
            var (model, importance) = TowerAveragedTrainer.Train(data, options ?? new LambdaMartOptions(), state.Towers!.Info(), context.Log is { } log ? log.Report : null);
            context.Log?.Report($"{name}: {model.Members.Count} members trained on {data.Groups.Count} queries, {data.Rows:N0} rows");
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    // Every ranker here computes its features through RankingEvalState, whose collaborative and behaviour-tower
    // columns read the users' histories; the *-qbqtc ones and the transfer stack also learn from --ood-train.
    private const EvalRankerInputs Histories = EvalRankerInputs.Events;
    private const EvalRankerInputs HistoriesAndOutside = EvalRankerInputs.Events | EvalRankerInputs.OutOfDomainTraining;

    /// <summary>Example weight of in-domain groups when mixed with out-of-domain ones (fixed before any run).</summary>
    internal const float InDomainWeight = 5f;

    private sealed class BagFactory(string name, LambdaMartOptions? member) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, Ext);
            var data = state.Dataset(trainQueries);
            var options = new BaggedLambdaMartOptions { Seed = context.Seed };
            if (member is not null) options.Member = member;
            var (model, importance) = BaggedLambdaMartTrainer.Train(data, options);
            context.Log?.Report($"{name}: trained on {data.Groups.Count} queries, {data.Rows:N0} rows");
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    private sealed class OutOfDomainFactory(string name, bool inDomain, bool bagged) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, Ext);
            var ood = state.OutOfDomain();
            var data = inDomain ? RankingDataset.Concat(state.Dataset(trainQueries), ood, InDomainWeight, 1f) : ood;
            IRankerModel model;
            double[] importance;
            if (bagged) (model, importance) = BaggedLambdaMartTrainer.Train(data, new BaggedLambdaMartOptions { Seed = context.Seed });
            // Trained on the other domain alone, the model is the same for every fold and seed: train it once.
            else if (!inDomain) (model, importance) = state.TransferModelWithImportance();
            else (model, importance) = LambdaMartTrainer.Train(data, new LambdaMartOptions());
            context.Log?.Report($"{name}: trained on {data.Groups.Count} queries ({data.Groups.Count - ood.Groups.Count} in-domain), {data.Rows:N0} rows");
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    /// <summary>The groups the standard rankers leave out.</summary>
    private static readonly string[] Ext = ["list", "head", "idf", "prior"];

    private static readonly (string Name, string Column)[] CollabSingles =
        [("cf-repeat", "cf_repeat"), ("cf-item-item", "cf_item_item"), ("cf-als", "cf_als"), ("cf-category", "cf_category_affinity"), ("popularity", "item_popularity")];

    // Why a collaborative single cannot run on these inputs, or null when the features it reads are computed.
    private static string? CollabUnavailable(EvalContext c, string column)
    {
        if (!c.Queries.Any(q => q.UserId is not null)) return "needs queries with users (queries-users.tsv beside the queries, or --query-users)";
        if (c.EventFiles.Count == 0) return "needs --events with the users' histories";
        if (c.ModelsDirectory is null || ModelLocations.Collab(c.ModelsDirectory) is null) return "needs collaborative models in --models (trained by 'searchrec train-cf')";
        // The features computed are known only once the models are loaded over the index.
        if (c.ArgumentsOnly) return null;
        return RankingEvalState.For(c, Ext).Extractor.Schema.IndexOf(column) >= 0 ? null
            : $"needs the {column} feature, which the ranker saved in --models does not read";
    }

    /// <summary>BM25's window re-ranked by one feature column (NaN last, ties in recall order); the rest follow in recall order.</summary>
    private sealed class ColumnEvalRanker : IEvalRanker
    {
        private readonly RankingEvalState _state;
        private readonly int _column;

        public ColumnEvalRanker(string name, RankingEvalState state, string column)
        {
            Name = name;
            _state = state;
            _column = state.Extractor.Schema.IndexOf(column);
            if (_column < 0) throw new ArgumentException($"ranker '{name}' needs the {column} feature, which this evaluation does not compute (collaborative models in --models, --events and users).");
        }

        public string Name { get; }

        public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
        {
            var q = _state.Candidates(queryId, query, depth);
            var n = q.WindowCount;
            var dim = _state.Extractor.Schema.Count;
            var scores = new float[n];
            for (var i = 0; i < n; i++)
            {
                var v = q.Features[i * dim + _column];
                scores[i] = float.IsNaN(v) ? float.NegativeInfinity : v;
            }
            var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
            var result = new List<(string, float)>(Math.Min(depth, q.Ids.Length));
            // Run-file scores must fall with rank: the window's by position, the rest below it.
            foreach (var i in order)
            {
                if (result.Count >= depth) break;
                result.Add((q.Ids[i], q.Ids.Length - result.Count));
            }
            for (var i = n; i < q.Ids.Length && result.Count < depth; i++) result.Add((q.Ids[i], q.Ids.Length - result.Count));
            return result;
        }
    }

    private sealed class CombinerFactory(string name, CombinerKind kind, string[] without, LambdaMartOptions? lambdaMart = null) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, without);
            var data = state.Dataset(trainQueries);
            var (model, importance) = RankerTrainer.Train(data, new RankerTrainingOptions { Kind = kind, Seed = context.Seed, LambdaMart = lambdaMart ?? new LambdaMartOptions() });
            context.Log?.Report($"{name}: trained on {data.Groups.Count} queries, {data.Rows:N0} rows");
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    private sealed class NestedFactory(string name, string[] without) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, without);
            var data = state.Dataset(trainQueries);
            // Inner folds see only this outer fold's training queries; their seed differs from the outer one.
            var (best, inner) = LambdaMartSelection.Choose(data, LambdaMartSelection.DefaultGrid(context.Seed), 3, context.Seed + 1);
            context.Log?.Report($"{name}: chose {LambdaMartSelection.Describe(best)} (inner nDCG@10 {string.Join(" / ", inner.Select(v => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))})");
            var (model, importance) = RankerTrainer.Train(data, new RankerTrainingOptions { Kind = CombinerKind.LambdaMart, LambdaMart = best, Seed = context.Seed });
            return new PipelineEvalRanker(name, state, model, importance);
        }
    }

    private sealed class FusedFactory : ICrossValidatedRankerFactory
    {
        public string Name => "fused";

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var state = RankingEvalState.For(context, Ext);
            if (state.SavedModel is { } saved) return state.SavedRanker ??= new PipelineEvalRanker("fused", state, saved, state.SavedImportance, FromCard: true);
            var data = state.Dataset(trainQueries);
            var (model, importance) = RankerTrainer.Train(data, new RankerTrainingOptions { Kind = CombinerKind.LambdaMart, Seed = context.Seed });
            return new PipelineEvalRanker("fused", state, model, importance);
        }
    }

    /// <summary>Recall window → features → model; candidates past the window follow in recall order.</summary>
    private sealed class PipelineEvalRanker(string name, RankingEvalState state, IRankerModel model, double[]? importance, bool FromCard = false) : IEvalRanker, IReportSectionSource
    {
        public string Name => name;

        public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
        {
            var q = state.Candidates(queryId, query, depth);
            var n = q.WindowCount;
            var scores = new float[n];
            model.Score(q.Features, n, scores);
            var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
            var result = new List<(string, float)>(Math.Min(depth, q.Ids.Length));
            var min = n > 0 ? scores.Min() : 0;
            foreach (var i in order)
            {
                if (result.Count >= depth) break;
                result.Add((q.Ids[i], scores[i]));
            }
            for (var i = n; i < q.Ids.Length && result.Count < depth; i++) result.Add((q.Ids[i], min - 1 - (i - n) * 1e-3f));
            return result;
        }

        public IReadOnlyList<ReportSection> GetReportSections()
        {
            if (importance is null) return [];
            var total = importance.Sum();
            if (total <= 0) return [];
            var sb = new StringBuilder("<table><tr><th>feature</th><th>share of importance</th></tr>");
            // A stacked ranker's importance is its upper model's, whose columns end with the derived stack columns.
            IReadOnlyList<string> names = model is IDerivedColumnsModel derived ? [.. model.Schema.Names, .. derived.DerivedNames] : model.Schema.Names;
            foreach (var (f, v) in names.Zip(importance).Where(x => x.Second > 0).OrderByDescending(x => x.Second).Take(15))
                sb.Append("<tr><td>").Append(WebUtility.HtmlEncode(f)).Append("</td><td>").Append((v / total).ToString("P1", System.Globalization.CultureInfo.InvariantCulture)).Append("</td></tr>");
            sb.Append("</table>");
            var kind = TowerAveragedRanker.In(model) is { } t ? $"{model.Kind}: mean of {t.Members.Count} lambdamart models, one per tower" : model.Kind;
            return [new ReportSection("Feature importance (" + kind + (FromCard ? ", as its model card recorded it at training" : "") + ")", sb.ToString())];
        }
    }
}

/// <summary>Per-evaluation cache: feature extractor, histories, and each query's candidates and features (computed once, shared by all rankers and folds).</summary>
internal sealed class RankingEvalState
{
    private int Window => _context.RerankWindow;
    private static readonly ConditionalWeakTable<EvalContext, ConcurrentDictionary<string, RankingEvalState>> States = new();
    private readonly EvalContext _context;
    private readonly ConcurrentDictionary<string, QueryCandidates> _cache = new(StringComparer.Ordinal);
    private readonly ITokenizer _tokenizer = new ChineseTokenizer();
    private readonly UserHistories? _histories;

    internal sealed record QueryCandidates(string[] Ids, int WindowCount, float[] Features, int Depth);

    private RankingEvalState(EvalContext context, IReadOnlyCollection<string> without, bool towers, bool terms)
    {
        _context = context;
        CollabModels? collab = null;
        IDenseScorer? deep = null;
        BehaviourScorer? behaviour = null;
        IRankerModel? saved = null;
        QueryLogPrior? prior = null;
        if (context.ModelsDirectory is { } dir)
        {
            if (ModelLocations.Prior(dir) is { } priorFile)
            {
                prior = QueryLogPrior.Load(priorFile);
                context.Log?.Report($"ranking: query-log prior from {priorFile} ({prior.Queries:N0} queries, {prior.Products:N0} products)");
            }
            if (!towers && ModelLocations.Ranker(dir) is { } r)
            {
                saved = RankerStore.Read(r);
                try
                {
                    // The report shows a saved ranker's importance as its card recorded it at training.
                    var card = SearchRec.Ranking.Models.ModelCard.Read(r);
                    IReadOnlyList<string> names = saved is IDerivedColumnsModel derived ? [.. saved.Schema.Names, .. derived.DerivedNames] : saved.Schema.Names;
                    SavedImportance = card?.ImportanceFor(names);
                }
                catch (InvalidDataException e)
                {
                    context.Log?.Report($"ranking: {e.Message}; the report leaves out the saved ranker's importance");
                }
            }
            if (towers)
            {
                if (ModelLocations.Deep(dir) is { } d && DenseModels.IsEnsemble(d))
                {
                    Towers = TowerSet.Open(d);
                    context.Log?.Report($"ranking: deep features of {Towers.Count} towers, one LambdaMART each: {string.Join(", ", Towers.Names)}");
                }
            }
            else if (TowerAveragedRanker.In(saved) is { } averaged)
            {
                // A saved ranker over tower members (fused; alone or under a stack): its towers, checked to be those it was trained with.
                Towers = TowerSet.Open(ModelLocations.Deep(dir) ?? throw new FileNotFoundException($"The {saved!.Kind} ranker in {dir} needs deep/{DenseModels.EnsembleFile} naming its towers."));
                Towers.CheckFor(averaged);
                context.Log?.Report($"ranking: deep features of {Towers.Count} towers for the saved {saved!.Kind} ranker: {string.Join(", ", Towers.Names)}");
            }
            else if (ModelLocations.Deep(dir) is { } d && (saved is null || saved.Schema.IndexOf("deep_query_item") >= 0))
            {
                // A folder without a text model is allowed (behaviour-only); a broken ensemble is an error.
                if (DenseModels.IsEnsemble(d)) deep = DenseModels.Open(d);
                else
                    try { deep = DeepScorer.Open(d); }
                    catch (InvalidDataException e) { context.Log?.Report($"ranking: no deep text model ({e.Message})"); }
                if (deep is not null) context.Log?.Report($"ranking: deep feature from {d}: {DenseModels.Describe(deep)}");
            }
            var hasUsers = context.Queries.Any(q => q.UserId is not null) && context.EventFiles.Count > 0;
            if (hasUsers && ModelLocations.Collab(dir) is { } c && (saved is null || saved.Schema.IndexOf("cf_item_item") >= 0))
            {
                collab = CollabModels.Load(c);
                if (LaterBehaviourWarning(c, collab.Card.LastTimestamp, context) is { } warning) context.Log?.Report(warning);
            }
            if (hasUsers && deep is not null && ModelLocations.Deep(dir) is { } db && (saved is null || saved.Schema.IndexOf("deep_user_item") >= 0))
            {
                try { behaviour = BehaviourScorer.Open(db); }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException) { context.Log?.Report($"ranking: no behaviour tower ({e.Message})"); }
                if (behaviour is not null && WholeHistoryWarning(db, context) is { } warning) context.Log?.Report(warning);
                if (behaviour?.LastTimestamp is { } towerLast && LaterTowerWarning(db, towerLast, context) is { } later) context.Log?.Report(later);
            }
        }
        if (towers && Towers is null)
            throw new ArgumentException($"lambdamart-towers needs --models with an {DenseModels.EnsembleFile} naming the towers ({{\"members\": [\"../deep-s42\", ...]}}); for one tower use lambdamart.");
        ItemActivity? activity = null;
        if (context.EventFiles.Count > 0 && context.Queries.Any(q => q.UserId is not null))
        {
            var events = UserHistories.ReadCsv(context.EventFiles);
            _histories = new UserHistories(events);
            if (collab is not null) activity = ItemActivity.Build(events);
        }
        // IDF of title bigrams from the evaluated catalog (titles only, no judgments).
        var titles = context.Catalog.Count > 0 || context.Index is not ProductIndex opened ? context.Catalog.Select(p => p.Title) : opened.Products().Select(p => p.Title);
        var stats = TitleBigramStats.Build(titles);
        IReadOnlyList<TermMatchScorer>? termTowers = null;
        if (terms)
        {
            if (Towers is null) throw new ArgumentException("the -terms rankers need --models holding ensemble.json naming the towers.");
            termTowers = [.. Towers.Scorers.Select(t => new TermMatchScorer(t))];
        }
        var sources = new FeatureSources { Collab = collab, Products = context.Index.GetProduct, DeepText = deep, DeepTowers = Towers, DeepTermTowers = termTowers, DeepBehaviour = behaviour, Activity = activity, TitleStats = stats, Prior = prior, ListAndHead = true };
        if (saved is not null) Extractor = StandardFeatures.ForSchema(saved.Schema, sources);
        else
        {
            var all = StandardFeatures.ForSearch(sources);
            Extractor = without.Count == 0 ? all : new FeatureExtractor(all.Groups.Where(g => !without.Contains(g.Name)));
        }
        if (saved is not null)
        {
            var diff = Extractor.Schema.DescribeDifference(saved.Schema);
            if (diff is not null) throw new RankerSchemaMismatchException($"The ranker in {context.ModelsDirectory} reads {saved.Schema}, but this evaluation computes {Extractor.Schema}: {diff}.");
        }
        SavedModel = saved;
        // The saved ranker fixes the columns every trained ranker learns from, not only fused's: say whose they are.
        context.Log?.Report($"ranking features: {Extractor.Schema} — {string.Join(", ", Extractor.Groups.Select(g => g.Name))}"
            + (saved is not null ? $" (those of the ranker saved in {ModelLocations.Ranker(context.ModelsDirectory!)}, for every trained ranker)" : ""));
    }

    /// <summary>
    /// A warning when the collaborative models in <paramref name="dir"/>, whose newest event is at <paramref name="last"/>,
    /// may hold behaviour from or after the evaluated queries with users (the purchases their judgments come from, in a
    /// shop's logs): histories and item activity stop at each query's time, but saved models cannot; null when they end
    /// before the first such query.
    /// </summary>
    internal static string? LaterBehaviourWarning(string dir, long last, EvalContext context)
    {
        var personal = EvaluatedWithUsers(context);
        if (personal.Count == 0) return null;
        var untimed = personal.Count(q => q.Timestamp is null);
        if (untimed > 0)
            return $"warning: {untimed:N0} of the {personal.Count:N0} evaluated queries with users carry no time, so the collaborative models in {dir} may hold behaviour after them (the purchases their judgments come from): the collaborative features, and the figures, may be inflated";
        var first = personal.Min(q => q.Timestamp!.Value);
        if (last < first) return null;
        return FormattableString.Invariant(
            $"warning: the collaborative models in {dir} learnt from events up to {DateTimeOffset.FromUnixTimeSeconds(last):yyyy-MM-dd HH:mm:ss}Z, at or after the first evaluated query ({DateTimeOffset.FromUnixTimeSeconds(first):yyyy-MM-dd HH:mm:ss}Z): behaviour after the queries, perhaps the purchases their judgments come from, feeds the collaborative features and the figures may be inflated; train them (train-cf) on the events before the first query");
    }

    /// <summary>
    /// A warning when the behaviour tower in <paramref name="dir"/>, whose newest training event is at
    /// <paramref name="last"/>, learnt from behaviour at or after the first timed evaluated query with a user: its user
    /// and item vectors hold what the judgments come from, which histories cut at the query's time cannot undo; null
    /// when it ends before (untimed queries are <see cref="WholeHistoryWarning"/>'s).
    /// </summary>
    internal static string? LaterTowerWarning(string dir, long last, EvalContext context)
    {
        long first = long.MaxValue;
        foreach (var q in EvaluatedWithUsers(context))
            if (q.Timestamp is { } t) first = Math.Min(first, t);
        if (first == long.MaxValue || last < first) return null;
        return FormattableString.Invariant(
            $"warning: the behaviour tower in {dir} learnt from events up to {DateTimeOffset.FromUnixTimeSeconds(last):yyyy-MM-dd HH:mm:ss}Z, at or after the first evaluated query ({DateTimeOffset.FromUnixTimeSeconds(first):yyyy-MM-dd HH:mm:ss}Z): behaviour after the queries, perhaps the purchases their judgments come from, feeds the deep user–item features and the figures may be inflated; train it (train-deep --events) on the events before the first query");
    }

    /// <summary>
    /// A warning when evaluated queries with users carry no time while the behaviour tower in <paramref name="dir"/>
    /// scores users from their histories: the history of such a query is the user's whole one, behaviour after the query
    /// (the purchases its judgments come from, in a shop's logs) included; null when every such query carries a time.
    /// </summary>
    internal static string? WholeHistoryWarning(string dir, EvalContext context)
    {
        var personal = EvaluatedWithUsers(context);
        var untimed = personal.Count(q => q.Timestamp is null);
        if (untimed == 0) return null;
        return $"warning: {untimed:N0} of the {personal.Count:N0} evaluated queries with users carry no time, so their users' whole histories, behaviour after the queries included (perhaps the purchases their judgments come from), feed the behaviour tower's user–item scores ({dir}): the deep user–item features, and the figures, may be inflated; give the queries times (a third column of --query-users)";
    }

    // The queries eval scores (a judgment above 0) that name a user.
    private static List<EvalQuery> EvaluatedWithUsers(EvalContext context) =>
        context.Queries.Where(q => q.UserId is not null && context.Qrels.HasRelevant(q.Id)).ToList();

    internal FeatureExtractor Extractor { get; }

    internal IRankerModel? SavedModel { get; }

    /// <summary>The saved ranker's feature importance from its model card, in its columns' order, if the card has it.</summary>
    internal double[]? SavedImportance { get; }

    /// <summary>The saved ranker as <c>fused</c> evaluates it: one instance for every fold and seed.</summary>
    internal IEvalRanker? SavedRanker { get; set; }

    /// <summary>The towers whose deep columns are computed one by one (the <c>towers</c> variant), else null.</summary>
    internal TowerSet? Towers { get; }

    /// <summary>
    /// The state whose extractor leaves out the feature groups named in <paramref name="without"/> (ablations; ignored
    /// when a saved ranker fixes the schema). <paramref name="towers"/>: write the deep columns once per tower of the
    /// models folder's ensemble (<see cref="TowerDeepFeatures"/>; no saved ranker is used then).
    /// </summary>
    internal static RankingEvalState For(EvalContext context, string[] without, bool towers = false, bool terms = false)
    {
        var variants = States.GetValue(context.Root, _ => new ConcurrentDictionary<string, RankingEvalState>(StringComparer.Ordinal));
        var key = string.Join(",", without.Order(StringComparer.Ordinal)) + (towers ? "|towers" : "") + (terms ? "|terms" : "");
        lock (variants) return variants.GetOrAdd(key, _ => new RankingEvalState(context, without, towers, terms));
    }

    internal QueryCandidates Candidates(string queryId, string text, int depth)
    {
        // Recall at least 1,000 so that Recall@1000 matches BM25's; deeper requests recompute once.
        var cached = _cache.GetOrAdd(queryId, _ => Compute(queryId, text, Math.Max(depth, 1_000)));
        if (cached.Ids.Length >= depth || cached.Depth >= depth) return cached;
        return _cache[queryId] = Compute(queryId, text, depth);
    }

    private QueryCandidates Compute(string queryId, string text, int depth)
    {
        var recalled = _context.Index.Recall(new RecallRequest(text) { TopN = depth });
        var ids = recalled.Select(c => c.ProductId).ToArray();
        var window = new List<RankingCandidate>(Math.Min(Window, recalled.Count));
        for (var i = 0; i < recalled.Count && window.Count < Window; i++)
        {
            var p = _context.Index.GetProduct(recalled[i].ProductId) ?? Product.Of(recalled[i].ProductId, "");
            window.Add(new RankingCandidate(recalled[i], p));
        }
        var q = _context.Query(queryId);
        UserHistory? history = null;
        if (q?.UserId is { } user && _histories is not null) history = _histories.History(user, q.Timestamp);
        var features = Extractor.Extract(RankingQuery.Create(text, _tokenizer, q?.UserId, history), window);
        return new QueryCandidates(ids, window.Count, features, depth);
    }

    private RankingDataset? _outOfDomain;
    private readonly Lock _oodLock = new();

    /// <summary>
    /// The out-of-domain training groups (<see cref="EvalContext.OutOfDomainTraining"/>), built once: their own catalog
    /// and in-memory index, the same extractor and window as the evaluated queries. Features the other domain lacks
    /// come out missing as for any such row (its titles are unknown to the deep tower: <c>has_deep_item</c> 0, NaN scores).
    /// </summary>
    internal RankingDataset OutOfDomain()
    {
        lock (_oodLock)
        {
            if (_outOfDomain is not null) return _outOfDomain;
            var path = _context.OutOfDomainTraining ?? throw new ArgumentException("this ranker needs out-of-domain training data: give --ood-train FILE (QBQTC JSON Lines)");
            var progress = new Progress<int>(n => { if (n % 250 == 0) _context.Log?.Report($"out-of-domain groups: {n:N0}/{_context.OutOfDomainQueries:N0}"); });
            var (data, summary) = OutOfDomainData.Build(path, _context.OutOfDomainCatalog, _context.OutOfDomainQueries, _tokenizer, Extractor, Window, progress);
            _context.Log?.Report($"out-of-domain: {summary.Titles:N0} titles, {summary.Queries:N0} queries ({summary.WithRelevant:N0} with a relevant title in the window), {summary.Rows:N0} rows, from {path}");
            return _outOfDomain = data;
        }
    }

    private (IRankerModel Model, double[] Importance)? _transfer;

    /// <summary>One LambdaMART (default settings) trained on <see cref="OutOfDomain"/> alone, built once per evaluation.</summary>
    internal IRankerModel TransferModel() => TransferModelWithImportance().Model;

    /// <inheritdoc cref="TransferModel"/>
    internal (IRankerModel Model, double[] Importance) TransferModelWithImportance()
    {
        lock (_oodLock)
        {
            if (_transfer is { } built) return built;
            var data = OutOfDomain();
            var trained = LambdaMartTrainer.Train(data, new LambdaMartOptions());
            _context.Log?.Report($"transfer model: LambdaMART on {data.Groups.Count:N0} out-of-domain queries, {data.Rows:N0} rows");
            _transfer = trained;
            return trained;
        }
    }

    /// <summary>Training data from the given queries' candidates and judgments only.</summary>
    internal RankingDataset Dataset(IReadOnlyList<EvalQuery> queries)
    {
        var b = new RankingDatasetBuilder(Extractor.Schema);
        foreach (var q in queries)
        {
            var judged = _context.Qrels.For(q.Id);
            if (judged.Count == 0) continue;
            var c = Candidates(q.Id, q.Text, Window);
            var n = c.WindowCount;
            var labels = new float[n];
            for (var i = 0; i < n; i++) labels[i] = judged.TryGetValue(c.Ids[i], out var g) ? Math.Max(0, g) : 0;
            b.Add(q.Id, c.Features.AsSpan(0, n * Extractor.Schema.Count), labels, c.Ids.AsSpan(0, n), judged, 1f, q.Text);
        }
        if (b.GroupCount == 0) throw new ArgumentException("No training query has judgments.");
        return b.Build();
    }
}
