using System.Runtime.CompilerServices;

namespace SearchRec.Text;

/// <summary>
/// Character normalisation shared by every SearchRec analyzer: full-width ASCII forms and the ideographic space
/// become their half-width forms, and letters are lower-cased (invariant culture). The mapping is one UTF-16
/// unit to one, so offsets into the normalised text are offsets into the original.
/// </summary>
public static class TextNormalizer
{
    /// <summary>Returns <paramref name="text"/> normalised (full width to half width, lower case).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int i = 0;
        while (i < text.Length && NormalizeChar(text[i]) == text[i]) i++;
        if (i == text.Length) return text;
        return string.Create(text.Length, text, static (dst, src) => Normalize(src, dst));
    }

    /// <summary>Normalises <paramref name="source"/> into <paramref name="destination"/> (same length or longer).</summary>
    internal static void Normalize(ReadOnlySpan<char> source, Span<char> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = NormalizeChar(source[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static char NormalizeChar(char c)
    {
        if (c < 0x80)
        {
            return c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
        }
        if (c is >= '\uFF01' and <= '\uFF5E') c = (char)(c - 0xFEE0);
        else if (c == '\u3000') return ' ';
        return char.ToLowerInvariant(c);
    }
}
