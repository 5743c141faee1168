using System.Collections.Concurrent;
using System.Numerics.Tensors;
using SearchRec.Core;
using SearchRec.Text;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// A term-level score from a text tower (deep round ten, an experiment of <c>searchrec eval</c>): every word of the
/// query and of the title is encoded alone by the tower, and the score is the mean over the query's words of the
/// best cosine with any title word. 1 for a query whose every word the title holds; a missing word scores its
/// closest title word. Titles come from the tower's stored item texts; title words are encoded once and cached.
/// Thread-safe. Not used by search or the service.
/// </summary>
public sealed class TermMatchScorer
{
    private readonly DeepScorer _tower;
    private readonly ITokenizer _tokenizer;
    private readonly ConcurrentDictionary<string, float[]> _words = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string[]> _titleWords = new();

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
        for (var i = 0; i < q.Length; i++) q[i] = Vector(queryWords[i]);
        var items = _tower.Items;
        for (var p = 0; p < productIds.Count; p++)
        {
            if (!items.Index.TryGetValue(productIds[p], out var row)) continue;
            var title = _titleWords.GetOrAdd(row, r => [.. Words(items.Texts[r])]);
            if (title.Length == 0) continue;
            double sum = 0;
            foreach (var v in q)
            {
                var best = float.NegativeInfinity;
                foreach (var u in title) best = Math.Max(best, TensorPrimitives.Dot(v, Vector(u)));
                sum += best;
            }
            scores[p] = (float)(sum / q.Length);
        }
        return scores;
    }

    private float[] Vector(string word) => _words.GetOrAdd(word, _tower.EncodeQuery);
}
