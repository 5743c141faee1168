using System.Collections.Concurrent;
using System.Globalization;
using SearchRec.Deep.Scoring;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;

namespace SearchRec.Cli.Commands;

/// <summary>
/// Adds the deep model's rankers to <c>searchrec eval</c>: <c>dense</c> (exact nearest neighbours of the query
/// vector over all item vectors) and <c>bm25+dense</c> (a fixed weighted sum of max-normalised BM25 and the deep
/// cosine over BM25's top 200 ∪ dense's top 50; the weight is chosen on each fold's training queries). Both need
/// <c>--models DIR</c> from <c>searchrec train-deep</c>. The <c>-distilled</c> rankers train their own tower per fold
/// (a judged LambdaMART teacher distilled over the query log; see <c>docs/deep-model.md</c>), the <c>-residual</c>
/// ones a tower trained for the fusion (BM25 as a fixed logit offset, the teacher's pick as target), the
/// <c>-residual-ens</c> ones the mean cosine of several such towers; all need <c>DIR/distill.json</c>.
/// </summary>
public sealed class DeepEvalRankerModule : IEvalRankerModule
{
    /// <inheritdoc />
    public void Register(EvalRankerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Register("dense", c => new DenseRanker(DenseEvalModule.Scorer(c)), "Deep text tower: exact dense recall over item vectors (needs --models)", DenseEvalModule.Unavailable);
        registry.Register(new FusionFactory("bm25+dense", RecallFields.All, (c, _) => DenseEvalModule.Scorer(c)), "BM25 (all fields) + deep cosine, fixed weight chosen on training folds (needs --models)", DenseEvalModule.Unavailable);
        registry.Register(new FusionFactory("bm25-bigram+dense", RecallFields.Bigram, (c, _) => DenseEvalModule.Scorer(c)), "BM25 on title bigrams + deep cosine, fixed weight chosen on training folds (needs --models)", DenseEvalModule.Unavailable);
        registry.RegisterExperimental(new TowerDenseFactory("dense-distilled", (c, train) => DistillState.For(c).Tower(train)), "Text tower distilled per fold from a LambdaMART teacher over the query log: exact dense recall (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new FusionFactory("bm25+dense-distilled", RecallFields.All, (c, train) => DistillState.For(c).Tower(train)),
            "BM25 (all fields) + cosine of the per-fold distilled tower, fixed weight chosen on training folds (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new ReorderFactory("bm25-top10-by-dense-distilled", (c, train) => DistillState.For(c).Tower(train)),
            "BM25 with its top 10 re-sorted by the per-fold distilled tower alone (diagnostic; needs --models DIR/distill.json)");
        registry.RegisterExperimental(new TowerDenseFactory("dense-residual", (c, train) => DistillState.For(c).ResidualTower(train)),
            "Text tower trained per fold for the fusion: BM25 as a fixed logit offset, a LambdaMART teacher's pick as target: exact dense recall (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new FusionFactory("bm25+dense-residual", RecallFields.All, (c, train) => DistillState.For(c).ResidualTower(train)),
            "BM25 (all fields) + cosine of the per-fold residual tower, fixed weight chosen on training folds (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new FusionFactory("bm25+dense-residual-fixed", RecallFields.All, (c, train) => DistillState.For(c).ResidualTower(train), c => DistillState.For(c).ResidualFusionWeight),
            "bm25+dense-residual at the weight the tower was trained for (residual.fusionWeight), not one chosen on the training folds (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new ReorderFactory("bm25-top10-by-dense-residual", (c, train) => DistillState.For(c).ResidualTower(train)),
            "BM25 with its top 10 re-sorted by the per-fold residual tower alone (diagnostic; needs --models DIR/distill.json)");
        registry.RegisterExperimental(new TowerDenseFactory("dense-residual-ens", (c, train) => DistillState.For(c).ResidualEnsemble(train)),
            "Mean cosine of residual.ensemble residual towers per fold (tower seeds seed, seed+1, …; one teacher and one set of lists): exact dense recall (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new FusionFactory("bm25+dense-residual-ens", RecallFields.All, (c, train) => DistillState.For(c).ResidualEnsemble(train)),
            "BM25 (all fields) + the residual ensemble's mean cosine, fixed weight chosen on training folds (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new FusionFactory("bm25+dense-residual-ens-fixed", RecallFields.All, (c, train) => DistillState.For(c).ResidualEnsemble(train), c => DistillState.For(c).ResidualFusionWeight),
            "bm25+dense-residual-ens at the weight the towers were trained for (residual.fusionWeight) (needs --models DIR/distill.json)");
        registry.RegisterExperimental(new FusionFactory("bm25+dense-residual-ens-nested", RecallFields.All, (c, train) => DistillState.For(c).ResidualEnsemble(train), nestedWeight: (c, train) => DistillState.For(c).NestedResidualWeight(train)),
            "bm25+dense-residual-ens with the weight chosen on training queries the teacher did not see (two half-teachers, an ensemble each; needs --models DIR/distill.json)");
        registry.RegisterExperimental(new TermFusionFactory("bm25+dense-terms"),
            "BM25 (all fields) + a term-level score from the text tower (mean over query words of the best cosine with a title word, each word encoded alone), fixed weight chosen on training folds (deep round ten; needs --models DIR holding one tower)");
        registry.RegisterExperimental(new TermReorderFactory("bm25-top10-by-dense-terms"),
            "BM25 with its top 10 re-sorted by the term-level score alone (diagnostic; needs --models DIR holding one tower)");
        registry.RegisterExperimental(new ReorderFactory("bm25-top10-by-dense-residual-ens", (c, train) => DistillState.For(c).ResidualEnsemble(train)),
            "BM25 with its top 10 re-sorted by the residual ensemble's mean cosine alone (diagnostic; needs --models DIR/distill.json)");
    }

