namespace SearchRec.Evaluation.Metrics;

/// <summary>
/// Per-query ranking metrics over a ranked list and graded judgments (grade &gt; 0 is relevant).
/// nDCG uses the exponential gain 2^grade − 1 (Burges et al., as LambdaMART trains on) and log2 discounts; trec_eval's
/// ndcg_cut uses the grade itself as the gain, which gives the same values on binary judgments only.
/// A list that repeats an item earns for it once, at its first position (the repeat keeps its slot), so recall and
/// nDCG never exceed 1.
/// </summary>
public static class RankingMetrics
{
    /// <summary>nDCG@k; 0 when the query has no relevant item.</summary>
    public static double Ndcg<T>(IReadOnlyList<T> ranked, IReadOnlyDictionary<T, int> grades, int k) where T : notnull
    {
        double dcg = 0;
        var n = Math.Min(k, ranked.Count);
        HashSet<T>? earned = null;
        for (var i = 0; i < n; i++)
            if (grades.TryGetValue(ranked[i], out var g) && g > 0 && (earned ??= []).Add(ranked[i]))
                dcg += (Math.Pow(2, g) - 1) / Math.Log2(i + 2);
        var ideal = IdealDcg(grades, k);
        return ideal > 0 ? dcg / ideal : 0;
    }

    /// <summary>Reciprocal rank of the first relevant item within the top k; 0 when none.</summary>
    public static double ReciprocalRank<T>(IReadOnlyList<T> ranked, IReadOnlyDictionary<T, int> grades, int k) where T : notnull
    {
        var n = Math.Min(k, ranked.Count);
        for (var i = 0; i < n; i++)
            if (grades.TryGetValue(ranked[i], out var g) && g > 0) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>The share of relevant items found in the top k; 0 when the query has no relevant item.</summary>
    public static double Recall<T>(IReadOnlyList<T> ranked, IReadOnlyDictionary<T, int> grades, int k) where T : notnull
    {
        var relevant = 0;
        foreach (var g in grades.Values) if (g > 0) relevant++;
        if (relevant == 0) return 0;
        return (double)Hits(ranked, grades, k) / relevant;
    }

    /// <summary>Hit rate: 1 when any relevant item is in the top k, else 0.</summary>
    public static double HitRate<T>(IReadOnlyList<T> ranked, IReadOnlyDictionary<T, int> grades, int k) where T : notnull =>
        Hits(ranked, grades, k) > 0 ? 1 : 0;

    /// <summary>Distinct relevant items in the top k (an item the list repeats counts once).</summary>
    public static int Hits<T>(IReadOnlyList<T> ranked, IReadOnlyDictionary<T, int> grades, int k) where T : notnull
    {
        var n = Math.Min(k, ranked.Count);
        HashSet<T>? found = null;
        for (var i = 0; i < n; i++)
            if (grades.TryGetValue(ranked[i], out var g) && g > 0) (found ??= []).Add(ranked[i]);
        return found?.Count ?? 0;
    }

    private static double IdealDcg<T>(IReadOnlyDictionary<T, int> grades, int k) where T : notnull
    {
        var positive = new List<int>();
        foreach (var g in grades.Values) if (g > 0) positive.Add(g);
        positive.Sort((a, b) => b.CompareTo(a));
        double ideal = 0;
        for (var i = 0; i < Math.Min(k, positive.Count); i++) ideal += (Math.Pow(2, positive[i]) - 1) / Math.Log2(i + 2);
        return ideal;
    }
}
