using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Collab.Events;

/// <summary>
/// Durable store of behaviour events. An event's identity is (user, item, behaviour, timestamp): storing the same
/// identity twice keeps one copy, so re-importing a file or retrying an append never double-counts.
/// Implementations are thread-safe.
/// </summary>
public interface IEventStore : IDisposable
{
    /// <summary>Stores one event; it is durable (survives a crash of the process) when this returns.</summary>
    /// <returns>True when stored, false when an event with the same identity was already there.</returns>
    bool Append(UserEvent e);

    /// <summary>Stores events in one transaction; durable when this returns.</summary>
    /// <returns>How many were new (the rest were duplicates).</returns>
    int AppendBatch(IEnumerable<UserEvent> events);

    /// <summary>
    /// Stores events in one transaction, as <see cref="AppendBatch"/> does, and says which were new: for a caller that
    /// applies each stored event once more elsewhere (the service's live models), which must skip the duplicates.
    /// </summary>
    /// <returns>The events that were new, in the order given (a duplicate of a stored event, or of an earlier one in the list, left out).</returns>
    IReadOnlyList<UserEvent> AppendNew(IReadOnlyList<UserEvent> events);

    /// <summary>
    /// Imports a CSV file of the Taobao format; bad lines, and lines whose timestamp <c>POST /events</c> would refuse
    /// (<see cref="EventTimestamps"/>), are reported and skipped, the rest stored.
    /// </summary>
    EventImportReport Import(string path, IProgress<long>? progress = null);

    /// <summary>The user's most recent events, most recent first (by timestamp), at most <paramref name="max"/>.</summary>
    IReadOnlyList<UserEvent> GetHistory(long userId, int max);

    /// <summary>Every stored event, ordered by user then time (for training).</summary>
    IEnumerable<UserEvent> ReadAll();

    /// <summary>Number of stored events.</summary>
    long Count { get; }

    /// <summary>
    /// Passes each event stored with a timestamp after <paramref name="timestamp"/> to <paramref name="visit"/>, oldest
    /// first, and returns the store's event count, both read from one snapshot: an event stored meanwhile is in neither.
    /// </summary>
    long ReadAfter(long timestamp, Action<UserEvent> visit);
}

/// <summary>The outcome of importing one file.</summary>
/// <param name="File">The file as given.</param>
/// <param name="Parsed">Lines that parsed into events.</param>
/// <param name="Inserted">Events that were new to the store.</param>
/// <param name="Duplicates">Parsed events already present (same identity).</param>
/// <param name="Problems">Rejected lines, each with its line number and reason.</param>
/// <param name="Elapsed">Wall time of the import.</param>
public sealed record EventImportReport(string File, long Parsed, long Inserted, long Duplicates, IReadOnlyList<ImportProblem> Problems, TimeSpan Elapsed)
{
    /// <summary>Parsed events per second.</summary>
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Parsed / Elapsed.TotalSeconds : 0;
}
