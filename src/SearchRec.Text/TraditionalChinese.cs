using System.Reflection;
using System.Runtime.CompilerServices;

namespace SearchRec.Text;

/// <summary>
/// Folds traditional Chinese characters to simplified ones, one character to one (OpenCC's character-level
/// choice; <c>電競鍵盤</c> → <c>电竞键盘</c>), so a query typed in either script finds titles written in the other.
/// About 2% of the real Taobao queries in the ecom-search query log hold a traditional character. Characters of
/// GB2312 (the simplified set) are never changed, so already simplified text is returned as it is. One UTF-16
/// unit maps to one, so offsets are unchanged. Thread-safe.
/// </summary>
public static class TraditionalChinese
{
    private const char First = '\u3400';

    // Indexed by c - First for the BMP Han blocks; 0 = unchanged. Loaded once from the embedded table. The bitmap
    // (6 KB, stays in L1) says which characters map, so simplified text never touches the 100 KB table.
    private static readonly char[] s_table = Load();
    private static readonly ulong[] s_mapped = Bitmap(s_table);

    /// <summary>How many characters the table folds (for logs and tests).</summary>
    public static int Count { get; private set; }

    /// <summary>The simplified form of <paramref name="c"/>, or <paramref name="c"/> itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static char ToSimplified(char c)
    {
        uint i = (uint)(c - First);
        if (i >= (uint)s_table.Length || (s_mapped[i >> 6] & (1UL << (int)(i & 63))) == 0) return c;
        return s_table[i];
    }

    /// <summary>Folds <paramref name="source"/> into <paramref name="destination"/> (at least as long; may be the same span).</summary>
    public static void ToSimplified(ReadOnlySpan<char> source, Span<char> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = ToSimplified(source[i]);
    }

    /// <summary>Returns <paramref name="text"/> with traditional characters folded (the same instance when none is).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string ToSimplified(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int i = 0;
        while (i < text.Length && ToSimplified(text[i]) == text[i]) i++;
        if (i == text.Length) return text;
        return string.Create(text.Length, text, static (dst, src) => ToSimplified(src, dst));
    }

    /// <summary>
    /// A Lucene char filter folding <paramref name="reader"/>'s characters, for an analyzer's <c>InitReader</c>
    /// (offsets are unchanged). Such an analyzer implements <see cref="ITraditionalFolding"/>, so the registry does
    /// not wrap it again.
    /// </summary>
    public static TextReader FoldingReader(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new LuceneAnalysis.TraditionalFoldingCharFilter(reader);
    }

    private static ulong[] Bitmap(char[] table)
    {
        var bits = new ulong[(table.Length + 63) / 64];
        for (int i = 0; i < table.Length; i++)
            if (table[i] != '\0') bits[i >> 6] |= 1UL << (i & 63);
        return bits;
    }

    private static char[] Load()
    {
        const string name = "SearchRec.Text.Resources.t2s.tsv";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from SearchRec.Text.");
        using var reader = new StreamReader(stream);
        var table = new char[0xFB00 - First];
        int count = 0, lineNo = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#') continue;
            if (line.Length != 3 || line[1] != '\t' || line[0] < First || line[0] >= 0xFB00)
                throw new InvalidDataException($"{name}:{lineNo}: expected 'traditional<TAB>simplified', one BMP Han character each.");
            table[line[0] - First] = line[2];
            count++;
        }
        Count = count;
        return table;
    }
}

/// <summary>
/// Marks an analyzer that folds traditional characters itself, inside its own normalisation pass;
/// <see cref="AnalyzerRegistry.Create"/> wraps every other analyzer in a folding char filter when
/// <see cref="AnalysisOptions.FoldTraditional"/> is on, which costs about a microsecond per analyzed text.
/// </summary>
public interface ITraditionalFolding
{
    /// <summary>True when this analyzer folds traditional characters to simplified ones.</summary>
    bool FoldsTraditional { get; }
}
