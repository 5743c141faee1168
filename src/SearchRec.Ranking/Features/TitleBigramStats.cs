using System.Globalization;
using SearchRec.Core;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Document frequencies of the character bigrams of folded product titles (each title counted once per bigram),
/// built once from the catalog a ranker is trained or served on. Gives BM25's IDF of a bigram, so that text
/// features can weigh a rare query bigram above a common one. Immutable after construction; thread-safe.
/// </summary>
public sealed class TitleBigramStats
{
    /// <summary>File name of the table when saved beside a ranker.</summary>
    public const string FileName = "title-bigram-df.tsv";

    private readonly Dictionary<int, int> _df;

    private TitleBigramStats(Dictionary<int, int> df, int documents)
    {
        _df = df;
        Documents = documents;
    }

    /// <summary>Number of titles counted.</summary>
    public int Documents { get; }

    /// <summary>Number of distinct bigrams.</summary>
    public int Bigrams => _df.Count;

    /// <summary>Counts the bigrams of <paramref name="titles"/> (folded as the text features fold them).</summary>
    public static TitleBigramStats Build(IEnumerable<string> titles)
    {
        Guard.NotNull(titles);
        var df = new Dictionary<int, int>();
        var seen = new HashSet<int>();
        var buf = new char[512];
        var docs = 0;
        foreach (var title in titles)
        {
            if (title is null) continue;
            docs++;
            var raw = title.AsSpan(0, Math.Min(title.Length, buf.Length));
            var n = TextNorm.Normalize(raw, buf);
            seen.Clear();
            for (var i = 0; i + 1 < n; i++)
            {
                var key = Key(buf[i], buf[i + 1]);
                if (seen.Add(key)) df[key] = df.GetValueOrDefault(key) + 1;
            }
        }
        return new TitleBigramStats(df, docs);
    }

    /// <summary>BM25's IDF of the bigram <paramref name="a"/><paramref name="b"/>: ln(1 + (N − df + 0.5) / (df + 0.5)); an unseen bigram gets the highest.</summary>
    public float Idf(char a, char b)
    {
        var df = _df.GetValueOrDefault(Key(a, b));
        return (float)Math.Log(1 + (Documents - df + 0.5) / (df + 0.5));
    }

    /// <summary>Writes the table as TSV: a <c>#documents N</c> line, then <c>bigram&lt;TAB&gt;df</c> lines.</summary>
    public void Save(string path)
    {
        Guard.NotNull(path);
        using var w = new StreamWriter(path);
        w.Write("#documents\t");
        w.WriteLine(Documents.ToString(CultureInfo.InvariantCulture));
        Span<char> pair = stackalloc char[2];
        foreach (var (key, df) in _df)
        {
            pair[0] = (char)((uint)key >> 16);
            pair[1] = (char)(key & 0xFFFF);
            // Bigrams are folded text without whitespace, so a tab or newline never occurs inside one.
            w.Write(pair);
            w.Write('\t');
            w.WriteLine(df.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Reads a table written by <see cref="Save"/>; throws naming the line of a malformed entry.</summary>
    public static TitleBigramStats Load(string path)
    {
        Guard.NotNull(path);
        var df = new Dictionary<int, int>();
        var docs = -1;
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (lineNo == 1)
            {
                if (!line.StartsWith("#documents\t", StringComparison.Ordinal) || !int.TryParse(line.AsSpan(11), NumberStyles.None, CultureInfo.InvariantCulture, out docs))
                    throw new InvalidDataException($"{path}:1: expected '#documents<TAB>N'.");
                continue;
            }
            if (line.Length < 4 || line[2] != '\t' || !int.TryParse(line.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw new InvalidDataException($"{path}:{lineNo}: expected 'bigram<TAB>df'.");
            df[Key(line[0], line[1])] = count;
        }
        if (docs < 0) throw new InvalidDataException($"{path}: empty file (expected '#documents<TAB>N' first).");
        return new TitleBigramStats(df, docs);
    }

    private static int Key(char a, char b) => (a << 16) | b;
}
