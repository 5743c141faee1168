using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Where behaviour events are cut so that the collaborative models a search ranker learns from hold nothing at or
/// after the judged queries (the purchase a query is labelled with, and what followed from it): <c>train-ranker</c>
/// cuts at the first judged query, the demo at the median one (and trains on the later queries only). Personal
/// histories need no cut here: <see cref="SearchTrainingData"/> reads each one as of its query's time.
/// </summary>
public static class BehaviourCut
{
    /// <summary>The earliest time among the queries that carry one, or null when none does.</summary>
    public static long? First(IEnumerable<JudgedQuery> queries)
    {
        Guard.NotNull(queries);
        long? first = null;
        foreach (var q in queries)
            if (q.Timestamp is long t && (first is null || t < first)) first = t;
        return first;
    }

    /// <summary>The median time (the upper one of an even count) among the queries that carry one, or null when none does.</summary>
    public static long? Median(IEnumerable<JudgedQuery> queries)
    {
        Guard.NotNull(queries);
        var times = queries.Where(q => q.Timestamp is not null).Select(q => q.Timestamp!.Value).Order().ToList();
        return times.Count > 0 ? times[times.Count / 2] : null;
    }

    /// <summary>The events strictly before <paramref name="time"/>, in their order, and how many were left out.</summary>
    public static (List<UserEvent> Before, int LeftOut) Split(IReadOnlyCollection<UserEvent> events, long time)
    {
        Guard.NotNull(events);
        var before = events.Where(e => e.Timestamp < time).ToList();
        return (before, events.Count - before.Count);
    }
}
