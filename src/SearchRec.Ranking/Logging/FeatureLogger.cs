using System.Text.Encodings.Web;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Logging;

/// <summary>One logged request: the features of every ranked candidate, keyed by a request id for later joins with events.</summary>
/// <param name="RequestId">The request id the client also sends with its click / purchase events.</param>
/// <param name="Timestamp">When the request was served (UTC).</param>
/// <param name="Query">The query text.</param>
/// <param name="UserId">The user, or null.</param>
/// <param name="Schema">The feature schema of the rows.</param>
/// <param name="Items">Candidate ids in final rank order.</param>
/// <param name="Features">Row-major features, in the same order as <paramref name="Items"/>.</param>
public sealed record FeatureLogRecord(string RequestId, DateTimeOffset Timestamp, string Query, long? UserId, FeatureSchema Schema,
    IReadOnlyList<string> Items, float[] Features);

/// <summary>Receives ranked requests' features (as the Elasticsearch LTR plugin's feature logging). Thread-safe.</summary>
public interface IFeatureLogger
{
    /// <summary>Writes one request's record. Failures are the logger's to report; they must not fail the request.</summary>
    void Log(FeatureLogRecord record);
}

/// <summary>
/// Writes <see cref="FeatureLogRecord"/>s as JSON Lines
/// <c>{request_id, ts, query, user, schema_version, schema_hash, candidates: [{id, rank, features: {name: value}}]}</c>
/// (unknown values are <c>null</c>), rotating to <c>FILE.1</c> … <c>FILE.N</c> when the file passes a size.
/// </summary>
public sealed class JsonlFeatureLogger : IFeatureLogger, IDisposable
{
    /// <summary>The meter whose counters report written and failed records (<c>searchrec.feature_log.records</c>, <c>searchrec.feature_log.failures</c>).</summary>
    public const string MeterName = "SearchRec.Ranking.FeatureLog";

    private static readonly System.Diagnostics.Metrics.Meter Meter = new(MeterName, "1.0");
    private static readonly System.Diagnostics.Metrics.Counter<long> Written = Meter.CreateCounter<long>("searchrec.feature_log.records", "{record}", "Feature-log records written.");
    private static readonly System.Diagnostics.Metrics.Counter<long> Failed = Meter.CreateCounter<long>("searchrec.feature_log.failures", "{record}", "Feature-log records that could not be written (the requests went on).");

    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _keep;
    private readonly object _gate = new();
    private FileStream? _stream;
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Opens (appends to) <paramref name="path"/> at once, so a path that cannot be written fails here rather than
    /// record by record; rotates at <paramref name="maxBytes"/>, keeping <paramref name="keep"/> old files.
    /// </summary>
    public JsonlFeatureLogger(string path, long maxBytes = 64L << 20, int keep = 5)
    {
        _path = Guard.NotNull(path);
        if (maxBytes < 1024) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "maxBytes must be at least 1024.");
        _maxBytes = maxBytes;
        _keep = Guard.Positive(keep);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        try
        {
            if (dir is not null) Directory.CreateDirectory(dir);
            var cutShort = !EndsALine(_path);
            _stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
            // A writer killed mid-record left half a line: end it, so the next record is a line of its own.
            if (cutShort)
            {
                _stream.WriteByte((byte)'\n');
                _stream.Flush();
            }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"feature log {path}: {e.Message}", e);
        }
    }

    // True for a missing or empty file and for one whose last byte is a newline.
    private static bool EndsALine(string path)
    {
        if (!File.Exists(path)) return true;
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (f.Length == 0) return true;
        f.Seek(-1, SeekOrigin.End);
        return f.ReadByte() == '\n';
    }

    /// <summary>Records that failed to be written (disk errors); the request went on.</summary>
    public long Failures { get; private set; }

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
            w.WriteNumber("schema_version", record.Schema.Version);
            w.WriteString("schema_hash", record.Schema.Hash);
            w.WriteStartArray("candidates");
            var dim = record.Schema.Count;
            for (var i = 0; i < record.Items.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("id", record.Items[i]);
                w.WriteNumber("rank", i);
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
        lock (_gate)
        {
            try
            {
                _stream ??= new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
                if (_stream.Length > 0 && _stream.Length + buffer.Length > _maxBytes) Rotate();
                buffer.Position = 0;
                buffer.CopyTo(_stream!);
                _stream!.Flush();
                Written.Add(1);
            }
            catch (IOException)
            {
                Failures++;
                Failed.Add(1);
            }
            catch (UnauthorizedAccessException)
            {
                Failures++;
                Failed.Add(1);
            }
        }
    }

    private void Rotate()
    {
        _stream?.Dispose();
        _stream = null;
        for (var i = _keep; i >= 1; i--)
        {
            var from = i == 1 ? _path : $"{_path}.{i - 1}";
            var to = $"{_path}.{i}";
            if (File.Exists(from)) File.Move(from, to, overwrite: true);
        }
        _stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }
}
