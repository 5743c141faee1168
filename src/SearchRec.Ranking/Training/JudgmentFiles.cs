using System.Globalization;
using System.Text.Json;
using SearchRec.Core;

namespace SearchRec.Ranking.Training;

/// <summary>One query of a judged set: id, text, and the user who issued it (personalised sets only).</summary>
/// <param name="QueryId">The query id.</param>
/// <param name="Text">The query text.</param>
/// <param name="UserId">The user, or null.</param>
public sealed record JudgedQuery(string QueryId, string Text, long? UserId)
{
    /// <summary>When the query was issued (Unix seconds), if known: personal features use only earlier events.</summary>
    public long? Timestamp { get; init; }
}

/// <summary>
/// Readers for the judgment files <c>train-ranker</c> learns from: queries TSV (<c>qid&lt;TAB&gt;query</c>), TREC
/// qrels (<c>qid 0 docid grade</c>), a query-to-user TSV, and graded pair JSON Lines (<c>{id, query, title, label}</c>).
/// A bad line throws <see cref="InvalidDataException"/> naming the file and line.
/// </summary>
public static class JudgmentFiles
{
    /// <summary>Reads <c>qid&lt;TAB&gt;query</c> lines.</summary>
    public static List<JudgedQuery> ReadQueries(string path, IReadOnlyDictionary<string, (long User, long? Timestamp)>? users = null)
    {
        var result = new List<JudgedQuery>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (no, line) in Lines(path))
        {
            var tab = line.IndexOf('\t');
            if (tab <= 0) throw Bad(path, no, "expected 'qid<TAB>query'");
            var qid = line[..tab].Trim();
            if (!seen.Add(qid)) throw Bad(path, no, $"query id '{qid}' appears twice");
            (long User, long? Timestamp) u = default;
            var known = users is not null && users.TryGetValue(qid, out u);
            result.Add(new JudgedQuery(qid, line[(tab + 1)..].Trim(), known ? u.User : null) { Timestamp = known ? u.Timestamp : null });
        }
        return result;
    }

    /// <summary>Reads TREC qrels <c>qid iter docid grade</c> (whitespace separated) into qid → (docid → grade).</summary>
    public static Dictionary<string, Dictionary<string, int>> ReadQrels(string path)
    {
        var result = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var (no, line) in Lines(path))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4) throw Bad(path, no, $"expected 4 fields 'qid 0 docid grade', found {parts.Length}");
            if (!int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade) || grade < -1 || grade > 31)
                throw Bad(path, no, $"grade '{parts[3]}' is not an integer in [-1, 31]");
            if (!result.TryGetValue(parts[0], out var map)) result[parts[0]] = map = new Dictionary<string, int>(StringComparer.Ordinal);
            map[parts[2]] = Math.Max(0, grade);
        }
        return result;
    }

    /// <summary>Reads <c>qid&lt;TAB&gt;user[&lt;TAB&gt;timestamp]</c> lines (the synthetic shop's query users).</summary>
    public static Dictionary<string, (long User, long? Timestamp)> ReadQueryUsers(string path)
    {
        var result = new Dictionary<string, (long, long?)>(StringComparer.Ordinal);
        foreach (var (no, line) in Lines(path))
        {
            var parts = line.Split('\t');
            if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user))
                throw Bad(path, no, "expected 'qid<TAB>user_id[<TAB>timestamp]'");
            long? ts = null;
            if (parts.Length >= 3)
            {
                if (!long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t)) throw Bad(path, no, $"timestamp '{parts[2]}' is not Unix seconds");
                ts = t;
            }
            result[parts[0].Trim()] = (user, ts);
        }
        return result;
    }

    /// <summary>One graded query–title pair.</summary>
    /// <param name="Query">Query text.</param>
    /// <param name="Title">Title text.</param>
    /// <param name="Label">Grade.</param>
    public readonly record struct GradedPair(string Query, string Title, int Label);

    /// <summary>Reads <c>{id, query, title, label}</c> JSON Lines (the QBQTC format).</summary>
    public static List<GradedPair> ReadGradedPairs(string path)
    {
        var result = new List<GradedPair>();
        foreach (var (no, line) in Lines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var label = root.GetProperty("label");
                var grade = label.ValueKind == JsonValueKind.String
                    ? int.Parse(label.GetString()!, CultureInfo.InvariantCulture)
                    : label.GetInt32();
                result.Add(new GradedPair(root.GetProperty("query").GetString() ?? "", root.GetProperty("title").GetString() ?? "", grade));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                throw Bad(path, no, $"expected {{query, title, label}}: {e.Message}");
            }
        }
        return result;
    }

    private static IEnumerable<(long No, string Line)> Lines(string path)
    {
        Guard.NotNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"File not found: {path}", path);
        long no = 0;
        foreach (var line in File.ReadLines(path))
        {
            no++;
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith('#')) continue;
            yield return (no, line);
        }
    }

    private static InvalidDataException Bad(string path, long line, string why) => new($"{path}:{line}: {why}");
}
