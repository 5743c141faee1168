namespace SearchRec.Ranking.Logging;

/// <summary>
/// An append-only JSON Lines file that rotates past a size, keeping a few old files (<c>FILE.1</c> the newest): what
/// the service's logs (features, interleaved impressions) write through. A record is written whole under one lock and
/// flushed to the operating system, so a reader never sees half of it; a write that fails (a full disk) is counted,
/// not thrown, because a log must never fail the request it records.
/// </summary>
internal sealed class JsonLinesFile : IDisposable
{
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _keep;
    private readonly object _gate = new();
    private FileStream? _stream;
    private long _failures;

    /// <summary>
    /// Opens (appends to) <paramref name="path"/> at once, so a path that cannot be written fails here, named as
    /// <paramref name="what"/>, rather than record by record.
    /// </summary>
    public JsonLinesFile(string path, long maxBytes, int keep, string what)
    {
        _path = path;
        if (maxBytes < 1024) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "maxBytes must be at least 1024.");
        _maxBytes = maxBytes;
        _keep = SearchRec.Core.Guard.Positive(keep);
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
            throw new IOException($"{what} {path}: {e.Message}", e);
        }
    }

    /// <summary>Records that could not be written.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Appends <paramref name="record"/> (one line, its newline included) from its start; false when the write failed.</summary>
    public bool Append(MemoryStream record)
    {
        lock (_gate)
        {
            try
            {
                _stream ??= new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
                if (_stream.Length > 0 && _stream.Length + record.Length > _maxBytes) Rotate();
                record.Position = 0;
                record.CopyTo(_stream!);
                _stream!.Flush();
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _failures);
                return false;
            }
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