    private sealed class TermFusionFactory(string name) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var scorer = DenseEvalModule.TermScorer(context);
            CandidateSource source = (qid, query, grades, depth) => DenseEvalModule.TermCandidates(context.Index, scorer, qid, query, grades, depth);
            var (alpha, queries) = WeightOnTraining(context, trainQueries, source);
            context.Log?.Report($"{name}: weight {alpha:0.###} on the term score, chosen on {queries} training queries");
            return new FusedRanker(name, source, alpha);
        }
    }

    // Nothing is trained; a cross-validated factory only because experimental rankers are registered as one.
    private sealed class TermReorderFactory(string name) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries) => new ReorderRanker(name, context.Index, DenseEvalModule.TermScorer(context).Score);
    }

    private sealed class TowerDenseFactory(string name, Func<EvalContext, IReadOnlyList<EvalQuery>, IDenseScorer> tower) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries) => new DenseRanker(tower(context, trainQueries), Name);
    }

    private sealed class ReorderFactory(string name, Func<EvalContext, IReadOnlyList<EvalQuery>, IDenseScorer> tower) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries) => new ReorderRanker(Name, context.Index, tower(context, trainQueries).Score);
    }

    // BM25's top 10 re-sorted by a score alone (query, ids → one score per id), BM25's order below them.
    private sealed class ReorderRanker(string name, IProductRecall index, Func<string, IReadOnlyList<string>, float[]> score) : IEvalRanker
    {
        public string Name => name;

        public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
        {
            var bm = index.Recall(new RecallRequest(query) { TopN = depth });
            var top = Math.Min(10, bm.Count);
            var ids = new string[top];
            for (var i = 0; i < top; i++) ids[i] = bm[i].ProductId;
            var dense = score(query, ids);
            var result = new List<(string, float)>(bm.Count);
            // Top 10 by the deep score (stable on ties), then BM25's order below them.
            foreach (var i in Enumerable.Range(0, top).OrderByDescending(i => dense[i]).ThenBy(i => i)) result.Add((ids[i], 2 + dense[i]));
            for (var i = top; i < bm.Count; i++) result.Add((bm[i].ProductId, -i));
            return result;
        }
    }

    private sealed class DenseRanker(IDenseScorer scorer, string name = "dense") : IEvalRanker
    {
        public string Name => name;
        public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth) => scorer.Nearest(query, depth);
    }

    // fixedWeight: the deep score's weight, decided in advance; nestedWeight: chosen by the tower's own procedure
    // (queries its teacher did not see); neither: chosen on the fold's training queries.
    private sealed class FusionFactory(string name, RecallFields fields, Func<EvalContext, IReadOnlyList<EvalQuery>, IDenseScorer> tower, Func<EvalContext, double>? fixedWeight = null,
        Func<EvalContext, IReadOnlyList<EvalQuery>, double>? nestedWeight = null) : ICrossValidatedRankerFactory
    {
        public string Name => name;

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            var scorer = tower(context, trainQueries);
            CandidateSource source = (qid, query, grades, depth) => DenseEvalModule.Candidates(context.Index, scorer, qid, query, grades, depth, fields);
            if (nestedWeight is not null)
            {
                var w = nestedWeight(context, trainQueries);
                context.Log?.Report($"{name}: weight {w:0.###} on the deep score, chosen on training queries the teacher did not see");
                return new FusedRanker(name, source, w);
            }
            if (fixedWeight is not null)
            {
                var w = fixedWeight(context);
                context.Log?.Report($"{name}: fixed weight {w:0.###} on the deep score");
                return new FusedRanker(name, source, w);
            }
            var (alpha, queries) = WeightOnTraining(context, trainQueries, source);
            context.Log?.Report($"{name}: weight {alpha:0.###} on the deep score, chosen on {queries} training queries");
            return new FusedRanker(name, source, alpha);
        }
    }

    // One query's candidates (ids, normalised BM25, second score) with its grades, BM25 read to the given depth.
    private delegate DenseEvalModule.QueryCandidates CandidateSource(string qid, string query, IReadOnlyDictionary<string, int> grades, int depth);

    // The fusion weight with the best nDCG@10 on the judged training queries (BM25's top 200 each), and their count.
    private static (double Weight, int Queries) WeightOnTraining(EvalContext context, IReadOnlyList<EvalQuery> trainQueries, CandidateSource source)
    {
        var data = new List<DenseEvalModule.QueryCandidates>();
        foreach (var q in trainQueries)
            if (context.Qrels.HasRelevant(q.Id)) data.Add(source(q.Id, q.Text, context.Qrels.For(q.Id), 200));
        return (DenseEvalModule.BestWeight(data), data.Count);
    }

    // (1 − alpha) · normalised BM25 + alpha · the second score, over the source's candidates.
    private sealed class FusedRanker(string name, CandidateSource source, double alpha) : IEvalRanker
    {
        public string Name => name;

        public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
        {
            var c = source(queryId, query, new Dictionary<string, int>(), Math.Max(200, depth));
            var fused = new (string, float)[c.Ids.Length];
            for (var i = 0; i < fused.Length; i++) fused[i] = (c.Ids[i], (float)((1 - alpha) * c.Bm25[i] + alpha * c.Dense[i]));
            var order = Enumerable.Range(0, fused.Length).OrderByDescending(i => fused[i].Item2).ThenBy(i => i).Take(depth);
            return order.Select(i => fused[i]).ToList();
        }
    }
}

