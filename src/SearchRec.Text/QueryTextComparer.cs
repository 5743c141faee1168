using System.Text;

namespace SearchRec.Text;

/// <summary>
/// Compares query texts by what they ask for: NFKC (full width to half width), lower case, traditional characters
/// folded to simplified, and spaces, punctuation and symbols ignored, so <c>連衣裙 女</c>, <c>连衣裙女</c> and
/// <c>连衣裙，女</c> compare equal. For sets of queries that training must never see (evaluation queries):
/// a twin of an evaluation query is the same query to the index and the models. Not for per-request hot paths
/// (it allocates).
/// </summary>
public sealed class QueryTextComparer : IEqualityComparer<string>
{
    private QueryTextComparer() { }

    /// <summary>The comparer.</summary>
    public static QueryTextComparer Instance { get; } = new();

    /// <summary>The text as this comparer sees it.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Key(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = TraditionalChinese.ToSimplified(text.Normalize(NormalizationForm.FormKC));
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c) || char.IsControl(c)) continue;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public bool Equals(string? x, string? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && string.Equals(Key(x), Key(y), StringComparison.Ordinal));

    /// <inheritdoc />
    public int GetHashCode(string obj) => string.GetHashCode(Key(obj), StringComparison.Ordinal);
}
