using SearchRec.Text;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Cheap text folding shared by query and title features: full-width to half-width, traditional to simplified
/// Chinese, lower case, no spaces or punctuation.
/// </summary>
internal static class TextNorm
{
    /// <summary>The folded string.</summary>
    public static string Normalize(string text)
    {
        if (text.Length == 0) return string.Empty;
        Span<char> buf = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        var n = Normalize(text, buf);
        return new string(buf[..n]);
    }

    /// <summary>Folds <paramref name="src"/> into <paramref name="dst"/> (at least as long) and returns the length written.</summary>
    public static int Normalize(ReadOnlySpan<char> src, Span<char> dst)
    {
        var n = 0;
        foreach (var c0 in src)
        {
            var c = c0;
            if (c == '\u3000') continue;
            if (c >= '\uFF01' && c <= '\uFF5E') c = (char)(c - 0xFEE0);
            if (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c)) continue;
            dst[n++] = char.ToLowerInvariant(TraditionalChinese.ToSimplified(c));
        }
        return n;
    }
}
