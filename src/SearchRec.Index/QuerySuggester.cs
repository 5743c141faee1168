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
/// <c>荣耀 充电宝</c>. Typed Latin letters also match the pinyin of Chinese characters, whole or by initials
/// (<see cref="Pinyin.MatchPrefix"/>: <c>lianyiq</c>, <c>lyq</c> and <c>连yq</c> complete to <c>连衣裙</c>); such
/// completions follow the literal ones, those typing every reading whole before those typing initials. Completions
/// rank by weight, then by the products they reach (a catalog phrase's own count; for a log query, the products
/// holding its rarest word), then shorter first. Immutable and thread-safe once built.
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

    private static readonly System.Buffers.SearchValues<char> LettersAndDigits =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");

    private readonly string[] _keys;      // sorted, ordinal
    private readonly Suggestion[] _entries; // in key order
    private readonly long[] _reach;         // products each entry reaches, the tie-break after the weight
    private readonly Dictionary<string, int[]> _heavy;
    // Entries whose key can begin with a letter or digit (its own, or the first letter of a reading), best first.
    private readonly int[][] _byFirstLetter;
    // Entries whose key begins with a Chinese character, by key length and the first letter of each reading of that character, best first.
    private readonly Dictionary<int, int[]> _bySound;
    // Pinyin completions of short prefixes of letters and digits alone, the ones scanning the most entries; at most 36^3 keys.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _pinyinShort = new(StringComparer.Ordinal);

    private QuerySuggester(string[] keys, Suggestion[] entries, long[] reach)
    {
        _keys = keys;
        _entries = entries;
        _reach = reach;
        var ranked = new int[keys.Length];
        for (var i = 0; i < ranked.Length; i++) ranked[i] = i;
        Array.Sort(ranked, Rank);
        _byFirstLetter = FirstLetterLists(ranked);
        _bySound = SoundLists(ranked);
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

    /// <summary>How many short pinyin prefixes have their completions cached (for tests).</summary>
    internal int CachedPinyinPrefixes => _pinyinShort.Count;

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
            // A catalog built from an event log files its items under category ids: numbers are no completions.
            if (leaf.Length > MaxQueryLength / 2 || leaf.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0) leaf = "";
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

    /// <summary>Reads a query log for <see cref="Build"/>: one query per line, or <c>qid&lt;TAB&gt;query</c> with further columns ignored.</summary>
    /// <exception cref="InvalidDataException">The file is not UTF-8 (naming its first bad line).</exception>
    public static IReadOnlyList<string> ReadLog(string path)
    {
        Guard.NotNull(path);
        var list = new List<string>();
        foreach (var line in TextFiles.ReadLines(path))
        {
            var text = line;
            var tab = line.IndexOf('\t');
            if (tab >= 0)
            {
                var end = line.IndexOf('\t', tab + 1);
                text = end < 0 ? line[(tab + 1)..] : line[(tab + 1)..end];
            }
            if (!string.IsNullOrWhiteSpace(text)) list.Add(text.Trim());
        }
        return list;
    }

    /// <summary>
    /// The best <paramref name="k"/> completions of <paramref name="typed"/> (at most <see cref="MaxK"/>): those
    /// beginning with it, heaviest first, then, when it holds Latin letters, those whose pinyin it spells; empty when
    /// nothing completes it or it holds no letter or digit.
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
            var (start, end) = Range(key);
            top = Top(start, end, k);
        }
        var n = Math.Min(k, top.Length);
        int[] spelled = n < k && key.AsSpan().IndexOfAnyInRange('a', 'z') >= 0 ? PinyinTop(key) : [];
        var result = new List<Suggestion>(Math.Min(k, n + spelled.Length));
        for (var j = 0; j < n; j++) result.Add(_entries[top[j]]);
        foreach (var id in spelled)
        {
            if (result.Count == k) break;
            if (Array.IndexOf(top, id, 0, n) < 0) result.Add(_entries[id]);
        }
        return result;
    }

    /// <summary>
    /// The heaviest completion whose Chinese text <paramref name="typed"/> spells whole in pinyin (<c>lianyiqun</c> →
    /// <c>连衣裙</c>), for a search of Latin letters that finds nothing; null when it holds no Latin letter or spells none.
    /// </summary>
    public string? Respell(string typed)
    {
        Guard.NotNull(typed);
        var key = QueryTextComparer.Key(typed);
        if (key.Length < 2 || key.AsSpan().IndexOfAnyInRange('a', 'z') < 0) return null;
        var slot = LetterSlot(key[0]);
        if (slot < 0) return null;
        foreach (var id in _byFirstLetter[slot])
            if (Pinyin.Spells(_keys[id], key) && _keys[id].AsSpan().IndexOfAnyInRange('a', 'z') < 0) return _entries[id].Text;
        return null;
    }

    /// <summary>
    /// For a search that is no completion itself, the heaviest completion that reads alike
    /// character for character, one or more of them homophones of the typed ones (<c>连衣群</c> → <c>连衣裙</c>;
    /// <see cref="Pinyin.SoundsAlike"/>): the homophone a pinyin input method let the shopper pick by mistake. Null when
    /// the search is a completion, does not begin with a Chinese character, or reads like none.
    /// </summary>
    public string? DidYouMean(string typed)
    {
        Guard.NotNull(typed);
        var key = QueryTextComparer.Key(typed);
        if (key.Length < 2 || key.Length > MaxQueryLength) return null;
        var first = Pinyin.ReadingsOf(key[0]);
        if (first.IsEmpty) return null;
        var (start, end) = Range(key);
        if (start < end && _keys[start].Length == key.Length) return null;
        var best = -1;
        foreach (var reading in first)
        {
            if (!_bySound.TryGetValue(SoundSlot(key.Length, reading[0]), out var list)) continue;
            foreach (var id in list)
            {
                if (best >= 0 && !Better(id, best)) break;
                if (Pinyin.SoundsAlike(_keys[id], key)) { best = id; break; }
            }
        }
        return best < 0 ? null : _entries[best].Text;
    }

    // Entries [start, end) whose keys begin with `key`.
    private (int Start, int End) Range(string key)
    {
        var start = LowerBound(key);
        var end = start;
        while (end < _keys.Length && _keys[end].StartsWith(key, StringComparison.Ordinal)) end++;
        return (start, end);
    }

    // The best MaxK entries whose pinyin `key` spells: every reading typed whole first, then by initials, each best first.
    private int[] PinyinTop(string key)
    {
        var letter = key.AsSpan().IndexOfAnyInRange('a', 'z');
        // Only a-z and 0-9 keep the cache bounded: any other character after the first letter (a Chinese one, say)
        // would let the texts clients type grow it without end.
        var cacheable = letter == 0 && key.Length <= HeavyPrefixLength && key.AsSpan().IndexOfAnyExcept(LettersAndDigits) < 0;
        if (cacheable && _pinyinShort.TryGetValue(key, out var cached)) return cached;
        var full = new List<int>(MaxK);
        var abbreviated = new List<int>(MaxK);
        if (letter == 0)
        {
            // Scanned best first, so the first MaxK whole-reading matches are the best ones.
            foreach (var id in _byFirstLetter[LetterSlot(key[0])])
            {
                var match = Pinyin.MatchPrefix(_keys[id], key);
                if (match == PinyinMatch.Full) { full.Add(id); if (full.Count == MaxK) break; }
                else if (match == PinyinMatch.Abbreviated && abbreviated.Count < MaxK) abbreviated.Add(id);
            }
        }
        else
        {
            // Typed text before the first letter (Chinese, digits) matches only as itself: scan the keys it begins.
            var (start, end) = Range(key[..letter]);
            for (var id = start; id < end; id++)
            {
                var match = Pinyin.MatchPrefix(_keys[id], key);
                if (match == PinyinMatch.Full) full.Add(id);
                else if (match == PinyinMatch.Abbreviated) abbreviated.Add(id);
            }
            full.Sort(Rank);
            abbreviated.Sort(Rank);
        }
        if (full.Count < MaxK) full.AddRange(abbreviated.GetRange(0, Math.Min(abbreviated.Count, MaxK - full.Count)));
        var top = full.ToArray();
        if (cacheable) _pinyinShort.TryAdd(key, top);
        return top;
    }

    // Per letter and digit, the entries whose key can begin with it, best first.
    private int[][] FirstLetterLists(int[] ranked)
    {
        var lists = new List<int>[36];
        for (var slot = 0; slot < lists.Length; slot++) lists[slot] = [];
        Span<bool> seen = stackalloc bool[36];
        foreach (var id in ranked)
        {
            var first = _keys[id][0];
            seen.Clear();
            if (LetterSlot(first) is var own and >= 0) seen[own] = true;
            foreach (var reading in Pinyin.ReadingsOf(first)) seen[LetterSlot(reading[0])] = true;
            for (var slot = 0; slot < seen.Length; slot++)
                if (seen[slot]) lists[slot].Add(id);
        }
        var result = new int[lists.Length][];
        for (var slot = 0; slot < lists.Length; slot++) result[slot] = [.. lists[slot]];
        return result;
    }

    private Dictionary<int, int[]> SoundLists(int[] ranked)
    {
        var lists = new Dictionary<int, List<int>>();
        foreach (var id in ranked)
        {
            var key = _keys[id];
            if (key.Length < 2) continue;
            var seen = 0L;
            foreach (var reading in Pinyin.ReadingsOf(key[0]))
            {
                var bit = 1L << LetterSlot(reading[0]);
                if ((seen & bit) != 0) continue;
                seen |= bit;
                var slot = SoundSlot(key.Length, reading[0]);
                if (!lists.TryGetValue(slot, out var list)) lists[slot] = list = [];
                list.Add(id);
            }
        }
        var result = new Dictionary<int, int[]>(lists.Count);
        foreach (var (slot, list) in lists) result[slot] = [.. list];
        return result;
    }

    private static int SoundSlot(int length, char firstLetter) => length * 64 + LetterSlot(firstLetter);

    private static int LetterSlot(char c) => c is >= 'a' and <= 'z' ? c - 'a' : c is >= '0' and <= '9' ? 26 + c - '0' : -1;

    private int Rank(int a, int b) => a == b ? 0 : Better(a, b) ? -1 : 1;

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
