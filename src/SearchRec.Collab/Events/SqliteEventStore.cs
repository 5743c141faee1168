using System.Diagnostics;
using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Collab.Events;

/// <summary>
/// The embedded event store: one SQLite file in WAL mode. The primary key is (user_id, ts, item_id, behavior),
/// which makes writes idempotent (INSERT OR IGNORE) and serves a user's recent history from the index.
/// Writes are serialised on one connection; reads use their own pooled connections and run beside writes.
/// With <see cref="SqliteEventStoreOptions.SynchronousFull"/> (the default) every commit is fsynced, so an
/// acknowledged event survives a crash of the process and of the machine.
/// </summary>
public sealed class SqliteEventStore : IEventStore
{
    private const int ImportChunk = 50_000;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _dataVersion;
    private readonly sqlite3_stmt _insertMany; // bound through the native API: no boxing per value, same speed on a first run
    private const int ManyRows = 100; // rows per multi-row INSERT: fewer statement steps per event
    private readonly Lock _writeLock = new();
    private bool _disposed;
    // The row count, kept by this store's own writes. Other writers (import-events into a served store) are noticed by
    // PRAGMA data_version, which changes when another connection commits and costs microseconds; only then is
    // COUNT(*) run again (it reads the whole table: about 1 ms on 119k rows, 80–150 ms on 10M). -1: not known yet.
    private long _count = -1;
    private long _countVersion;

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    public SqliteEventStore(string path, SqliteEventStoreOptions? options = null)
    {
        Guard.NotNull(path);
        options ??= new SqliteEventStoreOptions();
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(_connectionString);
        try
        {
            _writer.Open();
            // Checked before anything is written, so another program's database is left exactly as it was.
            using (var shape = _writer.CreateCommand())
            {
                shape.CommandText = "SELECT group_concat(name, ',') FROM pragma_table_info('events');";
                if (shape.ExecuteScalar() is string columns && columns != "user_id,ts,item_id,behavior,category_id")
                    throw new InvalidDataException($"its table 'events' has the columns {columns.Replace(",", ", ", StringComparison.Ordinal)}");
                // A database of other tables alone got an events table (and WAL mode) added to it.
                shape.CommandText = "SELECT (SELECT group_concat(name, ', ') FROM sqlite_master WHERE type = 'table'), (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events');";
                using var tables = shape.ExecuteReader();
                if (tables.Read() && !tables.IsDBNull(0) && tables.GetInt64(1) == 0)
                    throw new InvalidDataException($"it holds {tables.GetString(0)} and no events table");
            }
            Exec(_writer, "PRAGMA journal_mode=WAL;");
            Exec(_writer, options.SynchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
            Exec(_writer, "PRAGMA busy_timeout=30000;");
            Exec(_writer, "PRAGMA cache_size=-65536;");
            Exec(_writer, """
                CREATE TABLE IF NOT EXISTS events (
                  user_id INTEGER NOT NULL, ts INTEGER NOT NULL, item_id INTEGER NOT NULL, behavior INTEGER NOT NULL,
                  category_id INTEGER NOT NULL,
                  PRIMARY KEY (user_id, ts, item_id, behavior)) WITHOUT ROWID;
                """);
            _insert = _writer.CreateCommand();
            _insert.CommandText = "INSERT OR IGNORE INTO events(user_id, ts, item_id, behavior, category_id) VALUES ($u, $t, $i, $b, $c);";
            foreach (var name in new[] { "$u", "$t", "$i", "$b", "$c" }) _insert.Parameters.Add(new SqliteParameter(name, SqliteType.Integer));
            _insert.Prepare();
            var sql = new System.Text.StringBuilder("INSERT OR IGNORE INTO events(user_id, ts, item_id, behavior, category_id) VALUES ");
            for (int r = 0; r < ManyRows; r++) sql.Append(r > 0 ? ",(?,?,?,?,?)" : "(?,?,?,?,?)");
            Check(raw.sqlite3_prepare_v2(_writer.Handle, sql.Append(';').ToString(), out _insertMany), "prepare bulk insert");
            _dataVersion = _writer.CreateCommand();
            _dataVersion.CommandText = "PRAGMA data_version;";
            _dataVersion.Prepare();
        }
        catch (Exception e) when (e is SqliteException or InvalidDataException)
        {
            // Another file, or another program's database, where a store belongs: say which, not a stack trace.
            _insert?.Dispose();
            _dataVersion?.Dispose();
            _writer.Dispose();
            throw new InvalidDataException($"{path} is not a SearchRec event store ({e.Message.TrimEnd('.')}); give a new file or one that `searchrec import-events` or `serve` wrote.", e);
        }
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>True when <paramref name="path"/> is an SQLite database (by its header), such as a store this class wrote.</summary>
    public static bool IsDatabase(string path)
    {
        Guard.NotNull(path);
        Span<byte> head = stackalloc byte[16];
        using var f = File.OpenRead(path);
        return f.ReadAtLeast(head, 16, throwOnEndOfStream: false) == 16 && head.SequenceEqual("SQLite format 3\0"u8);
    }

    /// <summary>
    /// Every event of an existing store, by user then time, opened read-only (a running service may keep writing).
    /// Throws <see cref="InvalidDataException"/> naming the file when it holds no event table.
    /// </summary>
    public static List<UserEvent> ReadFile(string path)
    {
        Guard.NotNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Event store not found: {path}", path);
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var conn = new SqliteConnection(cs);
            conn.Open();
            using var check = conn.CreateCommand();
            check.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events';";
            if (Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
                throw new InvalidDataException($"{path}: an SQLite database without an events table (not a SearchRec event store).");
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT user_id, item_id, category_id, behavior, ts FROM events ORDER BY user_id, ts;";
            using var r = cmd.ExecuteReader();
            var list = new List<UserEvent>();
            while (r.Read())
            {
                var behavior = r.GetInt64(3);
                if (behavior is < (long)Behavior.View or > (long)Behavior.Buy)
                    throw new InvalidDataException($"{path}: event {list.Count + 1} (user {r.GetInt64(0)}, item {r.GetInt64(1)}) has behavior {behavior}, not 0-3 (pv, fav, cart, buy).");
                list.Add(new UserEvent(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), (Behavior)behavior, r.GetInt64(4)));
            }
            return list;
        }
        // A damaged file ("database disk image is malformed") or another program's events table escaped as an
        // SqliteException stack trace.
        catch (SqliteException e)
        {
            throw new InvalidDataException($"{path}: not a readable SearchRec event store ({e.Message.TrimEnd('.')}).", e);
        }
    }

    /// <inheritdoc />
    public bool Append(UserEvent e)
    {
        Validate(e);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _insert.Transaction = null;
            bool inserted = Insert(e);
            Counted(inserted ? 1 : 0);
            return inserted;
        }
    }

