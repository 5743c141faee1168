using System.Text.Encodings.Web;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Ranking.Logging;

/// <summary>One logged request: the features of every ranked candidate, keyed by a request id for later joins with events.</summary>
/// <param name="RequestId">The request id the client also sends with its click / purchase events.</param>
/// <param name="Timestamp">When the request was served (UTC).</param>
/// <param name="Query">The query text.</param>
/// <param name="UserId">The user, or null.</param>
/// <param name="Schema">The feature schema of the rows.</param>
/// <param name="Items">Candidate ids in the ranker's order (then, in a record written with its page, the page's items it ranked lower; see <see cref="Shown"/>).</param>
/// <param name="Features">Row-major features, in the same order as <paramref name="Items"/>.</param>
public sealed record FeatureLogRecord(string RequestId, DateTimeOffset Timestamp, string Query, long? UserId, FeatureSchema Schema,
    IReadOnlyList<string> Items, float[] Features)
{
    /// <summary>
    /// The fingerprint of the deep model whose query–item scores are among the features (<c>ModelLocations.DeepFingerprint</c>),
    /// or null: a ranker learnt from the log records it, and refuses another model in its place.
    /// </summary>
    public string? DeepFingerprint { get; init; }

    /// <summary>Each item's 0-based rank in the ranker's own order, as <see cref="Items"/>; null: its index in <see cref="Items"/>.</summary>
    public IReadOnlyList<int>? Ranks { get; init; }

    /// <summary>
    /// Where each item was shown on the page, as <see cref="Items"/> (null for an item not on the page); null for a
    /// record written without its page (<c>search --feature-log</c>, and logs written before the service held records).
    /// </summary>
    public IReadOnlyList<ShownPlace?>? Shown { get; init; }

    /// <summary>
    /// The filters the search applied before ranking, or null when it applied none (and in records written before
    /// filters were logged): an audit, or a join that trains on unfiltered searches only, tells the two apart.
    /// </summary>
    public FeatureLogFilters? Filters { get; init; }

    /// <summary>
    /// How many recalled candidates the ranker re-ranked (the /search answer's <c>window</c>); null in records written
    /// before the window was logged. <see cref="Items"/> holds the best of them, to the log's depth.
    /// </summary>
    public int? Window { get; init; }
}

/// <summary>The filters a logged search applied before ranking; each null when not given. Named as <c>/search</c>'s parameters.</summary>
/// <param name="Category">Only products in this category (any level of the path).</param>
/// <param name="Brand">Only products of this brand.</param>
/// <param name="PriceMin">Only products priced at least this.</param>
/// <param name="PriceMax">Only products priced at most this.</param>
public sealed record FeatureLogFilters(string? Category, string? Brand, double? PriceMin, double? PriceMax)
{
    /// <summary>The filters given, or null when none is: a record of an unfiltered search has no <c>filters</c>.</summary>
    public static FeatureLogFilters? Of(string? category, string? brand, double? priceMin, double? priceMax) =>
        category is null && brand is null && priceMin is null && priceMax is null ? null : new(category, brand, priceMin, priceMax);
}

/// <summary>Where a logged candidate was shown.</summary>
/// <param name="Place">Its 0-based place in the list shown (over all pages: the page's offset plus its place on the page).</param>
/// <param name="Team">On an interleaved page, the ranker that drafted it; null on a page of one ranking.</param>
public readonly record struct ShownPlace(int Place, InterleavingTeam? Team);

/// <summary>Receives ranked requests' features (as the Elasticsearch LTR plugin's feature logging). Thread-safe.</summary>
public interface IFeatureLogger
{
    /// <summary>Writes one request's record. Failures are the logger's to report; they must not fail the request.</summary>
    void Log(FeatureLogRecord record);
}

