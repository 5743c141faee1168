using System.Globalization;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Core.Judgments;

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
/// The judged queries <c>train-ranker</c> learns from, as <see cref="JudgedQuery"/> records (queries, users and qrels
/// are read by <see cref="JudgmentReader"/>), and graded pair JSON Lines (<c>{id, query, title, label}</c>, QBQTC).
/// A bad line throws an exception naming the file and line.
/// </summary>
public static class JudgmentFiles
{
    /// <summary>Reads <c>qid&lt;TAB&gt;query</c> lines (see <see cref="JudgmentReader.ReadQueries"/>), with each query's user and time from <paramref name="users"/>.</summary>
    public static List<JudgedQuery> ReadQueries(string path, IReadOnlyDictionary<string, (long User, long? Timestamp)>? users = null)
    {
        var lines = JudgmentReader.ReadQueries(path);
        var result = new List<JudgedQuery>(lines.Count);
        foreach (var (qid, text) in lines)
        {
            (long User, long? Timestamp) u = default;
            var known = users is not null && users.TryGetValue(qid, out u);
            result.Add(new JudgedQuery(qid, text, known ? u.User : null) { Timestamp = known ? u.Timestamp : null });
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
        foreach (var (no, line) in JudgmentReader.Lines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw Bad(path, no, "expected a JSON object {query, title, label}");
                JsonElement Field(string name) => root.TryGetProperty(name, out var v) ? v : throw Bad(path, no, $"field '{name}' is missing");
                var label = Field("label");
                // TryParse: int.Parse throws OverflowException for a label beyond an int, which escaped as a crash.
                var isGrade = label.ValueKind == JsonValueKind.String
                    ? int.TryParse(label.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var grade)
                    : label.TryGetInt32(out grade);
                if (!isGrade) throw Bad(path, no, $"field 'label' is not a whole number: {label.GetRawText()}");
                if (grade is < JudgmentReader.MinGrade or > JudgmentReader.MaxGrade)
                    throw Bad(path, no, $"field 'label' is out of range [{JudgmentReader.MinGrade}, {JudgmentReader.MaxGrade}]: {grade}");
                var query = Field("query").GetString();
                if (string.IsNullOrWhiteSpace(query)) throw Bad(path, no, "field 'query' is empty");
                var title = Field("title").GetString();
                if (string.IsNullOrWhiteSpace(title)) throw Bad(path, no, "field 'title' is empty");
                result.Add(new GradedPair(query, title, grade));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                throw Bad(path, no, $"expected {{query, title, label}}: {e.Message}");
            }
        }
        return result;
    }

    private static InvalidDataException Bad(string path, long line, string why) => new($"{path}:{line}: {why}");
}
