using SearchRec.Collab.Events;
using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Server.Adapters;

/// <summary>
/// <see cref="IEventLog"/> over the collaborative stage's durable store (SQLite, fsync per batch). The count is the
/// store's own, so rows another program wrote into the same file (<c>searchrec import-events</c>) are in it; the
/// store keeps it without a <c>COUNT(*)</c> per append. The store drops exact duplicates (same user, item, behaviour
/// and second), which the count reflects.
/// </summary>
public sealed class EventStoreLog : IEventLog
{
    private readonly IEventStore _store;
    private readonly Lock _sync = new();

    /// <summary>Wraps an open store.</summary>
    public EventStoreLog(IEventStore store) => _store = Guard.NotNull(store);

    /// <summary>The wrapped store (histories are read from it).</summary>
    public IEventStore Store => _store;

    /// <inheritdoc />
    public EventAppendResult Append(IReadOnlyList<UserEvent> events)
    {
        Guard.NotNull(events);
        // One append and its count at a time, so the count answered is the one right after this batch.
        lock (_sync)
        {
            var stored = _store.AppendNew(events);
            return new EventAppendResult(stored.Count, _store.Count) { Stored = stored };
        }
    }

    /// <inheritdoc />
    public long Count => _store.Count;
}
