using System.Globalization;
using SearchRec.Core;
using SearchRec.Core.Judgments;

namespace SearchRec.Evaluation.Trec;

/// <summary>
/// Readers for the plain-text evaluation formats: queries (<c>qid&lt;TAB&gt;query</c>), query users
/// (<c>qid&lt;TAB&gt;user_id[&lt;TAB&gt;timestamp]</c>), qrels and runs. A bad line throws
/// <see cref="JudgmentFormatException"/> (from <see cref="JudgmentReader"/>, which reads queries and qrels for every stage) naming the file and line. Blank lines and lines starting with <c>#</c> are skipped.
/// </summary>
public static class TrecFiles
{
    /// <summary>Reads <c>qid&lt;TAB&gt;query</c> lines; ids must be unique.</summary>
    public static IReadOnlyList<EvalQuery> ReadQueries(string path)
    {
        var lines = JudgmentReader.ReadQueries(path);
        var queries = new List<EvalQuery>(lines.Count);
        foreach (var (id, text) in lines) queries.Add(new EvalQuery(id, text));
        return queries;
    }

    /// <summary>Adds users and timestamps from a <c>qid&lt;TAB&gt;user_id[&lt;TAB&gt;timestamp]</c> file to the queries it names.</summary>
    public static IReadOnlyList<EvalQuery> WithUsers(IReadOnlyList<EvalQuery> queries, string path)
    {
        Guard.NotNull(queries);
        var users = JudgmentReader.ReadQueryUsers(path);
        var result = new List<EvalQuery>(queries.Count);
        foreach (var q in queries)
            result.Add(users.TryGetValue(q.Id, out var u) ? q with { UserId = u.User, Timestamp = u.Timestamp } : q);
        return result;
    }

