using System.Globalization;

namespace SearchRec.Core.Judgments;

/// <summary>A malformed line in a judgment or run file; the message starts with <c>file:line:</c>.</summary>
public sealed class JudgmentFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public JudgmentFormatException(string file, long line, string reason) : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    /// <summary>The file as given.</summary>
    public string File { get; }

    /// <summary>The 1-based line number.</summary>
    public long Line { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }
}

/// <summary>
/// The one reader of the plain-text judgment formats every stage shares: queries (<c>qid&lt;TAB&gt;query</c>), query
/// users (<c>qid&lt;TAB&gt;user_id[&lt;TAB&gt;timestamp]</c>) and TREC qrels (<c>qid 0 docid grade</c>). A bad line throws
/// <see cref="JudgmentFormatException"/> naming the file and line; a missing file, <see cref="FileNotFoundException"/>.
/// Blank lines and lines starting with <c>#</c> are skipped.
/// </summary>
public static class JudgmentReader
{
    /// <summary>Reads <c>qid&lt;TAB&gt;query</c> lines in file order; ids must be unique and neither field empty.</summary>
    public static IReadOnlyList<(string Id, string Text)> ReadQueries(string path)
    {
        var queries = new List<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (lineNo, line) in Lines(path))
        {
            var tab = line.IndexOf('\t');
            if (tab < 0) throw new JudgmentFormatException(path, lineNo, "no tab: expected 'qid<TAB>query'");
            var id = line[..tab].Trim();
            var text = line[(tab + 1)..].Trim();
            if (id.Length == 0) throw new JudgmentFormatException(path, lineNo, "field 'qid' is empty");
            if (text.Length == 0) throw new JudgmentFormatException(path, lineNo, $"field 'query' is empty for query '{id}'");
            if (!seen.Add(id)) throw new JudgmentFormatException(path, lineNo, $"duplicate query id '{id}' (it appears twice)");
            queries.Add((id, text));
        }
        return queries;
    }

    /// <summary>
    /// Reads <c>qid&lt;TAB&gt;user_id[&lt;TAB&gt;timestamp]</c> lines into qid → (user, Unix seconds or null); each qid
    /// once.
    /// </summary>
    public static Dictionary<string, (long User, long? Timestamp)> ReadQueryUsers(string path)
    {
        var users = new Dictionary<string, (long, long?)>(StringComparer.Ordinal);
        var firstAt = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (lineNo, line) in Lines(path))
        {
            var f = line.Split('\t');
            if (f.Length < 2) throw new JudgmentFormatException(path, lineNo, "expected 'qid<TAB>user_id[<TAB>timestamp]'");
            // A fourth field or a second line for a query gave no error: the later user or time silently replaced the first.
            if (f.Length > 3) throw new JudgmentFormatException(path, lineNo, $"expected 'qid<TAB>user_id[<TAB>timestamp]', found {f.Length} fields");
            var qid = f[0].Trim();
            if (!firstAt.TryAdd(qid, lineNo)) throw new JudgmentFormatException(path, lineNo, $"query '{qid}' is given twice (first at line {firstAt[qid]})");
            if (!long.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user))
                throw new JudgmentFormatException(path, lineNo, $"field 'user_id' is not an integer: '{f[1]}'");
            long? time = null;
            if (f.Length > 2)
            {
                if (!long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t))
                    throw new JudgmentFormatException(path, lineNo, $"field 'timestamp' is not an integer: '{f[2]}'");
                time = t;
            }
            users[qid] = (user, time);
        }
        return users;
    }

    /// <summary>The lowest grade a judgment may carry (-1: spam, read as not relevant).</summary>
    public const int MinGrade = -1;

    /// <summary>The highest grade a judgment may carry.</summary>
    public const int MaxGrade = 100;

    /// <summary>
    /// Reads TREC qrels <c>qid 0 docid grade</c> (spaces or tabs) into qid → (docid → grade), grades in [-1, 100] as
    /// written (a later line for the same pair replaces the earlier one). Pairs graded again with another grade are
    /// told to <paramref name="note"/> once per file, counted, with the first one's lines: two judges, or two files
    /// concatenated, and only the later grade counts.
    /// </summary>
    public static Dictionary<string, Dictionary<string, int>> ReadQrels(string path, Action<string>? note = null)
    {
        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var lineOf = note is null ? null : new Dictionary<(string, string), long>();
        var conflicts = 0;
        string? first = null;
        foreach (var (lineNo, line) in Lines(path))
        {
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4) throw new JudgmentFormatException(path, lineNo, $"expected 4 fields 'qid 0 docid grade', found {f.Length}");
            if (!int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade))
                throw new JudgmentFormatException(path, lineNo, $"field 'grade' is not an integer: '{f[3]}'");
            if (grade is < MinGrade or > MaxGrade) throw new JudgmentFormatException(path, lineNo, $"field 'grade' is out of range [{MinGrade}, {MaxGrade}]: {grade}");
            if (!qrels.TryGetValue(f[0], out var docs)) qrels[f[0]] = docs = new Dictionary<string, int>(StringComparer.Ordinal);
            if (lineOf is not null)
            {
                if (docs.TryGetValue(f[2], out var was) && was != grade && conflicts++ == 0)
                    first = $"query '{f[0]}' document '{f[2]}' graded {was} at line {lineOf[(f[0], f[2])]} and {grade} at line {lineNo}";
                lineOf[(f[0], f[2])] = lineNo;
            }
            docs[f[2]] = grade;
        }
        if (conflicts > 0)
            note!($"{path}: {conflicts:N0} {(conflicts == 1 ? "pair is" : "pairs are")} graded twice with different grades (first: {first}); the later grade counts");
        return qrels;
    }

    /// <summary>The data lines of a UTF-8 text file with their 1-based numbers (blank and <c>#</c> lines skipped).</summary>
    public static IEnumerable<(long LineNo, string Line)> Lines(string path)
    {
        Guard.NotNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        TextFiles.CheckUtf8(path);
        return Read(path);

        static IEnumerable<(long, string)> Read(string path)
        {
            using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            long lineNo = 0;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line) || line[0] == '#') continue;
                yield return (lineNo, line.TrimEnd('\r'));
            }
        }
    }
}