/// <summary>Shared pieces of the dense rankers and of <c>train-deep --eval-qrels</c>.</summary>
internal static class DenseEvalModule
{
    internal const int Folds = 5;
    private const int DenseDepth = 50;
    // Fine steps near 0 let the deep score act as a tie-breaker between close BM25 scores; then 0.05 steps to 1.
    private static readonly double[] Weights = [0, 0.005, 0.01, 0.02, 0.03, .. Enumerable.Range(1, 20).Select(i => i / 20.0)];
    private static readonly ConcurrentDictionary<string, Lazy<IDenseScorer>> Scorers = new(StringComparer.Ordinal);

    /// <summary>Candidate lists of one query: ids with their normalised BM25 and dense scores.</summary>
    internal sealed record QueryCandidates(string Qid, string[] Ids, float[] Bm25, float[] Dense, IReadOnlyDictionary<string, int> Grades);

    /// <summary>Why the dense rankers cannot run on an evaluation's inputs, or null when --models holds a text tower.</summary>
    internal static string? Unavailable(EvalContext c) =>
        c.ModelsDirectory is not { } dir ? "needs --models DIR holding a text tower (trained by 'searchrec train-deep')"
        : DenseModels.Exists(dir) ? null
        : $"needs a text tower in --models, but {dir} holds no {SearchRec.Deep.DeepModelManifest.FileName} or {DenseModels.EnsembleFile} (train one with 'searchrec train-deep')";

    internal static IDenseScorer Scorer(EvalContext c)
    {
        var dir = c.ModelsDirectory ?? throw new ArgumentException("the dense rankers need --models DIR (trained by 'searchrec train-deep').");
        // One scorer per models directory for the whole run (its ORT session is reused by every fold and thread).
        var scorer = Scorers.GetOrAdd(Path.GetFullPath(dir), d => new Lazy<IDenseScorer>(() => DenseModels.Open(d))).Value;
        if (DenseModels.CatalogMismatch(scorer, id => c.Index.GetProduct(id)?.Title, dir) is { } mismatch) throw new InvalidDataException(mismatch);
        return scorer;
    }

    private static readonly ConcurrentDictionary<string, Lazy<TermMatchScorer>> TermScorers = new(StringComparer.Ordinal);

    internal static TermMatchScorer TermScorer(EvalContext c)
    {
        var dir = c.ModelsDirectory ?? throw new ArgumentException("the term-level rankers need --models DIR (one tower trained by 'searchrec train-deep').");
        if (DenseModels.IsEnsemble(dir)) throw new ArgumentException($"the term-level rankers read one tower; {dir} holds an ensemble.");
        return TermScorers.GetOrAdd(Path.GetFullPath(dir), d => new Lazy<TermMatchScorer>(() => new TermMatchScorer(DeepScorer.Open(d)))).Value;
    }