    /// <summary>
    /// Writes qrels as <c>qid 0 docid grade</c> lines, in the order they were set, so that runs scored on judgments
    /// made in memory (<c>eval --pairs</c>) can be compared later.
    /// </summary>
    /// <exception cref="ArgumentException">An id is empty or holds a space, tab or line break, which a line cannot hold.</exception>
    public static void WriteQrels(Qrels qrels, string path)
    {
        Guard.NotNull(qrels);
        Guard.NotNull(path);
        foreach (var qid in qrels.QueryIds)
        {
            if (!IsField(qid)) throw new ArgumentException($"query id '{qid}' is empty or holds a space, tab or line break, which a qrels line cannot hold");
            foreach (var doc in qrels.For(qid).Keys)
                if (!IsField(doc)) throw new ArgumentException($"query '{qid}': document id '{doc}' is empty or holds a space, tab or line break, which a qrels line cannot hold");
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        foreach (var qid in qrels.QueryIds)
            foreach (var (doc, grade) in qrels.For(qid))
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{qid} 0 {doc} {grade}"));
    }

    /// <summary>Reads TREC qrels <c>qid 0 docid grade</c> (spaces or tabs); pairs graded twice differently go to <paramref name="note"/> (<see cref="JudgmentReader.ReadQrels"/>).</summary>
    public static Qrels ReadQrels(string path, Action<string>? note = null)
    {
        var qrels = new Qrels();
        foreach (var (qid, docs) in JudgmentReader.ReadQrels(path, note))
            foreach (var (doc, grade) in docs) qrels.Set(qid, doc, grade);
        return qrels;
    }

    /// <summary>
    /// Reads a TREC run <c>qid Q0 docid rank score tag</c> (fields separated by spaces or tabs; scores in any
    /// invariant notation, e.g. <c>1.5e-3</c>). Each query's documents are ordered by score, highest first, as trec_eval
    /// does; tied scores keep the order of the rank column, which is the order the ranker returned and the one
    /// <c>eval</c> measures, and then the file's order. (trec_eval orders tied scores by document id, descending, so
    /// it can differ where scores tie.) A document repeated within a query is an error naming the file and line.
    /// </summary>
    public static TrecRun ReadRun(string path)
    {
        Guard.NotNull(path);
        var rows = new Dictionary<string, List<(string Doc, int Rank, double Score, long Line)>>(StringComparer.Ordinal);
        var order = new List<string>();
        var seen = new HashSet<(string, string)>();
        string? tag = null;
        foreach (var (lineNo, line) in JudgmentReader.Lines(path))
        {
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 6) throw new JudgmentFormatException(path, lineNo, $"expected 6 fields 'qid Q0 docid rank score tag', found {f.Length}");
            if (!int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rank))
                throw new JudgmentFormatException(path, lineNo, $"field 'rank' is not an integer: '{f[3]}'");
            if (!double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || !double.IsFinite(score))
                throw new JudgmentFormatException(path, lineNo, $"field 'score' is not a finite number: '{f[4]}'");
            if (!seen.Add((f[0], f[2])))
                throw new JudgmentFormatException(path, lineNo, $"document '{f[2]}' appears twice for query '{f[0]}'");
            if (!rows.TryGetValue(f[0], out var list))
            {
                rows[f[0]] = list = [];
                order.Add(f[0]);
            }
            list.Add((f[2], rank, score, lineNo));
            tag ??= f[5];
        }
        var run = new TrecRun(tag ?? Path.GetFileNameWithoutExtension(path));
        foreach (var qid in order)
        {
            var list = rows[qid];
            // List.Sort is unstable: a tie on score and rank (tools that write one rank on every line) keeps file order.
            list.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : a.Line.CompareTo(b.Line));
            var ranked = new List<(string, float)>(list.Count);
            foreach (var r in list) ranked.Add((r.Doc, (float)r.Score));
            run.Set(qid, ranked);
        }
        return run;
    }

    /// <summary>
    /// Writes a run as <c>qid Q0 docid rank score tag</c> lines (ranks from 1), queries in insertion order. The run is
    /// checked first (see <see cref="CheckWritable"/>), so a run that could not be read back as it is leaves no file.
    /// </summary>
    /// <exception cref="ArgumentException">The run cannot be written faithfully.</exception>
    public static void WriteRun(TrecRun run, string path)
    {
        Guard.NotNull(run);
        Guard.NotNull(path);
        CheckWritable(run);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        WriteRun(run, writer);
    }

    /// <summary>Writes a run to a writer (checked first, as <see cref="WriteRun(TrecRun, string)"/>).</summary>
    /// <exception cref="ArgumentException">The run cannot be written faithfully.</exception>
    public static void WriteRun(TrecRun run, TextWriter writer)
    {
        Guard.NotNull(run);
        Guard.NotNull(writer);
        CheckWritable(run);
        var tag = Tag(run.Name);
        foreach (var qid in run.QueryIds)
        {
            var ranked = run[qid];
            for (var i = 0; i < ranked.Count; i++)
            {
                writer.Write(qid);
                writer.Write(" Q0 ");
                writer.Write(ranked[i].DocId);
                writer.Write(' ');
                writer.Write((i + 1).ToString(CultureInfo.InvariantCulture));
                writer.Write(' ');
                writer.Write(ranked[i].Score.ToString("R", CultureInfo.InvariantCulture));
                writer.Write(' ');
                writer.Write(tag);
                writer.Write('\n');
            }
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the query, rank and id when the run cannot be written so that
    /// <see cref="ReadRun"/> reads back the same ranking (trec_eval too, but for tied scores, which it orders by document id): an id that is empty or holds a space, tab or line
    /// break (the fields are whitespace-separated and have no escape), a score that is not finite (unreadable), or a score above
    /// the one before it (readers order by score, so the file would hold another ranking).
    /// </summary>
    public static void CheckWritable(TrecRun run)
    {
        Guard.NotNull(run);
        foreach (var qid in run.QueryIds)
        {
            if (!IsField(qid)) throw new ArgumentException($"query id '{qid}' is empty or holds a space, tab or line break, which a TREC run line 'qid Q0 docid rank score tag' cannot hold");
            var ranked = run[qid];
            for (var i = 0; i < ranked.Count; i++)
            {
                var (doc, score) = ranked[i];
                if (!IsField(doc))
                    throw new ArgumentException($"query '{qid}', rank {i + 1}: document id '{doc}' is empty or holds a space, tab or line break, which a TREC run line 'qid Q0 docid rank score tag' cannot hold");
                if (!float.IsFinite(score))
                    throw new ArgumentException($"query '{qid}', rank {i + 1}: document '{doc}' has the score {score.ToString(CultureInfo.InvariantCulture)}, which is not a finite number");
                if (i > 0 && score > ranked[i - 1].Score)
                    throw new ArgumentException($"query '{qid}', rank {i + 1}: document '{doc}' scores {score.ToString("R", CultureInfo.InvariantCulture)}, above the {ranked[i - 1].Score.ToString("R", CultureInfo.InvariantCulture)} of rank {i}; readers order a run by score, so the file would hold another ranking");
            }
        }
    }

    // The characters run readers split fields or lines on (trec_eval: C's isspace in ASCII).
    private static readonly char[] Separators = [' ', '\t', '\n', '\r', '\v', '\f'];

    // The run tag as one field: a separator becomes '_', and an empty name 'run'.
    private static string Tag(string name)
    {
        var tag = string.Concat(name.Select(c => Array.IndexOf(Separators, c) >= 0 ? '_' : c));
        return tag.Length == 0 ? "run" : tag;
    }

    private static bool IsField(string id) => id.Length > 0 && id.IndexOfAny(Separators) < 0;
}
