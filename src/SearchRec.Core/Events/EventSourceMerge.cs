namespace SearchRec.Core.Events;

/// <summary>
/// Events read from several sources, each later source's events that an earlier source already held left out: a CSV
/// log and the store imported from it, given together, would otherwise count every event twice. Repeats within one
/// source are kept, as the source holds them.
/// </summary>
public sealed class EventSourceMerge
{
    private HashSet<UserEvent>? _earlier;   // built when a second source comes: one source needs no set
    private int _sources;

    /// <summary>The events so far, in source order.</summary>
    public List<UserEvent> Events { get; } = [];

    /// <summary>Events left out because an earlier source held them.</summary>
    public long Repeats { get; private set; }

    /// <summary>Adds one source's events; returns how many were left out as already read.</summary>
    /// <param name="source">The source's events.</param>
    public long Add(IEnumerable<UserEvent> source)
    {
        Guard.NotNull(source);
        if (_sources++ == 0)
        {
            Events.AddRange(source);
            return 0;
        }
        _earlier ??= new HashSet<UserEvent>(Events);
        int start = Events.Count;
        long left = 0;
        foreach (var e in source)
        {
            if (_earlier.Contains(e)) left++;
            else Events.Add(e);
        }
        for (int i = start; i < Events.Count; i++) _earlier.Add(Events[i]);
        Repeats += left;
        return left;
    }
}