    // BM25's top bmDepth with max-normalised BM25 and the term score in the Dense slot (no dense recall).
    internal static QueryCandidates TermCandidates(IProductRecall index, TermMatchScorer scorer, string qid, string query, IReadOnlyDictionary<string, int> grades, int bmDepth)
    {
        var bm = index.Recall(new RecallRequest(query) { TopN = bmDepth });
        var max = bm.Count > 0 && bm[0].Score > 0 ? bm[0].Score : 1f;
        var ids = new string[bm.Count];
        var bms = new float[bm.Count];
        for (var i = 0; i < ids.Length; i++) { ids[i] = bm[i].ProductId; bms[i] = bm[i].Score / max; }
        return new QueryCandidates(qid, ids, bms, scorer.Score(query, ids), grades);
    }

    internal static QueryCandidates Candidates(IProductRecall index, IDenseScorer scorer, string qid, string query, IReadOnlyDictionary<string, int> grades, int bmDepth, RecallFields fields = RecallFields.All)
    {
        var bm = index.Recall(new RecallRequest(query) { TopN = bmDepth, Fields = fields });
        var v = scorer.EncodeQuery(query);
        var dense = scorer.Nearest(v, DenseDepth);
        var ids = new List<string>(bm.Count + dense.Count);
        var bmScore = new Dictionary<string, float>(StringComparer.Ordinal);
        var max = bm.Count > 0 && bm[0].Score > 0 ? bm[0].Score : 1f;
        foreach (var c in bm) if (bmScore.TryAdd(c.ProductId, c.Score / max)) ids.Add(c.ProductId);
        foreach (var (id, _) in dense) if (bmScore.TryAdd(id, 0f)) ids.Add(id);
        var arr = ids.ToArray();
        var ds = new float[arr.Length];
        scorer.Score(v, arr, ds);
        var bms = new float[arr.Length];
        for (var i = 0; i < arr.Length; i++) bms[i] = bmScore[arr[i]];
        return new QueryCandidates(qid, arr, bms, ds, grades);
    }

    internal static double Ndcg(QueryCandidates q, double alpha)
    {
        var order = Enumerable.Range(0, q.Ids.Length)
            .OrderByDescending(i => (1 - alpha) * q.Bm25[i] + alpha * q.Dense[i]).ThenBy(i => i)
            .Select(i => q.Ids[i]).Take(10).ToList();
        return RankingMetrics.Ndcg(order, q.Grades, 10);
    }

    /// <summary>The weight on the deep score (0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, …, 1) with the best mean nDCG@10; the smallest on ties.</summary>
    internal static double BestWeight(IReadOnlyList<QueryCandidates> data)
    {
        double best = -1, bestA = 0;
        foreach (var a in Weights)
        {
            double s = 0;
            foreach (var q in data) s += Ndcg(q, a);
            if (s > best + 1e-12) { best = s; bestA = a; }
        }
        return bestA;
    }

    /// <summary>BM25, dense and cross-validated bm25+dense nDCG@10 (folds: query order by id, i mod 5).</summary>
    internal static (double Bm25, double Fused, string Line) Report(ProductIndex index, DeepScorer scorer, Dictionary<string, string> queries, Dictionary<string, Dictionary<string, int>> qrels)
    {
        var data = new List<QueryCandidates>();
        foreach (var qid in queries.Keys.OrderBy(q => q, StringComparer.Ordinal))
            if (qrels.TryGetValue(qid, out var g) && g.Values.Any(x => x > 0)) data.Add(Candidates(index, scorer, qid, queries[qid], g, 200));
        var n = data.Count;
        if (n == 0) return (0, 0, "eval: no judged query");
        double bm = 0, dense = 0, mrrDense = 0;
        foreach (var q in data)
        {
            bm += Ndcg(q, 0);
            var ranked = scorer.Nearest(queries[q.Qid], 10).Select(x => x.ProductId).ToList();
            dense += RankingMetrics.Ndcg(ranked, q.Grades, 10);
            mrrDense += RankingMetrics.ReciprocalRank(ranked, q.Grades, 10);
        }
        double fused = 0;
        var chosen = new List<string>();
        for (var f = 0; f < Folds; f++)
        {
            var train = data.Where((_, i) => i % Folds != f).ToList();
            var a = BestWeight(train);
            chosen.Add(a.ToString("0.###", CultureInfo.InvariantCulture));
            for (var i = f; i < n; i += Folds) fused += Ndcg(data[i], a);
        }
        return (bm / n, fused / n, $"relevance on {n} queries (nDCG@10): bm25 {bm / n:F4}  dense {dense / n:F4} (MRR@10 {mrrDense / n:F4})  bm25+dense (5-fold CV) {fused / n:F4}  [weights per fold: {string.Join(", ", chosen)}]");
    }
}
