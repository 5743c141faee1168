using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Ranking.Features;

/// <summary>
/// The times of every event on each item, so that an item's recency (hours since its last event), age (hours since
/// its first) and last-day count can be read as of any moment — a training query sees only the events before its own
/// time. The collaborative models keep no per-item times, hence this. Read-only after <see cref="Build"/>; thread-safe.
/// </summary>
public sealed class ItemActivity
{
    private readonly Dictionary<long, long[]> _times;

    private ItemActivity(Dictionary<long, long[]> times, long latest)
    {
        _times = times;
        Latest = latest;
    }

    /// <summary>Time of the newest event (0 when there are none): the "now" of a request that gives no time.</summary>
    public long Latest { get; }

    /// <summary>Items with at least one event.</summary>
    public int Count => _times.Count;

    /// <summary>Collects the event times per item, of events before <paramref name="until"/> when given.</summary>
    public static ItemActivity Build(IEnumerable<UserEvent> events, long? until = null)
    {
        Guard.NotNull(events);
        var lists = new Dictionary<long, List<long>>();
        long latest = 0;
        foreach (var e in events)
        {
            if (until is { } u && e.Timestamp >= u) continue;
            if (!lists.TryGetValue(e.ItemId, out var l)) lists[e.ItemId] = l = [];
            l.Add(e.Timestamp);
            latest = Math.Max(latest, e.Timestamp);
        }
        var times = new Dictionary<long, long[]>(lists.Count);
        foreach (var (item, l) in lists)
        {
            var a = l.ToArray();
            Array.Sort(a);
            times[item] = a;
        }
        return new ItemActivity(times, latest);
    }

    /// <summary>
    /// The item's activity as of <paramref name="now"/> (events strictly before it): hours since its last and first
    /// events (NaN when it had none), and its events in the 24 h and in all time before.
    /// </summary>
    public (float HoursSinceLast, float AgeHours, int LastDay, int Total) At(long itemId, long now)
    {
        if (!_times.TryGetValue(itemId, out var t)) return (float.NaN, float.NaN, 0, 0);
        var total = LowerBound(t, now);
        if (total == 0) return (float.NaN, float.NaN, 0, 0);
        var day = total - LowerBound(t, now - 86_400);
        return ((now - t[total - 1]) / 3600f, (now - t[0]) / 3600f, day, total);
    }

    // First index whose time is >= value.
    private static int LowerBound(long[] a, long value)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (a[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
