using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace SearchRec.Cli.Commands;

/// <summary>Bytes allocated by the calls a benchmark times.</summary>
internal static class Allocated
{
    /// <summary>
    /// Bytes allocated so far by every thread of the process, exact: a recall split over two threads counts whole.
    /// It pauses the runtime briefly, so read it outside the timed code.
    /// </summary>
    public static long Total() => GC.GetTotalAllocatedBytes(precise: true);

    /// <summary>Bytes as the benchmarks print them: KiB with one decimal.</summary>
    public static string KiB(double bytes) => (bytes / 1024).ToString("F1", CultureInfo.InvariantCulture) + " KiB";
}

/// <summary>
/// Which types a stretch of code allocates, sampled by the runtime: an <c>AllocationTick</c> event names the type of
/// the object that crossed each ~100 KB of allocation, so a type's share of the ticks estimates its share of the
/// bytes (small totals are rough). Listens to the runtime's own event source in-process; dispose to stop.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _on;

    /// <summary>Starts counting ticks from now, after letting the ticks of earlier allocations arrive uncounted.</summary>
    public void Start()
    {
        _on = false;
        Thread.Sleep(1000);
        _bytes.Clear();
        _on = true;
    }

    /// <summary>Stops counting, after waiting for the events still on their way (the runtime delivers them from another thread).</summary>
    public void Stop()
    {
        Thread.Sleep(1500);
        _on = false;
    }

    /// <summary>The sampled bytes per type, largest first.</summary>
    public IReadOnlyList<(string Type, long Bytes)> Top(int n) =>
        [.. _bytes.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(n).Select(p => (p.Key, p.Value))];

    /// <summary>Prints the top <paramref name="n"/> types with their sampled bytes per call of <paramref name="calls"/>.</summary>
    public void Print(string what, int calls, int n)
    {
        var top = Top(n);
        Console.WriteLine($"allocations by type, {what} (sampled: one AllocationTick per ~100 KB, {calls:N0} calls; per call):");
        if (top.Count == 0) Console.WriteLine("  (no allocation ticks: under ~100 KB allocated in all)");
        foreach (var (type, bytes) in top) Console.WriteLine($"  {Allocated.KiB(bytes / (double)calls),12}  {type}");
    }

    /// <inheritdoc />
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource) EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
    }

    /// <inheritdoc />
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true) return;
        if (eventData.PayloadNames is not { } names || eventData.Payload is not { } payload) return;
        string? type = null;
        long amount = 0;
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == "TypeName") type = payload[i] as string;
            else if (names[i] == "AllocationAmount64") amount = Convert.ToInt64(payload[i], CultureInfo.InvariantCulture);
            else if (names[i] == "AllocationAmount" && amount == 0) amount = Convert.ToInt64(payload[i], CultureInfo.InvariantCulture);
        }
        if (type is null) return;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