/// <summary>
/// Writes <see cref="FeatureLogRecord"/>s as JSON Lines
/// <c>{request_id, ts, query, user, [filters: {[category,] [brand,] [priceMin,] [priceMax]},] [window,] schema_version, schema_hash, [deep_fingerprint,] candidates: [{id, rank, [shown, team,] features: {name: value}}]}</c>
/// (unknown values are <c>null</c>; <c>filters</c> only when the search applied one, holding the ones it applied; <c>shown</c> only on the items of a page shown, <c>team</c> only on an interleaved page's), rotating to <c>FILE.1</c> … <c>FILE.N</c> when the file passes a size.
/// </summary>
public sealed class JsonlFeatureLogger : IFeatureLogger, IDisposable
{
    /// <summary>The meter whose counters report written and failed records (<c>searchrec.feature_log.records</c>, <c>searchrec.feature_log.failures</c>).</summary>
    public const string MeterName = "SearchRec.Ranking.FeatureLog";

    private static readonly System.Diagnostics.Metrics.Meter Meter = new(MeterName, "1.0");
    private static readonly System.Diagnostics.Metrics.Counter<long> Written = Meter.CreateCounter<long>("searchrec.feature_log.records", "{record}", "Feature-log records written.");
    private static readonly System.Diagnostics.Metrics.Counter<long> Failed = Meter.CreateCounter<long>("searchrec.feature_log.failures", "{record}", "Feature-log records that could not be written (the requests went on).");

    private readonly JsonLinesFile _file;
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Opens (appends to) <paramref name="path"/> at once, so a path that cannot be written fails here rather than
    /// record by record; rotates at <paramref name="maxBytes"/>, keeping <paramref name="keep"/> old files.
    /// </summary>
    public JsonlFeatureLogger(string path, long maxBytes = 64L << 20, int keep = 5) =>
        _file = new JsonLinesFile(Guard.NotNull(path), maxBytes, keep, "feature log");

    /// <summary>Records that failed to be written (disk errors); the request went on.</summary>
    public long Failures => _file.Failures;

    /// <inheritdoc />
    public void Log(FeatureLogRecord record)
    {
        Guard.NotNull(record);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("request_id", record.RequestId);
            w.WriteString("ts", record.Timestamp.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("query", record.Query);
            if (record.UserId is { } u) w.WriteNumber("user", u); else w.WriteNull("user");
            if (record.Filters is { } filters and not { Category: null, Brand: null, PriceMin: null, PriceMax: null }) WriteFilters(w, filters);
            if (record.Window is { } window) w.WriteNumber("window", window);
            w.WriteNumber("schema_version", record.Schema.Version);
            w.WriteString("schema_hash", record.Schema.Hash);
            if (record.DeepFingerprint is { } deep) w.WriteString("deep_fingerprint", deep);
            w.WriteStartArray("candidates");
            var dim = record.Schema.Count;
            for (var i = 0; i < record.Items.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("id", record.Items[i]);
                w.WriteNumber("rank", record.Ranks?[i] ?? i);
                if (record.Shown?[i] is { } shown)
                {
                    w.WriteNumber("shown", shown.Place);
                    if (shown.Team is { } team) w.WriteString("team", JsonlInterleavingLog.NameOf(team));
                }
                w.WriteStartObject("features");
                for (var f = 0; f < dim; f++)
                {
                    var v = record.Features[i * dim + f];
                    if (float.IsNaN(v)) w.WriteNull(record.Schema.Names[f]); else w.WriteNumber(record.Schema.Names[f], v);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        if (_file.Append(buffer)) Written.Add(1);
        else Failed.Add(1);
    }

    // Only the filters given, under /search's parameter names.
    private static void WriteFilters(Utf8JsonWriter w, FeatureLogFilters filters)
    {
        w.WriteStartObject("filters");
        if (filters.Category is { } category) w.WriteString("category", category);
        if (filters.Brand is { } brand) w.WriteString("brand", brand);
        if (filters.PriceMin is { } min) w.WriteNumber("priceMin", min);
        if (filters.PriceMax is { } max) w.WriteNumber("priceMax", max);
        w.WriteEndObject();
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
