using System.Text;
using SearchRec.Collab.Events;
using SearchRec.Core.Events;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Collab.Tests;

public class BulkImportTests
{
    private static List<UserEvent> Random(int n, int seed)
    {
        var rng = new Random(seed);
        var list = new List<UserEvent>(n);
        for (int k = 0; k < n; k++)
            list.Add(new UserEvent(rng.Next(1, 300), rng.NextInt64(1, 5_000_000_000), rng.Next(1, 1000), (Behavior)rng.Next(4), 1_500_000_000 + rng.Next(1_000_000)));
        return list;
    }

    private static List<UserEvent> KeyOrdered(IEnumerable<UserEvent> events) =>
        events.DistinctBy(e => (e.UserId, e.Timestamp, e.ItemId, e.Behavior))
            .OrderBy(e => e.UserId).ThenBy(e => e.Timestamp).ThenBy(e => e.ItemId).ThenBy(e => e.Behavior).ToList();

    [Fact]
    public void Every_field_of_every_imported_event_is_stored_across_many_chunks_and_a_partial_last_statement()
    {
        using var dir = new TempDir();
        var events = Random(120_037, 1); // more than two import chunks, not a multiple of the 100-row statement
        var sb = new StringBuilder();
        foreach (var e in events) sb.Append($"{e.UserId},{e.ItemId},{e.CategoryId},{e.Behavior.ToWord()},{e.Timestamp}\n");
        var csv = dir.Write("e.csv", sb.ToString());
        using var store = new SqliteEventStore(dir.File("events.db"));
        long reported = 0;
        var r = store.Import(csv, new SyncProgress(p => reported = p));
        var expected = KeyOrdered(events);
        Assert.Equal(events.Count, r.Parsed);
        Assert.Equal(expected.Count, r.Inserted);
        Assert.Equal(events.Count, reported);
        Assert.Equal(expected, KeyOrdered(store.ReadAll()));
    }

    [Fact]
    public void A_batch_with_one_bad_event_stores_nothing_and_names_the_field()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"));
        var batch = Random(250, 2);
        batch[180] = new UserEvent(1, 2, -3, Behavior.View, 4);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => store.AppendBatch(batch));
        Assert.Contains("CategoryId", ex.Message);
        Assert.Equal(0, store.Count);
        Assert.True(store.Append(new UserEvent(1, 2, 3, Behavior.View, 4))); // the store still writes afterwards
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Importing_a_missing_file_throws_and_leaves_the_store_usable()
    {
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("events.db"));
        Assert.ThrowsAny<IOException>(() => store.Import(dir.File("nope.csv")));
        Assert.Equal(250, store.AppendBatch(Random(250, 3)));
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
