using SearchRec.Core;
using SearchRec.Text;

namespace SearchRec.Index;

/// <summary>One completion of what a shopper has typed.</summary>
/// <param name="Text">The query to offer.</param>
/// <param name="Kind">Where it comes from: <c>category</c>, <c>brand</c>, <c>brand+category</c> (catalog phrases) or <c>query</c> (a query log).</param>
/// <param name="Weight">How much it counts: the products a catalog phrase covers, or how often the log holds the query (summed when both).</param>
public sealed record Suggestion(string Text, string Kind, long Weight);

/// <summary>
/// Completes a search-bar prefix with queries that find products: the catalog's leaf categories, brands and brand +
/// category pairs, and the queries of a query log whose every word the index holds. Matching ignores case, width,
/// traditional characters, spaces and punctuation (<see cref="QueryTextComparer"/>), so <c>荣耀充</c> completes to
/// <c>荣耀 充电宝</c>. Completions rank by weight, then by the products they reach (a catalog phrase's own count; for a
/// log query, the products holding its rarest word), then shorter first. Immutable and thread-safe once built.
/// </summary>
public sealed class QuerySuggester
{
    /// <summary>Most completions one call returns.</summary>
    public const int MaxK = 20;

    /// <summary>Longest log query kept, in characters (longer ones are pasted titles, not queries).</summary>
    public const int MaxQueryLength = 40;

    // Prefixes matching more entries than this get their top MaxK kept at build, so no call scans a long range.
    private const int HeavyRange = 256;
    private const int HeavyPrefixLength = 3;

    private readonly string[] _keys;      // sorted, ordinal
    private readonly Suggestion[] _entries; // in key order
    private readonly long[] _reach;         // products each entry reaches, the tie-break after the weight
    private readonly Dictionary<string, int[]> _heavy;

    private QuerySuggester(string[] keys, Suggestion[] entries, long[] reach)
    {
        _keys = keys;
        _entries = entries;
        _reach = reach;
        _heavy = new Dictionary<string, int[]>(StringComparer.Ordinal);
        for (var length = 1; length <= HeavyPrefixLength; length++)
        {
            var start = 0;
            while (start < keys.Length)
            {
                if (keys[start].Length < length) { start++; continue; }
                var prefix = keys[start][..length];
                var end = start + 1;
                while (end < keys.Length && keys[end].StartsWith(prefix, StringComparison.Ordinal)) end++;
                if (end - start > HeavyRange) _heavy[prefix] = Top(start, end, MaxK);
                start = end;
            }
        }
    }

    /// <summary>Distinct completions held.</summary>
    public int Count => _keys.Length;

    /// <summary>Every completion with its match key and the products it reaches, in key order (for tests).</summary>
    internal IEnumerable<(string Key, Suggestion Entry, long Reach)> Entries()
    {
        for (var i = 0; i < _keys.Length; i++) yield return (_keys[i], _entries[i], _reach[i]);
    }

    /// <summary>
    /// Builds the completions of <paramref name="products"/> and, when given, of <paramref name="queryLog"/> (one
    /// query per entry; repeats add up). A log query is kept only when it is at most <see cref="MaxQueryLength"/>
    /// characters and some title in <paramref name="index"/> holds each word of it, so that each completion finds
    /// what it names.
    /// </summary>
    /// <param name="products">The catalog (its categories and brands).</param>
    /// <param name="index">The index the completions are searched in.</param>
    /// <param name="queryLog">Queries people searched for, or null.</param>
    public static QuerySuggester Build(IEnumerable<Product> products, ProductIndex index, IEnumerable<string>? queryLog = null)
    {
        Guard.NotNull(products);
        Guard.NotNull(index);
        var byKey = new Dictionary<string, (string Text, string Kind, long Weight, long Reach)>(StringComparer.Ordinal);
        void Add(string text, string kind, long weight, long reach)
        {
            var key = QueryTextComparer.Key(text);
            if (key.Length == 0) return;
            if (byKey.TryGetValue(key, out var had))
            {
                // One completion per key; the text of the heavier source shows.
                var keep = had.Weight >= weight ? (had.Text, had.Kind) : (text, kind);
                byKey[key] = (keep.Item1, keep.Item2, had.Weight + weight, Math.Max(had.Reach, reach));
            }
            else byKey[key] = (text, kind, weight, reach);
        }

        var categories = new Dictionary<string, long>(StringComparer.Ordinal);
        var brands = new Dictionary<string, long>(StringComparer.Ordinal);
        var pairs = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in products)
        {
            var leaf = p.Category.Count > 0 ? p.Category[^1].Trim() : "";
            var brand = p.Brand?.Trim() ?? "";
            if (leaf.Length > 0) Increment(categories, leaf);
            if (brand.Length > 0) Increment(brands, brand);
            if (leaf.Length > 0 && brand.Length > 0 && !leaf.Contains(brand, StringComparison.Ordinal)) Increment(pairs, brand + " " + leaf);
        }
        foreach (var (text, n) in categories) Add(text, "category", n, n);
        foreach (var (text, n) in brands) Add(text, "brand", n, n);
        foreach (var (text, n) in pairs) Add(text, "brand+category", n, n);

