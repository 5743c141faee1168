using SearchRec.Collab.Events;
using SearchRec.Core.Events;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Collab.Tests;

public class EventStoreTests
{
    [Fact]
    public void Importing_the_same_file_twice_does_not_double_count()
    {
        using var dir = new TempDir();
        var csv = dir.Write("e.csv", "1,10,100,pv,1000\n1,10,100,pv,1000\n1,11,100,buy,1001\n2,10,100,cart,1002\nbad line\n");
        using var store = new SqliteEventStore(dir.File("events.db"));
        var first = store.Import(csv);
        Assert.Equal(4, first.Parsed);
        Assert.Equal(3, first.Inserted);
        Assert.Single(first.Problems);
        Assert.Equal(5, first.Problems[0].Line);
        var second = store.Import(csv);
        Assert.Equal(0, second.Inserted);
        Assert.Equal(4, second.Duplicates);
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public void Import_skips_the_timestamps_the_service_refuses_naming_the_file_and_line()
    {
        using var dir = new TempDir();
        long tomorrow = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3_600;   // within the day of clock skew allowed
        var csv = dir.Write("slice.csv", $"1,10,100,pv,1511544070\n1,11,100,pv,-1\n1,12,100,buy,99999999999999\n1,13,100,cart,{tomorrow}\n1,14,100,pv,0\n");
        using var store = new SqliteEventStore(dir.File("events.db"));
        var report = store.Import(csv);
        Assert.Equal(3, report.Parsed);
        Assert.Equal([$"{csv}:2: timestamp: -1 is negative (Unix seconds expected)",
            $"{csv}:3: timestamp: 99999999999999 is more than a day in the future (Unix seconds expected)"], report.Problems.Select(p => p.ToString()));
        Assert.Equal(new long[] { 13, 10, 14 }, store.GetHistory(1, 10).Select(e => e.ItemId));
    }

    [Fact]
    public void AppendNew_returns_the_events_that_were_new_in_order_and_stores_each_once()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"));
        UserEvent a = new(1, 10, 100, Behavior.View, 1000), b = new(1, 11, 100, Behavior.Buy, 1001), c = new(2, 10, 100, Behavior.Cart, 1002);
        Assert.Equal([a], store.AppendNew([a]));
        // A stored one, a new one, the new one again: only its first time is new.
        Assert.Equal([b, c], store.AppendNew([a, b, b with { CategoryId = 7 }, c]));
        Assert.Empty(store.AppendNew([c, a]));
        Assert.Equal(3, store.Count);
        // All or nothing, as AppendBatch.
        Assert.Throws<ArgumentOutOfRangeException>(() => store.AppendNew([new UserEvent(3, 12, 100, Behavior.View, 1003), new UserEvent(3, 13, -1, Behavior.View, 1004)]));
        Assert.Equal(3, store.Count);
    }

    // Stored out of time order.
    private static readonly UserEvent[] TwoUsers =
    [
        new UserEvent(1, 10, 100, Behavior.View, 1000),
        new UserEvent(1, 11, 100, Behavior.Buy, 3000),
        new UserEvent(2, 12, 100, Behavior.View, 5000),
        new UserEvent(1, 13, 100, Behavior.Cart, 2000),
    ];

