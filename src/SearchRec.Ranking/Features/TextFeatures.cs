using SearchRec.Core;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Query–product text features, computed without tokenizing titles (query words are matched as substrings of the
/// folded title): word and character coverage, char-bigram overlap both ways, longest common substring, exact
/// phrase, word order and proximity, prefix match, title length, and brand / category / attribute matches.
/// </summary>
public sealed class TextFeatures : IFeatureGroup
{
    private const int MaxTitle = 512;
    private const int MaxTokens = 32;

    private static readonly string[] Names =
    [
        "title_chars", "query_chars", "query_terms",
        "term_coverage", "char_coverage", "bigram_q_in_t", "bigram_t_in_q", "lcs_ratio",
        "exact_phrase", "terms_in_order", "has_proximity", "proximity", "first_match_pos", "prefix_match",
        "has_brand", "brand_match", "has_category", "category_match", "has_attributes", "attribute_match",
        "has_price", "log_price",
    ];

    /// <inheritdoc />
    public string Name => "text";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        Span<char> title = stackalloc char[MaxTitle];
        Span<int> pos = stackalloc int[MaxTokens];
        var q = query.Normalized.AsSpan();
        var tokens = query.Tokens;
        var tokenCount = Math.Min(tokens.Count, MaxTokens);
        for (var i = 0; i < candidates.Length; i++)
        {
            var p = candidates[i].Product;
            var raw = p.Title.AsSpan();
            if (raw.Length > MaxTitle) raw = raw[..MaxTitle];
            var t = title[..TextNorm.Normalize(raw, title)];

            output.Set(i, 0, t.Length);
            output.Set(i, 1, q.Length);
            output.Set(i, 2, tokenCount);

            // Word coverage, order and proximity from the first occurrence of each query word.
            int matched = 0, matchedChars = 0, first = int.MaxValue, last = -1, prevPos = -1;
            var inOrder = true;
            var totalChars = 0;
            for (var k = 0; k < tokenCount; k++)
            {
                var w = tokens[k].AsSpan();
                totalChars += w.Length;
                var at = t.IndexOf(w, StringComparison.Ordinal);
                pos[k] = at;
                if (at < 0) continue;
                matched++;
                matchedChars += w.Length;
                if (at < prevPos) inOrder = false;
                prevPos = at;
                first = Math.Min(first, at);
                last = Math.Max(last, at + w.Length);
            }
            output.Set(i, 3, tokenCount > 0 ? (float)matched / tokenCount : 0);
            output.Set(i, 4, CharCoverage(q, t));
            output.Set(i, 5, BigramShare(q, t));
            output.Set(i, 6, BigramShare(t, q));
            output.Set(i, 7, q.Length > 0 ? (float)LongestCommonSubstring(q, t) / q.Length : 0);
            output.Set(i, 8, q.Length > 0 && t.IndexOf(q, StringComparison.Ordinal) >= 0 ? 1 : 0);
            output.Set(i, 9, matched >= 2 && inOrder ? 1 : 0);
            if (matched >= 2)
            {
                output.Set(i, 10, 1);
                // 1 when matched words sit side by side, falling towards 0 as the gaps between them grow.
                output.Set(i, 11, (float)matchedChars / Math.Max(matchedChars, last - first));
            }
            else
            {
                output.Set(i, 10, 0);
                output.Set(i, 11, float.NaN);
            }
            output.Set(i, 12, matched > 0 && t.Length > 0 ? (float)first / t.Length : float.NaN);
            output.Set(i, 13, tokenCount > 0 && t.StartsWith(tokens[0].AsSpan(), StringComparison.Ordinal) ? 1 : 0);

            var hasBrand = p.Brand is { Length: > 0 };
            output.Set(i, 14, hasBrand ? 1 : 0);
            output.Set(i, 15, hasBrand ? BrandMatch(p.Brand!, q) : float.NaN);
            var hasCategory = p.Category.Count > 0;
            output.Set(i, 16, hasCategory ? 1 : 0);
            output.Set(i, 17, hasCategory ? CategoryMatch(p, q, tokens, tokenCount) : float.NaN);
            var hasAttributes = p.Attributes.Count > 0;
            output.Set(i, 18, hasAttributes ? 1 : 0);
            output.Set(i, 19, hasAttributes ? AttributeMatch(p, tokens, tokenCount) : float.NaN);
            if (p.Price is { } price && price >= 0)
            {
                output.Set(i, 20, 1);
                output.Set(i, 21, MathF.Log(1 + (float)price));
            }
            else
            {
                output.Set(i, 20, 0);
                output.Set(i, 21, float.NaN);
            }
        }
    }

    private static float BrandMatch(string brand, ReadOnlySpan<char> q)
    {
        Span<char> b = stackalloc char[Math.Min(brand.Length, 128)];
        var n = TextNorm.Normalize(brand.AsSpan(0, b.Length), b);
        return n > 0 && q.IndexOf(b[..n], StringComparison.Ordinal) >= 0 ? 1 : 0;
    }

    private static float CategoryMatch(Product p, ReadOnlySpan<char> q, IReadOnlyList<string> tokens, int tokenCount)
    {
        // 1 when a category name appears in the query, else the share of query words inside the category path.
        Span<char> c = stackalloc char[128];
        var inPath = 0;
        var category = p.Category;
        for (var l = 0; l < category.Count; l++) // index loops: an interface foreach would box its enumerator per candidate
        {
            var level = category[l];
            var n = TextNorm.Normalize(level.AsSpan(0, Math.Min(level.Length, c.Length)), c);
            if (n > 0 && q.IndexOf(c[..n], StringComparison.Ordinal) >= 0) return 1;
        }
        for (var k = 0; k < tokenCount; k++)
        {
            for (var l = 0; l < category.Count; l++)
                if (category[l].Contains(tokens[k], StringComparison.OrdinalIgnoreCase)) { inPath++; break; }
        }
        return tokenCount > 0 ? (float)inPath / tokenCount : 0;
    }

    // The share of query words found inside any attribute value. One pass over the attributes per candidate, marking
    // the words found (tokenCount <= MaxTokens = 32 bits): a pass per word enumerated the dictionary through its
    // interface each time, a boxed enumerator per candidate and word (about 18 KB per request of 200).
    private static float AttributeMatch(Product p, IReadOnlyList<string> tokens, int tokenCount)
    {
        if (tokenCount == 0) return 0;
        var all = tokenCount == 32 ? uint.MaxValue : (1u << tokenCount) - 1;
        var found = 0u;
        if (p.Attributes is Dictionary<string, IReadOnlyList<string>> dictionary)
        {
            // The dictionary's own struct enumerator (its Values view is an object made on first use, per product).
            foreach (var pair in dictionary)
                if ((found = Mark(pair.Value, tokens, tokenCount, found)) == all) break;
        }
        else
        {
            foreach (var values in p.Attributes.Values)
                if ((found = Mark(values, tokens, tokenCount, found)) == all) break;
        }
        return (float)System.Numerics.BitOperations.PopCount(found) / tokenCount;
    }

    // Adds to `found` the bit of each query word not yet found that one of the values contains.
    private static uint Mark(IReadOnlyList<string> values, IReadOnlyList<string> tokens, int tokenCount, uint found)
    {
        for (var k = 0; k < tokenCount; k++)
        {
            if ((found & (1u << k)) != 0) continue;
            for (var i = 0; i < values.Count; i++)
                if (values[i].Contains(tokens[k], StringComparison.OrdinalIgnoreCase)) { found |= 1u << k; break; }
        }
        return found;
    }

    /// <summary>The share of the query's characters found anywhere in the title.</summary>
    internal static float CharCoverage(ReadOnlySpan<char> q, ReadOnlySpan<char> t)
    {
        if (q.Length == 0) return 0;
        var hits = 0;
        foreach (var c in q) if (t.Contains(c)) hits++;
        return (float)hits / q.Length;
    }

    /// <summary>The share of <paramref name="a"/>'s character bigrams that occur in <paramref name="b"/>.</summary>
    internal static float BigramShare(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length < 2) return a.Length == 1 && b.Contains(a[0]) ? 1 : 0;
        var hits = 0;
        for (var i = 0; i + 1 < a.Length; i++)
            if (b.IndexOf(a.Slice(i, 2), StringComparison.Ordinal) >= 0) hits++;
        return (float)hits / (a.Length - 1);
    }

    /// <summary>The length of the longest common substring (dynamic programming over one row).</summary>
    internal static int LongestCommonSubstring(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        Span<int> row = b.Length <= 512 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        row.Clear();
        var best = 0;
        for (var i = 1; i <= a.Length; i++)
        {
            var diag = 0;
            for (var j = 1; j <= b.Length; j++)
            {
                var up = row[j];
                row[j] = a[i - 1] == b[j - 1] ? diag + 1 : 0;
                if (row[j] > best) best = row[j];
                diag = up;
            }
        }
        return best;
    }
}
