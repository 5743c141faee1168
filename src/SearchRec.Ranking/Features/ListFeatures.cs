using System.Buffers;

namespace SearchRec.Ranking.Features;

/// <summary>
/// How each candidate's text match compares with the rest of its recall window. LambdaMART scores one row at a
/// time, so "covers the query as well as the best candidate here" is only visible through columns like these:
/// the gap to the window's best char-bigram coverage and longest common substring, the candidate's rank by each,
/// and its title length against the window's median.
/// </summary>
public sealed class ListFeatures : IFeatureGroup
{
    private const int MaxTitle = 512;

    private static readonly string[] Names =
    [
        "list_cov_gap", "list_cov_rank", "list_lcs_gap", "list_lcs_rank", "list_len_rel",
    ];

    /// <inheritdoc />
    public string Name => "list";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var n = candidates.Length;
        if (n == 0) return;
        var q = query.Normalized.AsSpan();
        Span<char> title = stackalloc char[MaxTitle];
        var pool = ArrayPool<float>.Shared.Rent(n * 3);
        var lengthPool = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var cov = pool.AsSpan(0, n);
            var lcs = pool.AsSpan(n, n);
            var lens = lengthPool.AsSpan(0, n);
            float bestCov = 0, bestLcs = 0;
            // The text group (always before this one in the standard extractors) has computed the same three values
            // per candidate; read them rather than fold each title and run the LCS again.
            int lenCol = output.EarlierColumn("title_chars"), covCol = output.EarlierColumn("bigram_q_in_t"), lcsCol = output.EarlierColumn("lcs_ratio");
            var reuse = lenCol >= 0 && covCol >= 0 && lcsCol >= 0;
            for (var i = 0; i < n; i++)
            {
                if (reuse)
                {
                    lens[i] = (int)output.Read(i, lenCol);
                    cov[i] = output.Read(i, covCol);
                    lcs[i] = output.Read(i, lcsCol);
                }
                else
                {
                    var raw = candidates[i].Product.Title.AsSpan();
                    if (raw.Length > MaxTitle) raw = raw[..MaxTitle];
                    var t = title[..TextNorm.Normalize(raw, title)];
                    lens[i] = t.Length;
                    cov[i] = TextFeatures.BigramShare(q, t);
                    lcs[i] = q.Length > 0 ? (float)TextFeatures.LongestCommonSubstring(q, t) / q.Length : 0;
                }
                bestCov = MathF.Max(bestCov, cov[i]);
                bestLcs = MathF.Max(bestLcs, lcs[i]);
            }
            var median = Median(lens, pool.AsSpan(2 * n, n));
            for (var i = 0; i < n; i++)
            {
                output.Set(i, 0, bestCov - cov[i]);
                output.Set(i, 1, MathF.Log2(2 + RankWithin(cov, cov[i])));
                output.Set(i, 2, bestLcs - lcs[i]);
                output.Set(i, 3, MathF.Log2(2 + RankWithin(lcs, lcs[i])));
                output.Set(i, 4, MathF.Log((1 + lens[i]) / (1 + median)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pool);
            ArrayPool<int>.Shared.Return(lengthPool);
        }
    }

    private static float Median(ReadOnlySpan<int> values, Span<float> scratch)
    {
        for (var i = 0; i < values.Length; i++) scratch[i] = values[i];
        scratch.Sort();
        var m = scratch.Length / 2;
        return scratch.Length % 2 == 1 ? scratch[m] : (scratch[m - 1] + scratch[m]) / 2;
    }

    // Rank = how many candidates score strictly higher (ties share the better rank); O(n) per row.
    private static int RankWithin(ReadOnlySpan<float> values, float value)
    {
        var rank = 0;
        foreach (var v in values) if (v > value) rank++;
        return rank;
    }
}
