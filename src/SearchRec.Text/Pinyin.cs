using System.Reflection;

namespace SearchRec.Text;

/// <summary>
/// Toneless pinyin readings of Chinese characters (<c>连</c> → <c>lian</c>; <c>长</c> → <c>chang</c>, <c>zhang</c>),
/// so text typed in pinyin can be matched against Chinese text: a shopper types <c>lyq</c> or <c>lianyiq</c> for
/// <c>连衣裙</c>. The readings are the modern ones of the Unicode Han Database (every reading a heteronym has today);
/// ü is written <c>v</c> (<c>nv</c> for <c>女</c>), and <c>lve</c>/<c>nve</c> are also given as <c>lue</c>/<c>nue</c>;
/// typed text may spell it <c>u</c> too (<c>nu</c> also matches <c>女</c>).
/// BMP Han characters only. Thread-safe.
/// </summary>
public static class Pinyin
{
    private const char First = '\u3400';
    private const char End = '\uFB00';

    private static readonly System.Buffers.SearchValues<char> Letters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz");

    private static readonly string[] s_syllables;
    // Readings of character c: s_readings[s_start[c - First] .. s_start[c - First + 1]), indexes into s_syllables.
    private static readonly int[] s_start;
    private static readonly string[] s_readings;

#pragma warning disable CA1810 // one pass over the resource fills all three tables
    static Pinyin()
    {
        (s_syllables, s_start, s_readings) = Load();
    }
#pragma warning restore CA1810

    /// <summary>How many characters have a reading (for logs and tests).</summary>
    public static int Count { get; private set; }

    /// <summary>Every syllable the table holds, sorted (for tests).</summary>
    public static IReadOnlyList<string> Syllables => s_syllables;

    /// <summary>The readings of <paramref name="c"/>, each lower-case ASCII; empty when it has none (not a Han character).</summary>
    public static ReadOnlySpan<string> ReadingsOf(char c)
    {
        uint i = (uint)(c - First);
        if (i >= (uint)(End - First)) return [];
        return s_readings.AsSpan(s_start[i], s_start[i + 1] - s_start[i]);
    }

    /// <summary>
    /// Whether <paramref name="text"/> begins with what <paramref name="typed"/> spells, each character of the text
    /// typed as itself, as a reading or as its initial (one letter, or <c>zh</c>, <c>ch</c>, <c>sh</c>), and the
    /// last one typed perhaps cut anywhere (<c>lianyiq</c>, <c>lyq</c>, <c>lianyq</c> and <c>连yq</c> all begin
    /// <c>连衣裙</c>; <c>liayq</c> does not). Both are compared as given: pass them normalised alike (lower case,
    /// simplified, spaces removed, as <see cref="QueryTextComparer.Key"/> does). Allocation-free; typed text longer
    /// than 64 characters never matches.
    /// </summary>
    /// <returns><see cref="PinyinMatch.Full"/> when every reading used is typed whole but perhaps the last one;
    /// <see cref="PinyinMatch.Abbreviated"/> when some are cut short (initials); <see cref="PinyinMatch.None"/> otherwise.</returns>
    public static PinyinMatch MatchPrefix(ReadOnlySpan<char> text, ReadOnlySpan<char> typed) => Match(text, typed, whole: false);

