using System.Globalization;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Training;

namespace SearchRec.Ranking.Logging;

/// <summary>
/// Assembles training data from logged traffic: each logged request (see <see cref="JsonlFeatureLogger"/>) becomes a
/// query group; a candidate's label is the strongest behaviour (pv 1, fav 2, cart 3, buy 4) of the same user on the
/// same item within <c>window</c> after the request. Anonymous requests, requests whose candidates all stay at 0,
/// requests logged with another schema than the first one read, and lines that are not a record (the last line of a
/// log whose writer was killed mid-line, a candidate whose feature names differ from the first candidate's) are skipped
/// and counted in the report.
/// </summary>
public static class FeatureLogJoin
{
    /// <summary>What the join kept and dropped.</summary>
    /// <param name="Requests">Logged requests read.</param>
    /// <param name="Groups">Requests turned into groups.</param>
    /// <param name="Anonymous">Requests without a user.</param>
    /// <param name="NoPositive">Requests no later event touched.</param>
    /// <param name="OtherSchema">Requests logged with a different feature schema.</param>
    /// <param name="Malformed">Lines that are not a feature-log record.</param>
    public sealed record Report(int Requests, int Groups, int Anonymous, int NoPositive, int OtherSchema, int Malformed = 0)
    {
        /// <summary>The distinct deep-model fingerprints the joined requests were logged with, in the order met (empty when none says).</summary>
        public IReadOnlyList<string> DeepFingerprints { get; init; } = [];
    }

    /// <summary>
    /// Joins the feature logs with events. Each line that is not a record goes to <paramref name="onMalformed"/> as
    /// <c>file:line: reason</c> and is skipped; when no request at all could be read, throws saying so.
    /// </summary>
    public static (RankingDataset Data, Report Report) Join(IEnumerable<string> featureLogs, IReadOnlyList<UserEvent> events, TimeSpan window,
        Action<string>? onMalformed = null)
    {
        Guard.NotNull(featureLogs);
        Guard.NotNull(events);
        var byUserItem = new Dictionary<(long, long), List<(long Ts, Behavior B)>>();
        foreach (var e in events)
        {
            var key = (e.UserId, e.ItemId);
            if (!byUserItem.TryGetValue(key, out var l)) byUserItem[key] = l = [];
            l.Add((e.Timestamp, e.Behavior));
        }
        FeatureSchema? schema = null;
        RankingDatasetBuilder? builder = null;
        int requests = 0, anonymous = 0, none = 0, other = 0, malformed = 0;
        var deepPrints = new List<string>();
        foreach (var path in featureLogs)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"Feature log not found: {path}", path);
            long no = 0;
            foreach (var line in File.ReadLines(path))
            {
                no++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                requests++;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    var root = doc.RootElement;
                    var cands = root.GetProperty("candidates");
                    if (cands.GetArrayLength() == 0) { none++; continue; }
                    var names = cands[0].GetProperty("features").EnumerateObject().Select(p => p.Name).ToArray();
                    var s = new FeatureSchema(names, root.GetProperty("schema_version").GetInt32());
                    if (schema is null) { schema = s; builder = new RankingDatasetBuilder(s); }
                    else if (!schema.Equals(s)) { other++; continue; }
                    if (root.GetProperty("user").ValueKind != JsonValueKind.Number) { anonymous++; continue; }
                    var user = root.GetProperty("user").GetInt64();
                    var ts = new DateTimeOffset(DateTime.Parse(root.GetProperty("ts").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)).ToUnixTimeSeconds();
                    var end = ts + (long)window.TotalSeconds;
                    var n = cands.GetArrayLength();
                    var dim = schema.Count;
                    var f = new float[n * dim];
                    var y = new float[n];
                    var ids = new string[n];
                    var judged = new Dictionary<string, int>(StringComparer.Ordinal);
                    var i = 0;
                    foreach (var c in cands.EnumerateArray())
                    {
                        ids[i] = c.GetProperty("id").GetString()!;
                        // Values are stored by position: a candidate whose names differ from the first one's (one
                        // missing, added or moved) would shift its values into other features' columns.
                        var j = 0;
                        foreach (var p in c.GetProperty("features").EnumerateObject())
                        {
                            if (j >= dim || !p.NameEquals(schema.Names[j]))
                                throw new FormatException($"candidate '{ids[i]}' has feature '{p.Name}' where the first candidate has {(j < dim ? $"'{schema.Names[j]}'" : "no more")}");
                            var v = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetSingle() : float.NaN;
                            // The logger writes a missing value (NaN) as null and never an infinity: a number too large for a float is damage.
                            if (float.IsInfinity(v)) throw new FormatException($"candidate '{ids[i]}': feature '{p.Name}' is {p.Value.GetRawText()}, beyond a 32-bit float");
                            f[i * dim + j++] = v;
                        }
                        if (j < dim) throw new FormatException($"candidate '{ids[i]}' lacks feature '{schema.Names[j]}' and {dim - j - 1} after it");
                        if (long.TryParse(ids[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var item) && byUserItem.TryGetValue((user, item), out var evs))
                            foreach (var (t, b) in evs)
                                if (t >= ts && t <= end) y[i] = Math.Max(y[i], (int)b + 1);
                        if (y[i] > 0) judged[ids[i]] = (int)y[i];
                        i++;
                    }
                    if (judged.Count == 0) { none++; continue; }
                    // The search's text: cross-validation keeps repeated searches in one fold, and the card fingerprints it.
                    var text = root.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
                    builder!.Add(root.GetProperty("request_id").GetString()!, f, y, ids, judged, 1f, text);
                    if (root.TryGetProperty("deep_fingerprint", out var fp) && fp.ValueKind == JsonValueKind.String && !deepPrints.Contains(fp.GetString()!))
                        deepPrints.Add(fp.GetString()!);
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or IndexOutOfRangeException)
                {
                    requests--;
                    malformed++;
                    onMalformed?.Invoke($"{path}:{no}: not a feature-log record ({e.Message})");
                }
            }
        }
        if (builder is null)
            throw new InvalidDataException("The feature logs hold no request with candidates" + (malformed > 0 ? $" ({malformed:N0} lines are not feature-log records)." : "."));
        var data = builder.Build();
        return (data, new Report(requests, data.Groups.Count, anonymous, none, other, malformed) { DeepFingerprints = deepPrints });
    }
}
