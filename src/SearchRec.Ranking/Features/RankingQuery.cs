using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Text;

namespace SearchRec.Ranking.Features;

/// <summary>
/// What is known of one ranking request: the query text (normalised once) and its words, and the user, if any.
/// Built once per request and shared by every feature group. Immutable.
/// </summary>
public sealed class RankingQuery
{
    private RankingQuery(string text, string normalized, string[] tokens, long? userId, UserHistory? history, long? asOf)
    {
        AsOf = asOf;
        History = history;
        Text = text;
        Normalized = normalized;
        Tokens = tokens;
        UserId = userId;
    }

    /// <summary>Longest normalised query the text features read (longer queries are cut).</summary>
    public const int MaxQueryChars = 128;

    /// <summary>The query as typed (may be empty for pure recommendation requests).</summary>
    public string Text { get; }

    /// <summary>The query folded to half-width lower case with spaces and punctuation removed.</summary>
    public string Normalized { get; }

    /// <summary>Distinct normalised query words, in query order (from the tokenizer).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The user the request is for; null when anonymous.</summary>
    public long? UserId { get; }

    /// <summary>The user's history (most recent first) when known; null for anonymous requests or when no event source is configured.</summary>
    public UserHistory? History { get; }

    /// <summary>
    /// When the request was made (Unix seconds), when it matters: a training query replayed from a log reads item
    /// recency as of its own time. Null means now, i.e. the newest event the features know of.
    /// </summary>
    public long? AsOf { get; }

    /// <summary>Builds a request context: normalises the text and splits it with <paramref name="tokenizer"/>.</summary>
    public static RankingQuery Create(string text, ITokenizer tokenizer, long? userId = null, UserHistory? history = null, long? asOf = null)
    {
        Guard.NotNull(text);
        Guard.NotNull(tokenizer);
        // Text features are quadratic in the query length; a pasted paragraph is cut to its start.
        var normalized = TextNorm.Normalize(text.Length > MaxQueryChars * 4 ? text[..(MaxQueryChars * 4)] : text);
        if (normalized.Length > MaxQueryChars) normalized = normalized[..MaxQueryChars];
        var tokens = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Folded first so a traditional query is cut with the (simplified) dictionary, as the index's analyzer does.
        foreach (var t in tokenizer.Tokenize(TraditionalChinese.ToSimplified(text.Length > MaxQueryChars * 4 ? text[..(MaxQueryChars * 4)] : text)))
        {
            var n = TextNorm.Normalize(t);
            if (n.Length > 0 && seen.Add(n)) tokens.Add(n);
        }
        return new RankingQuery(text, normalized, tokens.ToArray(), userId, history, asOf);
    }
}

/// <summary>One candidate to rank: how it was recalled and the stored product.</summary>
/// <param name="Recall">The recall result (rank, BM25 and per-field scores); for candidates from other sources, rank is their source rank and scores are 0.</param>
/// <param name="Product">The stored product (title, brand, category, attributes, price).</param>
public readonly record struct RankingCandidate(RecallCandidate Recall, Product Product);