    /// <summary>
    /// Whether <paramref name="typed"/> spells all of <paramref name="text"/>, every character as itself or as one of
    /// its readings typed whole (<c>lianyiqun</c> spells <c>连衣裙</c>; <c>lianyiq</c>, <c>lyq</c> and
    /// <c>lianyiqunnv</c> do not). Normalised as for <see cref="MatchPrefix"/>; allocation-free.
    /// </summary>
    public static bool Spells(ReadOnlySpan<char> text, ReadOnlySpan<char> typed) => Match(text, typed, whole: true) == PinyinMatch.Full;

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> read alike: as long as each other, and each character the
    /// same or two Chinese characters sharing a reading (<c>连衣群</c> and <c>连衣裙</c>, both <c>qun</c>), the
    /// homophones a pinyin input method lets a shopper pick by mistake. Normalised as for <see cref="MatchPrefix"/>.
    /// </summary>
    public static bool SoundsAlike(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) continue;
            var ra = ReadingsOf(a[i]);
            var rb = ReadingsOf(b[i]);
            var shared = false;
            foreach (var x in ra)
            {
                foreach (var y in rb)
                    if (ReferenceEquals(x, y)) { shared = true; break; }
                if (shared) break;
            }
            if (!shared) return false;
        }
        return true;
    }

    private static PinyinMatch Match(ReadOnlySpan<char> text, ReadOnlySpan<char> typed, bool whole)
    {
        const int MaxTyped = 64;
        int m = typed.Length;
        if (m == 0 || m > MaxTyped || text.IsEmpty || (whole && text.Length > m)) return PinyinMatch.None;
        // Each text character takes at least one typed character, so only the first m can be reached.
        int n = Math.Min(text.Length, m);
        // reach[i, j]: after i text characters and j typed ones, the best match so far (0 = not reached).
        Span<byte> reach = stackalloc byte[(MaxTyped + 1) * (MaxTyped + 1)];
        reach = reach[..((n + 1) * (m + 1))];
        reach.Clear();
        reach[0] = (byte)PinyinMatch.Full;
        var best = PinyinMatch.None;
        for (int i = 0; i < n; i++)
        {
            var row = reach.Slice(i * (m + 1), m + 1);
            var next = reach.Slice((i + 1) * (m + 1), m + 1);
            var c = text[i];
            var readings = ReadingsOf(c);
            var alive = false;
            for (int j = 0; j < m; j++)
            {
                var v = row[j];
                if (v == 0) continue;
                alive = true;
                if (typed[j] == c) next[j + 1] = Math.Max(next[j + 1], v);
                foreach (var s in readings)
                {
                    // A reading is typed whole, as its initial (zh, ch, sh or one letter), or cut anywhere at the end.
                    int initial = s.Length > 2 && s[1] == 'h' && s[0] is 'z' or 'c' or 's' ? 2 : 1;
                    for (int l = 1; l <= s.Length && j + l <= m && Same(s[l - 1], typed[j + l - 1]); l++)
                    {
                        if (l == s.Length || (j + l == m && !whole)) next[j + l] = Math.Max(next[j + l], v);
                        else if (l <= initial && !whole) next[j + l] = Math.Max(next[j + l], Math.Min(v, (byte)PinyinMatch.Abbreviated));
                    }
                }
            }
            if (whole) { if (!alive) return PinyinMatch.None; continue; }
            if (next[m] > (byte)best) best = (PinyinMatch)next[m];
            if (best == PinyinMatch.Full || !alive) break;
        }
        return whole ? (PinyinMatch)reach[n * (m + 1) + m] : best;
    }

    // ü is v in the table; many shoppers type it as u (nu for 女), as j/q/x/y already write it.
    private static bool Same(char reading, char typed) => reading == typed || (reading == 'v' && typed == 'u');

    private static (string[] Syllables, int[] Start, string[] Readings) Load()
    {
        const string name = "SearchRec.Text.Resources.pinyin.tsv";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from SearchRec.Text.");
        using var reader = new StreamReader(stream);
        var syllables = new List<string>();
        var byChar = new List<int>?[End - First];
        var lineNo = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#') continue;
            var tab = line.IndexOf('\t');
            if (tab <= 0 || tab == line.Length - 1 || line.AsSpan(0, tab).IndexOfAnyExcept(Letters) >= 0)
                throw new InvalidDataException($"{name}:{lineNo}: expected 'syllable<TAB>characters'.");
            var id = syllables.Count;
            syllables.Add(line[..tab]);
            foreach (var c in line.AsSpan(tab + 1))
            {
                if (c < First || c >= End) throw new InvalidDataException($"{name}:{lineNo}: U+{(int)c:X4} is not a BMP Han character.");
                (byChar[c - First] ??= new List<int>(1)).Add(id);
            }
        }
        var start = new int[byChar.Length + 1];
        var readings = new List<string>();
        var count = 0;
        for (var i = 0; i < byChar.Length; i++)
        {
            start[i] = readings.Count;
            if (byChar[i] is not { } ids) continue;
            count++;
            foreach (var id in ids) readings.Add(syllables[id]);
        }
        start[^1] = readings.Count;
        Count = count;
        return ([.. syllables], start, [.. readings]);
    }
}

/// <summary>How typed text matches the beginning of a text through its characters' pinyin (<see cref="Pinyin.MatchPrefix"/>).</summary>
public enum PinyinMatch : byte
{
    /// <summary>It does not.</summary>
    None = 0,

    /// <summary>It does, with some readings cut short (<c>lyq</c> for <c>连衣裙</c>).</summary>
    Abbreviated = 1,

    /// <summary>It does, every reading typed whole but perhaps the last one (<c>lianyiq</c> for <c>连衣裙</c>).</summary>
    Full = 2,
}
