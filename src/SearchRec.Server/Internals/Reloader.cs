using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SearchRec.Index;

namespace SearchRec.Server.Internals;

/// <summary>Builds a new generation off the request path and swaps it in; one reload at a time.</summary>
internal sealed class Reloader(ServiceState state, IGenerationLoader loader, ILogger<Reloader> log, ServerOptions options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _reloads;

    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>The generation being served.</summary>
    public string Current => state.Peek.Id;

    /// <summary>
    /// Whether a reload failed on the files it read (missing, damaged or mismatched models, index or events), which
    /// the answer and the log name in one line, rather than on a fault of the service.
    /// </summary>
    public static bool IsBadFiles(Exception e) => e is IOException or InvalidDataException or UnauthorizedAccessException
        or ArgumentException or FormatException or System.Text.Json.JsonException or SearchRec.Ranking.Models.RankerSchemaMismatchException;

    /// <summary>What a reload did; <see cref="Change"/> is the catalog change written before it, if any.</summary>
    public sealed record Outcome(bool Started, string Generation, string? Previous, double Ms, CatalogChange? Change = null);

    /// <summary>Runs a reload, or returns <c>Started = false</c> at once when another is running.</summary>
    public Task<Outcome> ReloadAsync(bool retrain, CancellationToken ct) => RunAsync(retrain, null, ct);

    /// <summary>
    /// Writes a catalog change through <paramref name="updater"/>, then loads the generation that serves it; returns
    /// <c>Started = false</c> at once, writing nothing, when a reload is running. A change the updater refuses throws
    /// its <see cref="ArgumentException"/> with nothing written; a load that fails after the change was written throws
    /// an <see cref="InvalidDataException"/> that says so.
    /// </summary>
    public Task<Outcome> UpdateCatalogAsync(ICatalogUpdater updater, CatalogUpdate update, CancellationToken ct) =>
        RunAsync(false, () => updater.Apply(update), ct);

    private async Task<Outcome> RunAsync(bool retrain, Func<CatalogChange>? change, CancellationToken ct)
    {
        if (!await _gate.WaitAsync(0, ct).ConfigureAwait(false))
            return new Outcome(false, state.Peek.Id, null, 0);
        try
        {
            long t0 = Stopwatch.GetTimestamp();
            string previous = state.Peek.Id;
            // Under the gate: a reload running now would load the index half way through the change's commit.
            CatalogChange? written = change is null ? null : await Task.Run(change, ct).ConfigureAwait(false);
            // A change that changed nothing (every id to remove unknown) leaves the generation and its caches as they are.
            if (written is { Added: 0, Replaced: 0, Deleted: 0 })
                return new Outcome(true, previous, previous, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, written);
            state.BeginReload();
            ServiceGeneration next;
            try
            {
                // Off the request thread: loading may read an index and models for seconds.
                next = await Task.Run(() => loader.LoadAsync(new ReloadRequest(retrain), new LogProgress(log), ct), ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                state.AbortReload();
                if (written is not null && IsBadFiles(e))
                {
                    var told = new InvalidDataException($"the catalog change was written to the index ({Describe(written)}), but loading it failed: {e.Message}", e);
                    log.LogError("Reload failed, still serving generation {Previous}: {Message}", previous, told.Message);
                    throw told;
                }
                if (IsBadFiles(e)) log.LogError("Reload failed, still serving generation {Previous}: {Message}", previous, e.Message);
                throw;
            }
            var retired = state.Swap(next);
            if (options.CompactAfterReload) _ = CompactOnceRetiredAsync(retired);
            Interlocked.Increment(ref _reloads);
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (written is null) log.LogInformation("Reloaded generation {Previous} -> {Next} in {Ms:F0} ms (retrain={Retrain})", previous, next.Id, ms, retrain);
            else log.LogInformation("Catalog changed ({Change}) and generation {Previous} -> {Next} loaded in {Ms:F0} ms", Describe(written), previous, next.Id, ms);
            return new Outcome(true, next.Id, previous, ms, written);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Compactions run after a retired generation was disposed (tests wait for them).</summary>
    internal long Compactions => Interlocked.Read(ref _compactions);
    private long _compactions;

    /// <summary>
    /// Once the old generation is disposed, one blocking, compacting collection that hands the freed memory back to the
    /// system. Without it the old generation's arrays were garbage that the workstation GC kept committed: a 1M-product
    /// service grew by 200-400 MB a reload, from 0.86 GB to 1.6 GB after three reloads with no traffic at all.
    /// </summary>
    private async Task CompactOnceRetiredAsync(Task retired)
    {
        try
        {
            // Requests still holding the old generation finish first; a stuck one is not waited for forever.
            await retired.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            long before = GC.GetTotalMemory(false);
            long t0 = Stopwatch.GetTimestamp();
            // Only an aggressive collection decommits: a blocking full one that does not compact (71-93 ms on the 1M
            // service) or a background one (no pause) left it growing, 0.86 -> 1.04, 1.06, 1.11 GB over three reloads.
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Interlocked.Increment(ref _compactions);
            log.LogInformation("Reload: the retired generation's memory handed back ({Before:F0} -> {After:F0} MB of managed heap, {Ms:F0} ms)",
                before / 1048576.0, GC.GetTotalMemory(false) / 1048576.0, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        catch (TimeoutException)
        {
            log.LogWarning("Reload: the retired generation was still in use after 2 minutes; its memory is left to the GC");
        }
    }

    internal static string Describe(CatalogChange c) =>
        $"added {c.Added:N0}, replaced {c.Replaced:N0}, removed {c.Deleted:N0}, {c.Count:N0} products now";
}

/// <summary>A reload's loading steps, as information lines in the service log.</summary>
internal sealed class LogProgress(ILogger log) : IProgress<string>
{
    public void Report(string value) => log.LogInformation("Reload: {Step}", value);
}

/// <summary>Retrains on <see cref="ServerOptions.RetrainInterval"/> in the background.</summary>
internal sealed class RetrainSchedule(ServerOptions options, Reloader reloader, IEventLog events, ILogger<RetrainSchedule> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.RetrainInterval is not { } every) return;
        using var timer = new PeriodicTimer(every);
        long trainedOn = events.Count;   // the first generation's models saw the store as it was at start
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                // The same events give the same models: a retrain would only swap generations and empty the caches.
                long now = events.Count;
                if (now == trainedOn)
                {
                    log.LogInformation("Scheduled retrain skipped: no new events since the last one ({Count:N0})", now);
                    continue;
                }
                var o = await reloader.ReloadAsync(retrain: true, stoppingToken).ConfigureAwait(false);
                if (!o.Started) log.LogInformation("Scheduled retrain skipped: a reload is already running");
                else trainedOn = now;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) when (Reloader.IsBadFiles(ex)) { }   // the reloader named it in one line; the next tick tries again
            catch (Exception ex)
            {
                // The old generation keeps serving; the next tick tries again.
                log.LogError(ex, "Scheduled retrain failed; still serving the previous generation");
            }
        }
    }
}
