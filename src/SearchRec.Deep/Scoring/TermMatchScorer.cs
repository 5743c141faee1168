using System.Collections.Concurrent;
using System.Numerics.Tensors;
using SearchRec.Core;
using SearchRec.Text;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// A term-level score from a text tower (deep round ten, an experiment of <c>searchrec eval</c>): every word of the
/// query and of the title is encoded alone by the tower, and the score is the mean over the query's words of the
/// best cosine with any title word. 1 for a query whose every word the title holds; a missing word scores its
/// closest title word. Titles come from the tower's stored item texts; title words are encoded once and kept (a word
/// id per title word, one vector per distinct word); query words are encoded per request unless a title holds them.
/// Thread-safe. Used by <c>searchrec eval</c> (deep round ten, ranking round 10), not yet by search or the service.
/// </summary>
public sealed class TermMatchScorer
{
    private readonly DeepScorer _tower;
    private readonly ITokenizer _tokenizer;
    // Each distinct word gets an id and its vector once; a title is kept as its words' ids, so scoring a candidate is
    // array lookups and dot products, with no string hashing (about 4 bytes per title word, not 4 × dim).
    private readonly ConcurrentDictionary<string, int> _wordIds = new(StringComparer.Ordinal);
    private readonly Lock _grow = new();
    private float[][] _vectors = new float[1024][];
    private readonly ConcurrentDictionary<int, int[]> _titles = new();

    /// <summary>Creates a scorer over <paramref name="tower"/>; words come from <paramref name="tokenizer"/> (default: search mode).</summary>
    public TermMatchScorer(DeepScorer tower, ITokenizer? tokenizer = null)
    {
        _tower = Guard.NotNull(tower);
        _tokenizer = tokenizer ?? new ChineseTokenizer();
    }

    /// <summary>The distinct words of <paramref name="text"/>, traditional characters folded.</summary>
    public IReadOnlyList<string> Words(string text)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var w in _tokenizer.Tokenize(TraditionalChinese.ToSimplified(Guard.NotNull(text))))
            if (w.Length > 0 && seen.Add(w)) result.Add(w);
        return result;
    }

    /// <summary>The score of each product for <paramref name="query"/>; 0 for a product without a stored title.</summary>
    public float[] Score(string query, IReadOnlyList<string> productIds)
    {
        Guard.NotNull(productIds);
        var scores = new float[productIds.Count];
        var queryWords = Words(query);
        if (queryWords.Count == 0) return scores;
        var q = new float[queryWords.Count][];
        // A query word a title holds has its vector already; others are encoded but not kept (queries are unbounded).
        for (var i = 0; i < q.Length; i++)
            q[i] = _wordIds.TryGetValue(queryWords[i], out var known) ? Volatile.Read(ref _vectors)[known] : _tower.EncodeQuery(queryWords[i]);
        var items = _tower.Items;
        for (var p = 0; p < productIds.Count; p++)
        {
            if (!items.Index.TryGetValue(productIds[p], out var row)) continue;
            var title = _titles.GetOrAdd(row, r => TitleIds(items.Texts[r]));
            if (title.Length == 0) continue;
            var vectors = Volatile.Read(ref _vectors);
            double sum = 0;
            foreach (var v in q)
            {
                var best = float.NegativeInfinity;
                foreach (var id in title) best = Math.Max(best, TensorPrimitives.Dot(v, vectors[id]));
                sum += best;
            }
            scores[p] = (float)(sum / q.Length);
        }
        return scores;
    }

    private int[] TitleIds(string title)
    {
        var words = Words(title);
        var ids = new int[words.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = WordId(words[i]);
        return ids;
    }

    // The word's id, its vector stored first (so a reader that sees the id finds the vector).
    private int WordId(string word)
    {
        if (_wordIds.TryGetValue(word, out var id)) return id;
        var vector = _tower.EncodeQuery(word);
        lock (_grow)
        {
            if (_wordIds.TryGetValue(word, out id)) return id;
            id = _wordIds.Count;
            var vectors = _vectors;
            if (id == vectors.Length) Array.Resize(ref vectors, vectors.Length * 2);
            vectors[id] = vector;
            Volatile.Write(ref _vectors, vectors);
            _wordIds[word] = id;
            return id;
        }
    }
}