    [Fact]
    public void History_is_the_users_most_recent_events_first_and_capped()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"));
        store.AppendBatch(TwoUsers);
        var h = store.GetHistory(1, 2);
        Assert.Equal(new long[] { 11, 13 }, h.Select(e => e.ItemId));
        Assert.Empty(store.GetHistory(99, 5));
    }

    [Fact]
    public void Events_after_a_time_are_read_oldest_first_with_the_count_of_the_same_snapshot()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"));
        store.AppendBatch(TwoUsers);
        var seen = new List<long>();
        // An event stored while the read runs belongs to the next snapshot: neither read nor counted.
        var count = store.ReadAfter(2000, e =>
        {
            seen.Add(e.Timestamp);
            store.Append(new UserEvent(3, 14, 100, Behavior.View, 9000 + e.Timestamp));
        });
        Assert.Equal([3000L, 5000L], seen);
        Assert.Equal(4, count);
        Assert.Equal(6, store.Count);
    }

    [Fact]
    public void Appended_events_survive_reopening_the_store()
    {
        using var dir = new TempDir();
        var path = dir.File("events.db");
        using (var store = new SqliteEventStore(path))
        {
            Assert.True(store.Append(new UserEvent(1, 10, 100, Behavior.Favorite, 1000)));
            Assert.False(store.Append(new UserEvent(1, 10, 100, Behavior.Favorite, 1000)));
        }
        using var again = new SqliteEventStore(path);
        Assert.Equal(1, again.Count);
        Assert.Equal(Behavior.Favorite, again.GetHistory(1, 10)[0].Behavior);
    }

    [Fact]
    public void A_file_that_is_not_an_event_store_is_refused_naming_it_and_left_as_it_was()
    {
        using var dir = new TempDir();
        var text = dir.Write("notes.db", "not a database\n");
        var other = dir.File("other.db");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE events (a INTEGER, b TEXT);";
            cmd.ExecuteNonQuery();
        }
        var otherBytes = File.ReadAllBytes(other);
        // Another program's database without an events table at all.
        var notes = dir.File("notes.sqlite");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={notes};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE notes (a INTEGER, b TEXT); INSERT INTO notes VALUES (1, 'keep');";
            cmd.ExecuteNonQuery();
        }
        var notesBytes = File.ReadAllBytes(notes);

        var e1 = Assert.Throws<InvalidDataException>(() => new SqliteEventStore(text));
        var e2 = Assert.Throws<InvalidDataException>(() => new SqliteEventStore(other));
        var e3 = Assert.Throws<InvalidDataException>(() => new SqliteEventStore(notes));

        Assert.StartsWith($"{text} is not a SearchRec event store (", e1.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{other} is not a SearchRec event store (", e2.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{notes} is not a SearchRec event store (it holds notes and no events table", e3.Message, StringComparison.Ordinal);
        Assert.Equal("not a database\n", File.ReadAllText(text));
        Assert.Equal(otherBytes, File.ReadAllBytes(other));
        Assert.Equal(notesBytes, File.ReadAllBytes(notes));
    }

    [Fact]
    public void A_store_is_read_read_only_while_its_writer_is_open_and_a_csv_file_is_not_taken_for_one()
    {
        using var dir = new TempDir();
        var path = dir.File("events.db");
        using var store = new SqliteEventStore(path);
        store.AppendBatch([new UserEvent(2, 12, 100, Behavior.Buy, 2000), new UserEvent(1, 10, 100, Behavior.View, 1000)]);

        var read = SqliteEventStore.ReadFile(path);
        store.Append(new UserEvent(3, 13, 100, Behavior.Cart, 3000));   // the writer goes on afterwards

        Assert.True(SqliteEventStore.IsDatabase(path));
        Assert.False(SqliteEventStore.IsDatabase(dir.Write("e.csv", "1,10,100,pv,1000\n")));
        Assert.Equal(new long[] { 1, 2 }, read.Select(e => e.UserId));
        Assert.Equal(Behavior.Buy, read[1].Behavior);
        Assert.Equal(3, SqliteEventStore.ReadFile(path).Count);
    }

    [Fact]
    public void Reading_a_damaged_store_or_another_programs_events_table_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var path = dir.File("events.db");
        using (var store = new SqliteEventStore(path))
            store.AppendBatch(Enumerable.Range(0, 2000).Select(i => new UserEvent(i, 10 + i, 100, Behavior.View, 1000 + i)));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(path);
        var cut = dir.File("cut.db");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var other = dir.File("other.db");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE events (a INTEGER, b TEXT); INSERT INTO events VALUES (1, 'x');";
            cmd.ExecuteNonQuery();
        }
        var badBehaviour = dir.File("behaviour.db");
        using (var store = new SqliteEventStore(badBehaviour)) store.Append(new UserEvent(1, 10, 100, Behavior.View, 1000));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={badBehaviour};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE events SET behavior = 9;";
            cmd.ExecuteNonQuery();
        }

        foreach (var file in new[] { cut, other, badBehaviour })
        {
            var e = Assert.Throws<InvalidDataException>(() => SqliteEventStore.ReadFile(file));
            Assert.StartsWith($"{file}: ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Four_concurrent_writers_lose_no_event()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"), new SqliteEventStoreOptions { SynchronousFull = false });
        const int perWriter = 250;
        var accepted = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            for (int i = 0; i < perWriter; i++)
                if (store.Append(new UserEvent(w, i, 7, Behavior.View, 1000 + i))) Interlocked.Increment(ref accepted);
        });
        Assert.Equal(4 * perWriter, accepted);
        Assert.Equal(4 * perWriter, store.Count);
        for (int w = 0; w < 4; w++) Assert.Equal(perWriter, store.GetHistory(w, 10_000).Count);
    }

    [Fact]
    public void The_count_includes_rows_another_writer_commits_to_the_same_file()
    {
        // The store keeps its count between its own appends; another writer (import-events beside a service) must show.
        using var dir = new TempDir();
        var path = dir.File("events.db");
        using var served = new SqliteEventStore(path, new SqliteEventStoreOptions { SynchronousFull = false });
        served.AppendBatch([new UserEvent(1, 10, 100, Behavior.View, 1000), new UserEvent(1, 11, 100, Behavior.Buy, 1001)]);
        Assert.Equal(2, served.Count);
        using (var other = new SqliteEventStore(path, new SqliteEventStoreOptions { SynchronousFull = false }))
        {
            other.AppendBatch([.. Enumerable.Range(0, 300).Select(i => new UserEvent(2, i, 100, Behavior.View, 2000 + i))]);
            Assert.Equal(302, served.Count);
            other.Append(new UserEvent(3, 1, 100, Behavior.Cart, 3000));
        }
        // The other write lands between two of this store's own appends: the count after them still adds up.
        served.Append(new UserEvent(1, 12, 100, Behavior.Cart, 1002));
        served.Append(new UserEvent(1, 12, 100, Behavior.Cart, 1002));   // a duplicate adds nothing
        Assert.Equal(304, served.Count);
        Assert.Equal(served.ReadAll().LongCount(), served.Count);
    }

    [Fact]
    public void Negative_ids_are_refused_with_the_field_named()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => store.Append(new UserEvent(1, -2, 3, Behavior.View, 4)));
        Assert.Contains("ItemId", ex.Message);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void An_acknowledged_event_is_in_the_files_before_the_writer_closes()
    {
        // the files as a crashed process leaves them: copied while the writer is still open (no checkpoint, no close)
        using var dir = new TempDir();
        var path = dir.File("events.db");
        using (var store = new SqliteEventStore(path))
        {
            store.Append(new UserEvent(1, 1, 1, Behavior.View, 1));
        }
        var store2 = new SqliteEventStore(path);
        store2.Append(new UserEvent(1, 2, 1, Behavior.Buy, 2));
        foreach (var f in Directory.GetFiles(dir.Path, "events.db*")) File.Copy(f, f.Replace("events.db", "copy.db"));
        using var copy = new SqliteEventStore(dir.File("copy.db"));
        Assert.Equal(2, copy.Count);
        store2.Dispose();
    }
}
