using SearchRec.Core;

namespace SearchRec.Ranking.Training;

/// <summary>The metrics of one query's ranking.</summary>
/// <param name="QueryId">The query.</param>
/// <param name="Ndcg10">nDCG@10 (gain 2^grade − 1, all judgments in the ideal list).</param>
/// <param name="Mrr10">Reciprocal rank of the first relevant item in the top 10.</param>
/// <param name="Recall100">Share of relevant items in the top 100.</param>
public readonly record struct QueryMetrics(string QueryId, double Ndcg10, double Mrr10, double Recall100);

/// <summary>Metrics computed from scores over a <see cref="RankingDataset"/> (kept here because the evaluation stage depends on this one).</summary>
public static class DatasetMetrics
{
    /// <summary>Per-query metrics when each group's rows are ordered by <paramref name="scores"/> (ties keep recall order).</summary>
    public static QueryMetrics[] PerQuery(RankingDataset data, ReadOnlySpan<float> scores)
    {
        Guard.NotNull(data);
        if (scores.Length != data.Rows) throw new ArgumentException($"{scores.Length} scores for {data.Rows} rows.", nameof(scores));
        var result = new QueryMetrics[data.Groups.Count];
        for (var g = 0; g < result.Length; g++)
        {
            var group = data.Groups[g];
            var order = Order(scores.Slice(group.Start, group.Count));
            result[g] = Compute(group, order, data.Items);
        }
        return result;
    }

    /// <summary>nDCG@10 averaged over the groups (what weight tuning maximises).</summary>
    internal static double MeanNdcg10(RankingDataset data, ReadOnlySpan<float> scores)
    {
        double sum = 0;
        foreach (var m in PerQuery(data, scores)) sum += m.Ndcg10;
        return data.Groups.Count > 0 ? sum / data.Groups.Count : 0;
    }

    /// <summary>Row indexes (relative to the group) ordered by score, best first; ties keep their order.</summary>
    internal static int[] Order(ReadOnlySpan<float> scores)
    {
        var idx = new int[scores.Length];
        for (var i = 0; i < idx.Length; i++) idx[i] = i;
        var keys = scores.ToArray();
        // Stable: sort by (-score, index).
        Array.Sort(idx, (a, b) =>
        {
            var c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return idx;
    }

    private static QueryMetrics Compute(QueryGroup group, int[] order, string[] items)
    {
        double dcg = 0, rr = 0;
        var hits100 = 0;
        for (var r = 0; r < order.Length; r++)
        {
            if (!group.Judgments.TryGetValue(items[group.Start + order[r]], out var grade) || grade <= 0) continue;
            if (r < 10)
            {
                dcg += (Math.Pow(2, grade) - 1) / Math.Log2(r + 2);
                if (rr == 0) rr = 1.0 / (r + 1);
            }
            if (r < 100) hits100++;
        }
        var grades = group.Judgments.Values.Where(v => v > 0).OrderDescending().ToArray();
        double ideal = 0;
        for (var r = 0; r < Math.Min(10, grades.Length); r++) ideal += (Math.Pow(2, grades[r]) - 1) / Math.Log2(r + 2);
        return new QueryMetrics(group.QueryId, ideal > 0 ? dcg / ideal : 0, rr, grades.Length > 0 ? (double)hits100 / grades.Length : 0);
    }
}
