using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Ranking.Logging;

namespace SearchRec.Ranking.Interleaving;

/// <summary>The two rankers an interleaved list compares, each by its name (the folder it was loaded from) and kind (<c>lambdamart</c>, <c>weighted</c>, …).</summary>
/// <param name="ControlName">The ranker in service.</param>
/// <param name="ControlKind">Its combiner kind.</param>
/// <param name="ChallengerName">The ranker tried against it.</param>
/// <param name="ChallengerKind">Its combiner kind.</param>
public sealed record InterleavedRankers(string ControlName, string ControlKind, string ChallengerName, string ChallengerKind);

/// <summary>One interleaved page shown to a user: what <c>interleave-report</c> credits with the user's later events.</summary>
/// <param name="RequestId">The search's request id (the one the answer and its feature-log record carry).</param>
/// <param name="Timestamp">When the page was served (UTC).</param>
/// <param name="UserId">The user it was shown to.</param>
/// <param name="Query">The query text, normalised as the service searched it.</param>
/// <param name="Offset">How many ranked results came before the page (0 for the first).</param>
/// <param name="Items">The page's items in the order shown, each with the team that drafted it.</param>
/// <param name="Rankers">The rankers compared.</param>
public sealed record InterleavingImpression(string RequestId, DateTimeOffset Timestamp, long UserId, string Query, int Offset,
    IReadOnlyList<InterleavedItem> Items, InterleavedRankers Rankers);

/// <summary>Receives the interleaved pages a service shows. Thread-safe.</summary>
public interface IInterleavingLog
{
    /// <summary>Writes one page's record. Failures are the log's to report; they must not fail the request.</summary>
    void Log(InterleavingImpression impression);
}

/// <summary>
/// Writes <see cref="InterleavingImpression"/>s as JSON Lines
/// <c>{request_id, ts, user, query, offset, items: [{id, team}], control: {name, kind}, challenger: {name, kind}}</c>
/// (team <c>control</c> or <c>challenger</c>), through the same rotating file as the feature log; <see cref="Read"/>
/// reads them back.
/// </summary>
public sealed class JsonlInterleavingLog : IInterleavingLog, IDisposable
{
    /// <summary>The meter whose counters report written and failed records (<c>searchrec.interleave_log.records</c>, <c>searchrec.interleave_log.failures</c>).</summary>
    public const string MeterName = "SearchRec.Ranking.InterleavingLog";

    private static readonly System.Diagnostics.Metrics.Meter Meter = new(MeterName, "1.0");
    private static readonly System.Diagnostics.Metrics.Counter<long> Written = Meter.CreateCounter<long>("searchrec.interleave_log.records", "{record}", "Interleaved pages logged.");
    private static readonly System.Diagnostics.Metrics.Counter<long> Failed = Meter.CreateCounter<long>("searchrec.interleave_log.failures", "{record}", "Interleaved pages that could not be logged (the requests went on).");
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JsonLinesFile _file;

    /// <summary>
    /// Opens (appends to) <paramref name="path"/> at once, so a path that cannot be written fails here rather than
    /// record by record; rotates at <paramref name="maxBytes"/>, keeping <paramref name="keep"/> old files.
    /// </summary>
    public JsonlInterleavingLog(string path, long maxBytes = 64L << 20, int keep = 5) =>
        _file = new JsonLinesFile(Guard.NotNull(path), maxBytes, keep, "interleaving log");

    /// <summary>Records that failed to be written (disk errors); the request went on.</summary>
    public long Failures => _file.Failures;

    /// <summary>The word a team is written as: <c>control</c> or <c>challenger</c>.</summary>
    public static string NameOf(InterleavingTeam team) => team == InterleavingTeam.Control ? "control" : "challenger";

