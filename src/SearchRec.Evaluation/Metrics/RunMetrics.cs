using SearchRec.Core;
using SearchRec.Evaluation.Trec;

namespace SearchRec.Evaluation.Metrics;

/// <summary>Per-query values of the standard search metrics, in a fixed query order.</summary>
public sealed class RunMetrics
{
    /// <summary>The metrics every evaluation reports, in display order.</summary>
    public static readonly IReadOnlyList<string> Names = ["mrr@10", "ndcg@10", "recall@100", "recall@1000"];

    private readonly Dictionary<string, double[]> _values;

    private RunMetrics(IReadOnlyList<string> queryIds, Dictionary<string, double[]> values)
    {
        QueryIds = queryIds;
        _values = values;
    }

    /// <summary>The evaluated queries, in order; every per-query array follows it.</summary>
    public IReadOnlyList<string> QueryIds { get; }

    /// <summary>The per-query values of a metric named in <see cref="Names"/>.</summary>
    public IReadOnlyList<double> PerQuery(string metric) =>
        _values.TryGetValue(metric, out var v) ? v : throw new ArgumentException($"unknown metric '{metric}'; known: {string.Join(", ", Names)}", nameof(metric));

    /// <summary>The mean of a metric over the queries (0 when there are none).</summary>
    public double Mean(string metric)
    {
        var v = (double[])PerQuery(metric);
        return v.Length == 0 ? 0 : v.Average();
    }

    /// <summary>
    /// Scores a run on the given queries (a query missing from the run scores 0 everywhere, as in trec_eval -c).
    /// </summary>
    public static RunMetrics Evaluate(TrecRun run, Qrels qrels, IReadOnlyList<string> queryIds)
    {
        Guard.NotNull(run);
        Guard.NotNull(qrels);
        Guard.NotNull(queryIds);
        var values = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var name in Names) values[name] = new double[queryIds.Count];
        for (var i = 0; i < queryIds.Count; i++)
        {
            var grades = qrels.For(queryIds[i]);
            var ranked = run.DocIds(queryIds[i]);
            values["mrr@10"][i] = RankingMetrics.ReciprocalRank(ranked, grades, 10);
            values["ndcg@10"][i] = RankingMetrics.Ndcg(ranked, grades, 10);
            values["recall@100"][i] = RankingMetrics.Recall(ranked, grades, 100);
            values["recall@1000"][i] = RankingMetrics.Recall(ranked, grades, 1000);
        }
        return new RunMetrics(queryIds, values);
    }

    /// <summary>
    /// The per-query mean of several evaluations of the same queries (repeated cross-validation: each query's value
    /// averaged over the repeats).
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, or the evaluations cover different queries.</exception>
    public static RunMetrics Mean(IReadOnlyList<RunMetrics> runs)
    {
        Guard.NotNull(runs);
        if (runs.Count == 0) throw new ArgumentException("nothing to average", nameof(runs));
        var ids = runs[0].QueryIds;
        foreach (var r in runs)
            if (!r.QueryIds.SequenceEqual(ids)) throw new ArgumentException("the evaluations cover different queries", nameof(runs));
        var values = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var sum = new double[ids.Count];
            foreach (var r in runs)
            {
                var v = r._values[name];
                for (var i = 0; i < sum.Length; i++) sum[i] += v[i];
            }
            for (var i = 0; i < sum.Length; i++) sum[i] /= runs.Count;
            values[name] = sum;
        }
        return new RunMetrics(ids, values);
    }

    /// <summary>The judged queries with a relevant document, in the order of <paramref name="queryIds"/>.</summary>
    public static IReadOnlyList<string> JudgedQueries(IEnumerable<string> queryIds, Qrels qrels)
    {
        Guard.NotNull(queryIds);
        Guard.NotNull(qrels);
        var result = new List<string>();
        foreach (var q in queryIds) if (qrels.HasRelevant(q)) result.Add(q);
        return result;
    }
}