    /// <inheritdoc />
    public int AppendBatch(IEnumerable<UserEvent> events)
    {
        Guard.NotNull(events);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _writer.BeginTransaction();
            _insert.Transaction = tx;
            int inserted = events is List<UserEvent> list ? InsertRows(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list))
                : events is UserEvent[] array ? InsertRows(array) : InsertRows(events.ToArray());
            tx.Commit();
            _insert.Transaction = null;
            Counted(inserted);
            return inserted;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<UserEvent> AppendNew(IReadOnlyList<UserEvent> events)
    {
        Guard.NotNull(events);
        foreach (var e in events) Validate(e); // all or nothing: a bad event rolls nothing in
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _writer.BeginTransaction();
            _insert.Transaction = tx;
            // One row per statement: a multi-row insert tells how many rows were new, not which.
            var fresh = new List<UserEvent>(events.Count);
            foreach (var e in events) if (Insert(e)) fresh.Add(e);
            tx.Commit();
            _insert.Transaction = null;
            Counted(fresh.Count);
            return fresh;
        }
    }

    /// <summary>Inserts rows inside the caller's transaction, 100 per statement; returns how many were new.</summary>
    private int InsertRows(ReadOnlySpan<UserEvent> events)
    {
        foreach (var e in events) Validate(e); // all or nothing: a bad event rolls nothing in
        int inserted = 0, k = 0;
        var db = _writer.Handle;
        for (; k + ManyRows <= events.Length; k += ManyRows)
        {
            for (int r = 0; r < ManyRows; r++)
            {
                var e = events[k + r];
                int b = r * 5;
                raw.sqlite3_bind_int64(_insertMany, b + 1, e.UserId);
                raw.sqlite3_bind_int64(_insertMany, b + 2, e.Timestamp);
                raw.sqlite3_bind_int64(_insertMany, b + 3, e.ItemId);
                raw.sqlite3_bind_int64(_insertMany, b + 4, (long)e.Behavior);
                raw.sqlite3_bind_int64(_insertMany, b + 5, e.CategoryId);
            }
            int rc = raw.sqlite3_step(_insertMany);
            raw.sqlite3_reset(_insertMany);
            if (rc != raw.SQLITE_DONE) Check(rc, "bulk insert");
            inserted += raw.sqlite3_changes(db);
        }
        for (; k < events.Length; k++) if (Insert(events[k])) inserted++;
        return inserted;
    }

    /// <inheritdoc />
    public EventImportReport Import(string path, IProgress<long>? progress = null)
    {
        Guard.NotNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Events file not found: {path}", path);
        var sw = Stopwatch.StartNew();
        var problems = new List<ImportProblem>();
        long parsed = 0, inserted = 0;
        // one thread parses and sorts chunks while this one writes the previous chunk
        using var chunks = new BlockingCollection<List<UserEvent>>(boundedCapacity: 2);
        var reader = Task.Run(() =>
        {
            try
            {
                var chunk = new List<UserEvent>(ImportChunk);
                // The timestamps POST /events would refuse are refused here too, so both ways into the store agree.
                foreach (var e in EventCsvReader.ReadFile(path, problems.Add, DateTimeOffset.UtcNow.ToUnixTimeSeconds()))
                {
                    chunk.Add(e);
                    if (chunk.Count == ImportChunk)
                    {
                        chunk.Sort(KeyOrder); // logs come in time order; key order keeps B-tree inserts local
                        chunks.Add(chunk);
                        chunk = new List<UserEvent>(ImportChunk);
                    }
                }
                chunk.Sort(KeyOrder);
                if (chunk.Count > 0) chunks.Add(chunk);
            }
            finally { chunks.CompleteAdding(); }
        });
        try
        {
            foreach (var chunk in chunks.GetConsumingEnumerable())
            {
                inserted += AppendBatch(chunk);
                parsed += chunk.Count;
                progress?.Report(parsed);
            }
        }
        finally
        {
            // on a write error, let the reader finish (the queue no longer blocks it) before leaving
            while (!reader.IsCompleted) { while (chunks.TryTake(out _)) { } ((IAsyncResult)reader).AsyncWaitHandle.WaitOne(10); } // a non-throwing wait: the read error is rethrown below
        }
        reader.GetAwaiter().GetResult(); // rethrows a read error (e.g. missing file)
        return new EventImportReport(path, parsed, inserted, parsed - inserted, problems, sw.Elapsed);
    }

    /// <inheritdoc />
    public IReadOnlyList<UserEvent> GetHistory(long userId, int max)
    {
        Guard.Positive(max);
        using var conn = OpenReader();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT item_id, category_id, behavior, ts FROM events WHERE user_id = $u ORDER BY ts DESC, item_id DESC, behavior DESC LIMIT $n;";
        cmd.Parameters.AddWithValue("$u", userId);
        cmd.Parameters.AddWithValue("$n", max);
        var list = new List<UserEvent>(Math.Min(max, 256));
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new UserEvent(userId, r.GetInt64(0), r.GetInt64(1), (Behavior)r.GetInt64(2), r.GetInt64(3)));
        return list;
    }

    /// <inheritdoc />
    public IEnumerable<UserEvent> ReadAll()
    {
        using var conn = OpenReader();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT user_id, item_id, category_id, behavior, ts FROM events ORDER BY user_id, ts;";
        using var r = cmd.ExecuteReader();
        while (r.Read())
            yield return new UserEvent(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), (Behavior)r.GetInt64(3), r.GetInt64(4));
    }

    /// <inheritdoc />
    public long ReadAfter(long timestamp, Action<UserEvent> visit)
    {
        Guard.NotNull(visit);
        using var conn = OpenReader();
        // In WAL mode a read transaction sees one snapshot from its first read to its end.
        using var tx = conn.BeginTransaction(deferred: true);
        using var count = conn.CreateCommand();
        count.Transaction = tx;
        count.CommandText = "SELECT COUNT(*) FROM events;";
        long total = (long)count.ExecuteScalar()!;
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT user_id, item_id, category_id, behavior, ts FROM events WHERE ts > $t ORDER BY ts, user_id;";
        cmd.Parameters.AddWithValue("$t", timestamp);
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                visit(new UserEvent(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), (Behavior)r.GetInt64(3), r.GetInt64(4)));
        tx.Commit();
        return total;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Includes rows other connections and processes committed; cheap unless one has written since the last call.
    /// </remarks>
    public long Count
    {
        get
        {
            lock (_writeLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                long version = DataVersion();
                if (_count < 0 || version != _countVersion)
                {
                    using var cmd = _writer.CreateCommand();
                    cmd.CommandText = "SELECT COUNT(*) FROM events;";
                    _count = (long)cmd.ExecuteScalar()!;
                    _countVersion = version;
                }
                return _count;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            _insert.Dispose();
            _dataVersion.Dispose();
            raw.sqlite3_finalize(_insertMany);
            _writer.Dispose();
        }
    }

    private static int KeyOrder(UserEvent a, UserEvent b)
    {
        int c = a.UserId.CompareTo(b.UserId);
        if (c == 0) c = a.Timestamp.CompareTo(b.Timestamp);
        if (c == 0) c = a.ItemId.CompareTo(b.ItemId);
        return c != 0 ? c : a.Behavior.CompareTo(b.Behavior);
    }

    /// <summary>Adds this store's own new rows to the kept count, or drops it when another writer has committed since.</summary>
    private void Counted(int inserted)
    {
        // The writer's own commits leave its data_version as it was, so an unchanged version means no one else wrote.
        if (_count >= 0 && DataVersion() == _countVersion) _count += inserted;
        else _count = -1;
    }

    private long DataVersion() => (long)_dataVersion.ExecuteScalar()!;

    private bool Insert(UserEvent e)
    {
        _insert.Parameters[0].Value = e.UserId;
        _insert.Parameters[1].Value = e.Timestamp;
        _insert.Parameters[2].Value = e.ItemId;
        _insert.Parameters[3].Value = (long)e.Behavior;
        _insert.Parameters[4].Value = e.CategoryId;
        return _insert.ExecuteNonQuery() == 1;
    }

    private SqliteConnection OpenReader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var conn = new SqliteConnection(_connectionString);
        conn.Open();
        return conn;
    }

    private static void Validate(UserEvent e)
    {
        if (e.UserId < 0) throw new ArgumentOutOfRangeException(nameof(e), e.UserId, "UserId must not be negative.");
        if (e.ItemId < 0) throw new ArgumentOutOfRangeException(nameof(e), e.ItemId, "ItemId must not be negative.");
        if (e.CategoryId < 0) throw new ArgumentOutOfRangeException(nameof(e), e.CategoryId, "CategoryId must not be negative.");
        if (!Enum.IsDefined(e.Behavior)) throw new ArgumentOutOfRangeException(nameof(e), e.Behavior, "Behavior is not a known behaviour.");
    }

    private void Check(int rc, string what)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            throw new SqliteException($"SQLite error {rc} in {what}: {raw.sqlite3_errmsg(_writer.Handle).utf8_to_string()}", rc);
    }

    private static void Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>Options of <see cref="SqliteEventStore"/>.</summary>
public sealed class SqliteEventStoreOptions
{
    /// <summary>
    /// Fsync every commit (<c>PRAGMA synchronous=FULL</c>). Default true. False (NORMAL) still survives a crash of
    /// the process in WAL mode but may lose the last commits on power loss.
    /// </summary>
    public bool SynchronousFull { get; set; } = true;
}
