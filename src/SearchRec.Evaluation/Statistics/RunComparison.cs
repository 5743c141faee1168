using SearchRec.Core;
using SearchRec.Core.Statistics;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Trec;

namespace SearchRec.Evaluation.Statistics;

/// <summary>One metric of a comparison of run B against run A.</summary>
/// <param name="Metric">The metric name.</param>
/// <param name="MeanA">Run A's mean.</param>
/// <param name="MeanB">Run B's mean.</param>
/// <param name="PValue">Two-sided paired randomization p-value.</param>
/// <param name="Wins">Queries where B is higher.</param>
/// <param name="Losses">Queries where B is lower.</param>
public sealed record MetricComparison(string Metric, double MeanA, double MeanB, double PValue, int Wins, int Losses)
{
    /// <summary>B minus A.</summary>
    public double Delta => MeanB - MeanA;
}

/// <summary>Two runs scored on the same judged queries, metric by metric.</summary>
/// <param name="Queries">Evaluated queries: every qrels query with a relevant document (a run lacking one scores 0 on it).</param>
/// <param name="Metrics">One comparison per metric of <see cref="RunMetrics.Names"/>.</param>
public sealed record RunComparison(int Queries, IReadOnlyList<MetricComparison> Metrics)
{
    /// <summary>Compares run B with run A on <paramref name="qrels"/>.</summary>
    public static RunComparison Compare(TrecRun a, TrecRun b, Qrels qrels, int permutations = SignificanceTests.DefaultPermutations, int seed = 1)
    {
        var ids = JudgedIds(a, b, qrels);
        var ma = RunMetrics.Evaluate(a, qrels, ids);
        var mb = RunMetrics.Evaluate(b, qrels, ids);
        var result = new List<MetricComparison>();
        foreach (var m in RunMetrics.Names)
        {
            var va = ma.PerQuery(m);
            var vb = mb.PerQuery(m);
            int wins = 0, losses = 0;
            for (var i = 0; i < va.Count; i++)
            {
                if (vb[i] > va[i] + 1e-12) wins++;
                else if (vb[i] < va[i] - 1e-12) losses++;
            }
            result.Add(new MetricComparison(m, ma.Mean(m), mb.Mean(m), SignificanceTests.PairedRandomization(vb, va, permutations, seed), wins, losses));
        }
        return new RunComparison(ids.Count, result);
    }

    /// <summary>
    /// The two runs as an evaluation outcome (A first, so B's p-values are against A), for <see cref="Reports.EvalReport"/>:
    /// metrics with bootstrap intervals, paired tests, charts and per-query wins and losses, side by side.
    /// </summary>
    public static EvalOutcome AsOutcome(TrecRun a, TrecRun b, Qrels qrels, int permutations = SignificanceTests.DefaultPermutations, int seed = 1)
    {
        var ids = JudgedIds(a, b, qrels);
        var results = new List<RankerResult>(2);
        foreach (var (label, run) in new[] { ("A", a), ("B", b) })
        {
            var metrics = RunMetrics.Evaluate(run, qrels, ids);
            var ci = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
            var p = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var m in RunMetrics.Names)
            {
                ci[m] = SignificanceTests.BootstrapCi(metrics.PerQuery(m), SignificanceTests.DefaultResamples, seed);
                if (results.Count > 0) p[m] = SignificanceTests.PairedRandomization(metrics.PerQuery(m), results[0].Metrics.PerQuery(m), permutations, seed);
            }
            // Labelled, since two runs often carry the same tag.
            results.Add(new RankerResult($"{label}: {run.Name}", run, metrics, ci, p, [], TimeSpan.Zero));
        }
        return new EvalOutcome(ids, results, 0, 0);
    }

    // Every qrels query with a relevant document, in order: a run lacking one scores 0 on it.
    private static List<string> JudgedIds(TrecRun a, TrecRun b, Qrels qrels)
    {
        Guard.NotNull(a);
        Guard.NotNull(b);
        Guard.NotNull(qrels);
        var ids = new List<string>(RunMetrics.JudgedQueries(qrels.QueryIds, qrels));
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }
}
