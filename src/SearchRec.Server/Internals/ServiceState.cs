using SearchRec.Core.Events;

namespace SearchRec.Server.Internals;

/// <summary>
/// Holds the current <see cref="ServiceGeneration"/>. Requests rent it; a reload swaps in a new one with
/// <see cref="Interlocked.Exchange{T}(ref T, T)"/>; the old one is disposed when its last renter returns it.
/// Also keeps events that arrive during a reload, so the new generation misses none.
/// </summary>
internal sealed class ServiceState : IDisposable
{
    private Holder _current;
    private readonly Lock _eventSync = new();
    private List<(long Position, UserEvent Event)>? _duringReload;

    public ServiceState(ServiceGeneration first) => _current = new Holder(first);

    /// <summary>The generation now current, without renting it (for ids and counts only).</summary>
    public ServiceGeneration Peek => Volatile.Read(ref _current).Generation;

    /// <summary>Rents the current generation; dispose the lease when the request is done.</summary>
    public Lease Rent()
    {
        while (true)
        {
            var h = Volatile.Read(ref _current);
            if (h.TryAddRef()) return new Lease(h);
            // The holder was retired between the read and the add-ref; the next read sees its successor.
        }
    }

    /// <summary>Starts buffering events for the generation a reload is building.</summary>
    public void BeginReload()
    {
        lock (_eventSync) _duringReload ??= [];
    }

    /// <summary>Drops the buffer of a reload that failed.</summary>
    public void AbortReload()
    {
        lock (_eventSync) _duringReload = null;
    }

    /// <summary>Makes <paramref name="next"/> current, replays events it has not seen, and retires the old generation.</summary>
    /// <returns>
    /// A task that completes once the old generation is disposed (its last request has returned it); it holds no
    /// reference to the generation, so awaiting it does not keep the generation alive.
    /// </returns>
    public Task Swap(ServiceGeneration next)
    {
        Holder old;
        lock (_eventSync)
        {
            if (_duringReload is { } pending)
            {
                foreach (var (pos, e) in pending)
                    if (pos > next.EventsSeen) next.Observer.Observe(e);
            }
            _duringReload = null;
            old = Interlocked.Exchange(ref _current, new Holder(next));
        }
        var retired = old.Retired;
        old.Release();
        return retired;
    }

    /// <summary>
    /// Applies stored events (the last one at store position <paramref name="lastPosition"/>) to the current generation
    /// and to the one a reload is building.
    /// </summary>
    public void Observe(IReadOnlyList<UserEvent> events, long lastPosition)
    {
        lock (_eventSync)
        {
            var gen = Volatile.Read(ref _current).Generation;
            long first = lastPosition - events.Count + 1;
            for (int i = 0; i < events.Count; i++)
            {
                long pos = first + i;
                if (pos > gen.EventsSeen) gen.Observer.Observe(events[i]);
                _duringReload?.Add((pos, events[i]));
            }
        }
    }

    public void Dispose() => Volatile.Read(ref _current).Release();

    /// <summary>A generation plus its count of renters; the state itself holds one reference until the swap.</summary>
    internal sealed class Holder(ServiceGeneration generation)
    {
        private int _refs = 1;
        private readonly TaskCompletionSource _retired = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ServiceGeneration Generation { get; } = generation;

        /// <summary>Completes once the generation is disposed.</summary>
        public Task Retired => _retired.Task;

        public bool TryAddRef()
        {
            while (true)
            {
                int r = Volatile.Read(ref _refs);
                if (r == 0) return false;
                if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) != 0) return;
            try { Generation.Dispose(); }
            finally { _retired.TrySetResult(); }
        }
    }

    /// <summary>A rented generation.</summary>
    internal readonly struct Lease(Holder holder) : IDisposable
    {
        public ServiceGeneration Generation => holder.Generation;
        public void Dispose() => holder.Release();
    }
}
