using System.Globalization;
using SearchRec.Deep.Scoring;
using SearchRec.Evaluation.Metrics;
using SearchRec.Index;

namespace SearchRec.Cli.Commands;

/// <summary>
/// The deep model's relevance check: BM25 alone, dense recall alone, and <c>bm25+dense</c> — a fixed weighted sum
/// of max-normalised BM25 and the deep cosine over the union of BM25's top 200 and dense's top 50 — whose weight is
/// chosen on the training folds of a 5-fold split over the queries and applied to the held-out fold.
/// </summary>
internal static class DenseEvalModule
{
    internal const int Folds = 5;
    private const int BmDepth = 200, DenseDepth = 50;
    private static readonly double[] Weights = Enumerable.Range(0, 21).Select(i => i / 20.0).ToArray();

    /// <summary>Candidate lists of one query: ids with their normalised BM25 and dense scores.</summary>
    internal sealed record QueryCandidates(string Qid, string[] Ids, float[] Bm25, float[] Dense, Dictionary<string, int> Grades);

    internal static List<QueryCandidates> Collect(ProductIndex index, DeepScorer scorer, Dictionary<string, string> queries, Dictionary<string, Dictionary<string, int>> qrels)
    {
        var list = new List<QueryCandidates>();
        foreach (var qid in queries.Keys.OrderBy(q => q, StringComparer.Ordinal))
        {
            if (!qrels.TryGetValue(qid, out var grades)) continue;
            var q = queries[qid];
            var bm = index.Recall(new RecallRequest(q) { TopN = BmDepth });
            var v = scorer.EncodeQuery(q);
            var dense = scorer.Nearest(v, DenseDepth);
            var ids = new List<string>(bm.Count + dense.Count);
            var bmScore = new Dictionary<string, float>(StringComparer.Ordinal);
            var max = bm.Count > 0 ? bm[0].Score : 1f;
            foreach (var c in bm) { if (bmScore.TryAdd(c.ProductId, c.Score / max)) ids.Add(c.ProductId); }
            foreach (var (id, _) in dense) if (!bmScore.ContainsKey(id)) { bmScore[id] = 0f; ids.Add(id); }
            var arr = ids.ToArray();
            var ds = new float[arr.Length];
            scorer.Score(v, arr, ds);
            list.Add(new QueryCandidates(qid, arr, arr.Select(i => bmScore[i]).ToArray(), ds, grades));
        }
        return list;
    }

    internal static double Ndcg(QueryCandidates q, double alpha)
    {
        var order = Enumerable.Range(0, q.Ids.Length)
            .OrderByDescending(i => (1 - alpha) * q.Bm25[i] + alpha * q.Dense[i]).ThenBy(i => i)
            .Select(i => q.Ids[i]).Take(10).ToList();
        return RankingMetrics.Ndcg(order, q.Grades, 10);
    }

    /// <summary>Prints BM25, dense and cross-validated bm25+dense nDCG@10; returns the CV fused and BM25 means.</summary>
    internal static (double Bm25, double Fused) Report(ProductIndex index, DeepScorer scorer, Dictionary<string, string> queries, Dictionary<string, Dictionary<string, int>> qrels)
    {
        var data = Collect(index, scorer, queries, qrels);
        var n = data.Count;
        if (n == 0) { Console.WriteLine("eval: no judged query"); return (0, 0); }
        double bm = 0, dense = 0, mrrDense = 0;
        foreach (var q in data)
        {
            bm += Ndcg(q, 0);
            var ranked = scorer.Nearest(scorer.EncodeQuery(queries[q.Qid]), 10).Select(x => x.ProductId).ToList();
            dense += RankingMetrics.Ndcg(ranked, q.Grades, 10);
            mrrDense += RankingMetrics.ReciprocalRank(ranked, q.Grades, 10);
        }
        double fused = 0;
        var chosen = new List<string>();
        for (var f = 0; f < Folds; f++)
        {
            double best = -1, bestA = 0;
            foreach (var a in Weights)
            {
                double s = 0;
                for (var i = 0; i < n; i++) if (i % Folds != f) s += Ndcg(data[i], a);
                if (s > best + 1e-12) { best = s; bestA = a; }
            }
            chosen.Add(bestA.ToString("F2", CultureInfo.InvariantCulture));
            for (var i = f; i < n; i += Folds) fused += Ndcg(data[i], bestA);
        }
        Console.WriteLine($"relevance on {n} queries (nDCG@10): bm25 {bm / n:F4}  dense {dense / n:F4} (MRR@10 {mrrDense / n:F4})  bm25+dense (5-fold CV) {fused / n:F4}  [weights per fold: {string.Join(", ", chosen)}]");
        return (bm / n, fused / n);
    }
}
