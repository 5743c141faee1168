using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Users' events in memory, for building <see cref="UserHistory"/> as of a time (training and evaluation, where a
/// query's history must stop at the query's timestamp). Immutable after loading; thread-safe.
/// </summary>
public sealed class UserHistories
{
    private readonly Dictionary<long, UserEvent[]> _byUser; // each oldest first

    /// <summary>Groups events by user.</summary>
    public UserHistories(IEnumerable<UserEvent> events)
    {
        Guard.NotNull(events);
        var lists = new Dictionary<long, List<UserEvent>>();
        foreach (var e in events)
        {
            if (!lists.TryGetValue(e.UserId, out var l)) lists[e.UserId] = l = [];
            l.Add(e);
        }
        _byUser = new Dictionary<long, UserEvent[]>(lists.Count);
        foreach (var (u, l) in lists)
        {
            var a = l.ToArray();
            Array.Sort(a, (x, y) => x.Timestamp.CompareTo(y.Timestamp));
            _byUser[u] = a;
        }
    }

    /// <summary>Number of users with events.</summary>
    public int Users => _byUser.Count;

    /// <summary>True when the user has any event.</summary>
    public bool Contains(long userId) => _byUser.ContainsKey(userId);

    /// <summary>
    /// The user's events strictly before <paramref name="asOf"/> (all when null), most recent first, at most
    /// <paramref name="max"/>; an empty history for unknown users.
    /// </summary>
    public UserHistory History(long userId, long? asOf = null, int max = 500)
    {
        Guard.Positive(max);
        if (!_byUser.TryGetValue(userId, out var all)) return UserHistory.Empty(userId, asOf ?? 0);
        var end = all.Length;
        if (asOf is { } t)
        {
            int lo = 0, hi = all.Length; // first index with Timestamp >= t
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (all[mid].Timestamp < t) lo = mid + 1; else hi = mid;
            }
            end = lo;
        }
        var n = Math.Min(max, end);
        var recent = new UserEvent[n];
        for (var i = 0; i < n; i++) recent[i] = all[end - 1 - i];
        return new UserHistory(userId, recent, asOf ?? (end > 0 ? all[end - 1].Timestamp : 0));
    }

    /// <summary>
    /// Reads Taobao-format CSV files (<c>user,item,category,behavior,timestamp</c>); a bad line throws naming file and
    /// line. A service's SQLite event store (<c>events.db</c>, told apart by its header) is read as the commands that
    /// take CSV or a store read it. Events a file shares with an earlier one are read once (<see cref="EventSourceMerge"/>).
    /// </summary>
    public static List<UserEvent> ReadCsv(IEnumerable<string> paths)
    {
        Guard.NotNull(paths);
        var merge = new EventSourceMerge();   // the same file given twice is read once
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"Event file not found: {path}", path);
            if (SearchRec.Collab.Events.SqliteEventStore.IsDatabase(path))
            {
                merge.Add(SearchRec.Collab.Events.SqliteEventStore.ReadFile(path));
                continue;
            }
            var result = new List<UserEvent>();
            long no = 0;
            foreach (var line in SearchRec.Core.TextFiles.ReadLines(path))
            {
                no++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var parts = line.Split(',');
                if (parts.Length != 5
                    || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user)
                    || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var item)
                    || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cat)
                    || !BehaviorNames.TryParse(parts[3].Trim(), out var behavior)
                    || !long.TryParse(parts[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ts))
                {
                    if (no == 1 && line.StartsWith("user", StringComparison.OrdinalIgnoreCase)) continue; // header
                    throw new InvalidDataException($"{path}:{no}: expected 'user_id,item_id,category_id,pv|fav|cart|buy,timestamp'");
                }
                result.Add(new UserEvent(user, item, cat, behavior, ts));
            }
            merge.Add(result);
        }
        return merge.Events;
    }
}