    /// <inheritdoc />
    public void Log(InterleavingImpression impression)
    {
        Guard.NotNull(impression);
        using var buffer = new MemoryStream(256 + 48 * impression.Items.Count);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("request_id", impression.RequestId);
            w.WriteString("ts", impression.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteNumber("user", impression.UserId);
            w.WriteString("query", impression.Query);
            w.WriteNumber("offset", impression.Offset);
            w.WriteStartArray("items");
            foreach (var item in impression.Items)
            {
                w.WriteStartObject();
                w.WriteString("id", item.ItemId);
                w.WriteString("team", NameOf(item.Team));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("control");
            w.WriteString("name", impression.Rankers.ControlName);
            w.WriteString("kind", impression.Rankers.ControlKind);
            w.WriteEndObject();
            w.WriteStartObject("challenger");
            w.WriteString("name", impression.Rankers.ChallengerName);
            w.WriteString("kind", impression.Rankers.ChallengerKind);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        if (_file.Append(buffer)) Written.Add(1);
        else Failed.Add(1);
    }

    /// <summary>
    /// Reads the records of <paramref name="paths"/> in file order. Each line that is not a record goes to
    /// <paramref name="onMalformed"/> as <c>file:line: reason</c> and is skipped (the last line of a log whose writer
    /// was killed mid-line, say); blank lines are skipped silently. Throws naming a file that does not exist.
    /// </summary>
    public static IEnumerable<InterleavingImpression> Read(IEnumerable<string> paths, Action<string>? onMalformed = null)
    {
        Guard.NotNull(paths);
        // A report holds every page: one string per distinct item id and query text, and one rankers record per
        // comparison, rather than one of each per page, holds a log of millions of pages in far less memory.
        var pool = new Pool();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"interleaving log not found: {path}", path);
            long no = 0;
            foreach (var line in File.ReadLines(path))
            {
                no++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                InterleavingImpression? read = null;
                string? problem = null;
                try
                {
                    read = Parse(line, pool, out problem);
                }
                catch (JsonException e)
                {
                    problem = $"not JSON ({e.Message})";
                }
                if (read is null)
                {
                    onMalformed?.Invoke($"{path}:{no}: not an interleaving record: {problem}");
                    continue;
                }
                yield return read;
            }
        }
    }

    private static InterleavingImpression? Parse(string line, Pool pool, out string? problem)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        problem = null;
        if (root.ValueKind != JsonValueKind.Object) return Bad("not an object", out problem);
        if (Text(root, "request_id") is not { } requestId) return Bad("no request_id", out problem);
        if (Text(root, "ts") is not { } tsText || !DateTimeOffset.TryParse(tsText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
            return Bad("no ts, or one that is not a time", out problem);
        if (!root.TryGetProperty("user", out var u) || u.ValueKind != JsonValueKind.Number || !u.TryGetInt64(out var user))
            return Bad("no user id", out problem);
        if (Text(root, "query") is not { } query) return Bad("no query", out problem);
        query = pool.Of(query);
        if (!root.TryGetProperty("offset", out var o) || o.ValueKind != JsonValueKind.Number || !o.TryGetInt32(out var offset) || offset < 0)
            return Bad("no offset", out problem);
        if (!root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array) return Bad("no items", out problem);
        var shown = new InterleavedItem[items.GetArrayLength()];
        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || Text(item, "id") is not { } id) return Bad($"items[{i}] has no id", out problem);
            InterleavingTeam team;
            switch (Text(item, "team"))
            {
                case "control": team = InterleavingTeam.Control; break;
                case "challenger": team = InterleavingTeam.Challenger; break;
                case var other: return Bad($"items[{i}].team is '{other}', not control or challenger", out problem);
            }
            shown[i++] = new InterleavedItem(pool.Of(id), team);
        }
        if (!root.TryGetProperty("control", out var a) || a.ValueKind != JsonValueKind.Object || !root.TryGetProperty("challenger", out var b) || b.ValueKind != JsonValueKind.Object)
            return Bad("no control or challenger", out problem);
        var rankers = pool.Of(new InterleavedRankers(Text(a, "name") ?? "", Text(a, "kind") ?? "", Text(b, "name") ?? "", Text(b, "kind") ?? ""));
        return new InterleavingImpression(requestId, ts.ToUniversalTime(), user, query, offset, shown, rankers);
    }

    /// <summary>One instance of each distinct string and rankers record read.</summary>
    private sealed class Pool
    {
        private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
        private readonly Dictionary<InterleavedRankers, InterleavedRankers> _rankers = [];

        public string Of(string s)
        {
            if (_strings.TryGetValue(s, out var kept)) return kept;
            _strings.Add(s, s);
            return s;
        }

        public InterleavedRankers Of(InterleavedRankers r)
        {
            if (_rankers.TryGetValue(r, out var kept)) return kept;
            _rankers.Add(r, r);
            return r;
        }
    }

    private static InterleavingImpression? Bad(string why, out string problem)
    {
        problem = why;
        return null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
