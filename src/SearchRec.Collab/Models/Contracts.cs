using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Collab.Models;

/// <summary>An item with a score; higher is better.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">The scorer's score (scales differ between scorers).</param>
public readonly record struct ScoredItem(long ItemId, float Score);

/// <summary>
/// A collaborative scorer: a score for (user history, candidate item) and a top-K list. A score is
/// <see cref="float.NaN"/> when the scorer knows nothing about that pair (unknown item, or a history it cannot use),
/// so callers can treat missing values explicitly. Implementations are thread-safe.
/// </summary>
public interface IRecScorer
{
    /// <summary>The model name used on the command line (<c>popularity</c>, <c>repeat</c>, <c>item-item</c>, <c>als</c>, <c>category</c>, <c>blend</c>).</summary>
    string Name { get; }

    /// <summary>Scores candidates for a user; <paramref name="scores"/> must be as long as <paramref name="items"/>.</summary>
    void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores);

    /// <summary>The best <paramref name="k"/> items for the user, best first.</summary>
    /// <param name="history">The user's history (may be empty: cold start).</param>
    /// <param name="k">How many items.</param>
    /// <param name="excludeHistory">Leave out items the user already interacted with.</param>
    IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false);
}

/// <summary>
/// What a user did, most recent first, as of a time (the reference for recency decay). Scorers cache
/// what they derive from it on the instance, so build one per request and pass it to every scorer.
/// </summary>
public sealed class UserHistory
{
    private readonly UserEvent[] _events;
    internal readonly Lock CacheLock = new();
    internal object? ProfileCache;
    internal object? ProfileOwner;

    /// <summary>A history with no events (cold start).</summary>
    public static UserHistory Empty(long? userId = null, long asOf = 0) => new(userId, [], asOf);

    /// <summary>Builds a history; the events are copied and sorted most recent first.</summary>
    /// <param name="userId">The user, when known.</param>
    /// <param name="events">The user's events in any order.</param>
    /// <param name="asOf">Unix seconds that recency is measured from; 0 means the latest event's time.</param>
    public UserHistory(long? userId, IEnumerable<UserEvent> events, long asOf = 0)
    {
        Guard.NotNull(events);
        _events = events.ToArray();
        Array.Sort(_events, static (a, b) => b.Timestamp.CompareTo(a.Timestamp));
        UserId = userId;
        AsOf = asOf != 0 ? asOf : (_events.Length > 0 ? _events[0].Timestamp : 0);
    }

    /// <summary>The user, when known.</summary>
    public long? UserId { get; }

    /// <summary>Unix seconds that recency decay is measured from.</summary>
    public long AsOf { get; }

    /// <summary>The events, most recent first.</summary>
    public ReadOnlySpan<UserEvent> Events => _events;

    /// <summary>Number of events.</summary>
    public int Count => _events.Length;
}

/// <summary>Progress of a long training step.</summary>
/// <param name="Stage">The step (e.g. <c>als</c>).</param>
/// <param name="Fraction">Done so far, 0 to 1.</param>
/// <param name="Message">What is happening.</param>
public readonly record struct TrainProgress(string Stage, double Fraction, string Message);
