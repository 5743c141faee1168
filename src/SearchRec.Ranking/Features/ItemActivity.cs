using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Ranking.Features;

/// <summary>
/// When each item was first and last touched, and how often in the last day before a time: the item recency and
/// trend the collaborative models do not keep. Built once from events before <see cref="AsOf"/>; read-only after.
/// </summary>
public sealed class ItemActivity
{
    private readonly Dictionary<long, Entry> _items;

    private ItemActivity(Dictionary<long, Entry> items, long asOf)
    {
        _items = items;
        AsOf = asOf;
    }

    /// <summary>Events at or after this time were ignored; "last day" is the 24 h before it.</summary>
    public long AsOf { get; }

    /// <summary>Items with at least one event.</summary>
    public int Count => _items.Count;

    /// <summary>Collects the activity of events before <paramref name="asOf"/> (all events when null: as of the newest one + 1 s).</summary>
    public static ItemActivity Build(IEnumerable<UserEvent> events, long? asOf = null)
    {
        Guard.NotNull(events);
        var list = events as IReadOnlyList<UserEvent> ?? events.ToList();
        long until = asOf ?? (list.Count == 0 ? 0 : MaxTimestamp(list) + 1);
        var dayStart = until - 86_400L;
        var items = new Dictionary<long, Entry>();
        foreach (var e in list)
        {
            if (e.Timestamp >= until) continue;
            var found = items.TryGetValue(e.ItemId, out var x);
            x = found
                ? x with { First = Math.Min(x.First, e.Timestamp), Last = Math.Max(x.Last, e.Timestamp), Total = x.Total + 1 }
                : new Entry(e.Timestamp, e.Timestamp, 1, 0);
            if (e.Timestamp >= dayStart) x = x with { LastDay = x.LastDay + 1 };
            items[e.ItemId] = x;
        }
        return new ItemActivity(items, until);
    }

    /// <summary>Whether the item has any event.</summary>
    public bool Knows(long itemId) => _items.ContainsKey(itemId);

    /// <summary>Hours from the item's last event to <paramref name="now"/> (at least 0); NaN when it has no events.</summary>
    public float HoursSinceLast(long itemId, long now) =>
        _items.TryGetValue(itemId, out var x) ? Math.Max(0, now - x.Last) / 3600f : float.NaN;

    /// <summary>Hours from the item's first event to <paramref name="now"/> (its age; at least 0); NaN when it has no events.</summary>
    public float AgeHours(long itemId, long now) =>
        _items.TryGetValue(itemId, out var x) ? Math.Max(0, now - x.First) / 3600f : float.NaN;

    /// <summary>Events on the item in the 24 h before <see cref="AsOf"/>; 0 when it has none.</summary>
    public int LastDayCount(long itemId) => _items.TryGetValue(itemId, out var x) ? x.LastDay : 0;

    /// <summary>All events on the item before <see cref="AsOf"/>; 0 when it has none.</summary>
    public int TotalCount(long itemId) => _items.TryGetValue(itemId, out var x) ? x.Total : 0;

    private static long MaxTimestamp(IReadOnlyList<UserEvent> list)
    {
        long max = long.MinValue;
        for (var i = 0; i < list.Count; i++) max = Math.Max(max, list[i].Timestamp);
        return max;
    }

    private readonly record struct Entry(long First, long Last, int Total, int LastDay);
}
