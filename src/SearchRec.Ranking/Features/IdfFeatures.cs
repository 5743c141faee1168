namespace SearchRec.Ranking.Features;

/// <summary>
/// Query coverage weighted by how rare each query bigram is in the catalog's titles: a title missing a rare
/// (specific) query bigram such as a model number is worse off than one missing a common one such as "包邮". Reads
/// the distinct char bigrams of the folded query and, per candidate, which occur in the folded title:
/// <c>idf_coverage</c> (IDF share of the query's bigrams found), <c>idf_missing_max</c> (IDF of the rarest missing
/// one, 0 when none is missing), <c>idf_rarest_found</c> (whether the query's rarest bigram is in the title), and
/// <c>idf_query_mean</c> (the query's mean bigram IDF: how specific the query is, the same for all its candidates).
/// Queries shorter than two characters have no bigrams: the columns are NaN and <c>has_idf</c> is 0.
/// </summary>
public sealed class IdfFeatures : IFeatureGroup
{
    private const int MaxTitle = 512;

    private static readonly string[] Names = ["has_idf", "idf_coverage", "idf_missing_max", "idf_rarest_found", "idf_query_mean"];

    private readonly TitleBigramStats _stats;

    /// <summary>Creates the group over the catalog's bigram document frequencies.</summary>
    public IdfFeatures(TitleBigramStats stats) => _stats = SearchRec.Core.Guard.NotNull(stats);

    /// <inheritdoc />
    public string Name => "idf";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var q = query.Normalized.AsSpan();
        // Distinct query bigrams (start offsets into q) and their IDF, once per request.
        Span<int> starts = stackalloc int[RankingQuery.MaxQueryChars];
        Span<float> idf = stackalloc float[RankingQuery.MaxQueryChars];
        var count = 0;
        float total = 0, rarest = -1;
        var rarestAt = -1;
        for (var i = 0; i + 1 < q.Length; i++)
        {
            var pair = q.Slice(i, 2);
            var dup = false;
            for (var k = 0; k < count && !dup; k++) dup = q.Slice(starts[k], 2).SequenceEqual(pair);
            if (dup) continue;
            starts[count] = i;
            idf[count] = _stats.Idf(q[i], q[i + 1]);
            total += idf[count];
            if (idf[count] > rarest) { rarest = idf[count]; rarestAt = count; }
            count++;
        }
        if (count == 0 || total <= 0)
        {
            for (var i = 0; i < candidates.Length; i++)
            {
                output.Set(i, 0, 0);
                for (var f = 1; f < Names.Length; f++) output.Set(i, f, float.NaN);
            }
            return;
        }
        var mean = total / count;
        Span<char> title = stackalloc char[MaxTitle];
        for (var i = 0; i < candidates.Length; i++)
        {
            var raw = candidates[i].Product.Title.AsSpan();
            if (raw.Length > MaxTitle) raw = raw[..MaxTitle];
            var t = title[..TextNorm.Normalize(raw, title)];
            float found = 0, missingMax = 0;
            var rarestFound = false;
            for (var k = 0; k < count; k++)
            {
                if (t.IndexOf(q.Slice(starts[k], 2), StringComparison.Ordinal) >= 0)
                {
                    found += idf[k];
                    if (k == rarestAt) rarestFound = true;
                }
                else missingMax = MathF.Max(missingMax, idf[k]);
            }
            output.Set(i, 0, 1);
            output.Set(i, 1, found / total);
            output.Set(i, 2, missingMax);
            output.Set(i, 3, rarestFound ? 1 : 0);
            output.Set(i, 4, mean);
        }
    }
}
