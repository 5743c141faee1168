using System.Buffers;

namespace SearchRec.Ranking.Features;

/// <summary>
/// BM25 features from the recall stage: the combined and per-field scores, each score relative to the best in
/// the window, the recall rank, and the rank each field alone would give within the window.
/// </summary>
public sealed class RecallFeatures : IFeatureGroup
{
    private static readonly string[] Names =
    [
        "bm25", "bm25_title", "bm25_bigram", "bm25_brand", "bm25_category", "bm25_attributes",
        "bm25_rel", "bm25_title_rel", "bm25_bigram_rel",
        "recall_rank", "rank_title", "rank_bigram",
    ];

    /// <inheritdoc />
    public string Name => "recall";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var n = candidates.Length;
        if (n == 0) return;
        float maxAll = 0, maxTitle = 0, maxBigram = 0;
        var title = ArrayPool<float>.Shared.Rent(n);
        var bigram = ArrayPool<float>.Shared.Rent(n);
        try
        {
            for (var i = 0; i < n; i++)
            {
                var r = candidates[i].Recall;
                title[i] = r.Fields.Title;
                bigram[i] = r.Fields.Bigram;
                maxAll = MathF.Max(maxAll, r.Score);
                maxTitle = MathF.Max(maxTitle, r.Fields.Title);
                maxBigram = MathF.Max(maxBigram, r.Fields.Bigram);
            }
            for (var i = 0; i < n; i++)
            {
                var r = candidates[i].Recall;
                var f = r.Fields;
                output.Set(i, 0, r.Score);
                output.Set(i, 1, f.Title);
                output.Set(i, 2, f.Bigram);
                output.Set(i, 3, f.Brand);
                output.Set(i, 4, f.Category);
                output.Set(i, 5, f.Attributes);
                output.Set(i, 6, maxAll > 0 ? r.Score / maxAll : 0);
                output.Set(i, 7, maxTitle > 0 ? f.Title / maxTitle : 0);
                output.Set(i, 8, maxBigram > 0 ? f.Bigram / maxBigram : 0);
                output.Set(i, 9, MathF.Log2(2 + r.Rank));
                output.Set(i, 10, MathF.Log2(2 + RankWithin(title.AsSpan(0, n), f.Title)));
                output.Set(i, 11, MathF.Log2(2 + RankWithin(bigram.AsSpan(0, n), f.Bigram)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(title);
            ArrayPool<float>.Shared.Return(bigram);
        }
    }

    // Rank = how many candidates score strictly higher; O(n) per row, n is the recall window (hundreds).
    private static int RankWithin(ReadOnlySpan<float> scores, float value)
    {
        var rank = 0;
        foreach (var s in scores) if (s > value) rank++;
        return rank;
    }
}
