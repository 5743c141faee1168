using System.Diagnostics;

namespace SearchRec.Deep.Scoring;

/// <summary>Progress lines from parallel loops, at most one per interval (the first after one interval).</summary>
internal sealed class ThrottledProgress(Action<string>? sink, double intervalSeconds = 3)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly double _interval = intervalSeconds;
    private double _next = intervalSeconds;

    /// <summary>Sends <paramref name="message"/>(state, seconds so far) when a line is due; thread-safe.</summary>
    internal void Report<T>(T state, Func<T, double, string> message)
    {
        if (sink is null || _clock.Elapsed.TotalSeconds < _next) return;
        lock (_gate)
        {
            var now = _clock.Elapsed.TotalSeconds;
            if (now < _next) return;
            _next = now + _interval;
            sink(message(state, now));
        }
    }
}