        if (queryLog is not null)
        {
            var counts = new Dictionary<string, (string Text, long Count)>(StringComparer.Ordinal);
            foreach (var line in queryLog)
            {
                var text = line.Trim();
                if (text.Length == 0 || text.Length > MaxQueryLength) continue;
                var key = QueryTextComparer.Key(text);
                if (key.Length == 0) continue;
                counts[key] = counts.TryGetValue(key, out var c) ? (c.Text, c.Count + 1) : (text, 1);
            }
            foreach (var (_, (text, n)) in counts)
                if (index.RarestWordProducts(text) is var reach and > 0) Add(text, "query", n, reach);
        }

        var keys = new string[byKey.Count];
        var order = new int[byKey.Count];
        var entries = new Suggestion[byKey.Count];
        var reaches = new long[byKey.Count];
        var i = 0;
        foreach (var (key, (text, kind, weight, reach)) in byKey)
        {
            keys[i] = key;
            order[i] = i;
            entries[i] = new Suggestion(text, kind, weight);
            reaches[i++] = reach;
        }
        Array.Sort(keys, order, StringComparer.Ordinal);
        var sortedEntries = new Suggestion[order.Length];
        var sortedReach = new long[order.Length];
        for (var j = 0; j < order.Length; j++)
        {
            sortedEntries[j] = entries[order[j]];
            sortedReach[j] = reaches[order[j]];
        }
        return new QuerySuggester(keys, sortedEntries, sortedReach);
    }

    /// <summary>
    /// The best <paramref name="k"/> completions of <paramref name="typed"/> (at most <see cref="MaxK"/>), heaviest
    /// first; empty when nothing completes it or it holds no letter or digit.
    /// </summary>
    public IReadOnlyList<Suggestion> Suggest(string typed, int k)
    {
        Guard.NotNull(typed);
        if (k < 1 || k > MaxK) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {MaxK}].");
        var key = QueryTextComparer.Key(typed);
        if (key.Length == 0) return [];
        int[] top;
        if (_heavy.TryGetValue(key, out var kept)) top = kept;
        else
        {
            var start = LowerBound(key);
            var end = start;
            while (end < _keys.Length && _keys[end].StartsWith(key, StringComparison.Ordinal)) end++;
            top = Top(start, end, k);
        }
        var n = Math.Min(k, top.Length);
        var result = new Suggestion[n];
        for (var j = 0; j < n; j++) result[j] = _entries[top[j]];
        return result;
    }

    // The first index whose key is not below `key`.
    private int LowerBound(string key)
    {
        int lo = 0, hi = _keys.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(_keys[mid], key) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    // Entries [start, end) ranked best first, the first k of them.
    private int[] Top(int start, int end, int k)
    {
        var best = new int[Math.Min(k, end - start)];
        var n = 0;
        for (var i = start; i < end; i++)
        {
            if (n == best.Length && !Better(i, best[n - 1])) continue;
            var at = n == best.Length ? n - 1 : n++;
            while (at > 0 && Better(i, best[at - 1])) { best[at] = best[at - 1]; at--; }
            best[at] = i;
        }
        return best;
    }

    // Heavier first; then the one reaching more products, the shorter key (the more general query), key order.
    private bool Better(int a, int b)
    {
        long wa = _entries[a].Weight, wb = _entries[b].Weight;
        if (wa != wb) return wa > wb;
        if (_reach[a] != _reach[b]) return _reach[a] > _reach[b];
        if (_keys[a].Length != _keys[b].Length) return _keys[a].Length < _keys[b].Length;
        return string.CompareOrdinal(_keys[a], _keys[b]) < 0;
    }

    private static void Increment(Dictionary<string, long> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;
}
