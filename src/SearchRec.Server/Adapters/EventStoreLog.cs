using SearchRec.Collab.Events;
using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Server.Adapters;

/// <summary>
/// <see cref="IEventLog"/> over the collaborative stage's durable store (SQLite, fsync per batch). Keeps the count
/// itself so an append does not run <c>COUNT(*)</c>. The store drops exact duplicates (same user, item, behaviour
/// and second), which the count reflects.
/// </summary>
public sealed class EventStoreLog : IEventLog
{
    private readonly IEventStore _store;
    private readonly Lock _sync = new();
    private long _count;

    /// <summary>Wraps an open store.</summary>
    public EventStoreLog(IEventStore store)
    {
        _store = Guard.NotNull(store);
        _count = store.Count;
    }

    /// <summary>The wrapped store (histories are read from it).</summary>
    public IEventStore Store => _store;

    /// <inheritdoc />
    public EventAppendResult Append(IReadOnlyList<UserEvent> events)
    {
        Guard.NotNull(events);
        lock (_sync)
        {
            int inserted = _store.AppendBatch(events);
            _count += inserted;
            return new EventAppendResult(inserted, _count);
        }
    }

    /// <inheritdoc />
    public long Count { get { lock (_sync) return _count; } }
}
