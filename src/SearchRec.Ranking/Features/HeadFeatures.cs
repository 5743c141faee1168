namespace SearchRec.Ranking.Features;

/// <summary>
/// Whether the title has the query's head word. Chinese shopping queries are mostly modifiers followed by the
/// product type ("7岁宝宝休闲<b>靴子</b>", "背景墙<b>吊灯</b>"), so the last query word says what is wanted and the
/// others narrow it: a title matching every modifier but another product type is a poor answer.
/// <c>head_match</c>: the last query word is in the folded title; <c>head_char_share</c>: the share of its characters
/// in the title (partial credit for 靴 in 雪地靴); <c>head_pos</c>: where its last occurrence starts, relative to
/// the title length (NaN, with <c>head_match</c> 0, when absent). Queries of one word get the same columns.
/// </summary>
public sealed class HeadFeatures : IFeatureGroup
{
    private const int MaxTitle = 512;

    private static readonly string[] Names = ["head_match", "head_char_share", "head_pos"];

    /// <inheritdoc />
    public string Name => "head";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var head = query.Tokens.Count > 0 ? query.Tokens[^1].AsSpan() : ReadOnlySpan<char>.Empty;
        Span<char> title = stackalloc char[MaxTitle];
        for (var i = 0; i < candidates.Length; i++)
        {
            var raw = candidates[i].Product.Title.AsSpan();
            if (raw.Length > MaxTitle) raw = raw[..MaxTitle];
            var t = title[..TextNorm.Normalize(raw, title)];
            var at = head.IsEmpty ? -1 : t.LastIndexOf(head, StringComparison.Ordinal);
            output.Set(i, 0, at >= 0 ? 1 : 0);
            output.Set(i, 1, TextFeatures.CharCoverage(head, t));
            output.Set(i, 2, at >= 0 && t.Length > 0 ? (float)at / t.Length : float.NaN);
        }
    }
}
