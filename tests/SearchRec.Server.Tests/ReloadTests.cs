using System.Collections.Concurrent;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class ReloadTests
{
    [Fact]
    public async Task Reloading_during_a_stream_of_requests_drops_none_and_retires_old_generations()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out _, loadDelay: TimeSpan.FromMilliseconds(50));
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentBag<string>();
        int ok = 0;
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                string path = (i++ % 3) switch
                {
                    0 => $"/search?q=新款{i % 7}&user={c}",
                    1 => $"/items/{1 + i % 40}/similar?user={c}",
                    _ => $"/users/{c}/recommendations",
                };
                using var r = await s.Client.GetAsync(path);
                if (r.IsSuccessStatusCode) Interlocked.Increment(ref ok);
                else failures.Add($"{path} -> {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            }
        })).ToArray();

        for (int n = 0; n < 5; n++)
        {
            var (status, body) = await TestServer.ReadAsync(await s.ReloadAsync(retrain: n % 2 == 1));
            Assert.Equal(200, status);
            Assert.Equal($"fake{n + 2}", body.GetProperty("generation").GetString());
        }
        await Task.Delay(100);
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.True(ok > 20, $"only {ok} requests ran");
        Assert.Equal(6, loader.Loads);
        for (int n = 0; n < 5; n++) Assert.True(loader.Shops[n].IsDisposed, $"generation {n + 1} still alive");
        Assert.False(loader.Shops[5].IsDisposed);
    }

    [Fact]
    public async Task Events_that_arrive_during_a_reload_reach_the_new_generation()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out var log, loadDelay: TimeSpan.FromMilliseconds(1500));
        var reload = s.ReloadAsync();
        while (loader.Loads < 2) await Task.Delay(10);   // the loader has read the log and is "loading"
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":3,"item":"22","behavior":"buy"}""")).StatusCode);
        Assert.Equal(200, (int)(await reload).StatusCode);

        Assert.Equal(1, log.Count);
        Assert.Equal(1, Interlocked.Read(ref loader.Latest.EventsObserved));
        var r = await s.GetJsonAsync("/search?q=新款&k=1&user=3");
        Assert.Equal("零食", r.GetProperty("results")[0].GetProperty("category").GetString());
    }

    [Fact]
    public async Task A_second_reload_while_one_runs_gets_409()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out _, loadDelay: TimeSpan.FromSeconds(2));
        var first = s.ReloadAsync();
        while (loader.Loads < 2) await Task.Delay(10);   // the first reload is loading
        var (status, body) = await TestServer.ReadAsync(await s.ReloadAsync());
        Assert.Equal(409, status);
        Assert.Contains("already running", body.GetProperty("error").GetString());
        Assert.Equal(200, (int)(await first).StatusCode);
    }

    [Fact]
    public async Task A_scheduled_retrain_swaps_in_a_new_generation_once_new_events_arrived()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out _, o => o.RetrainInterval = TimeSpan.FromSeconds(1));
        // No event since start: the same models again would only empty the caches, so ticks pass by.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(1, loader.Loads);
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":5,"item":"1","behavior":"buy"}""")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (loader.Loads < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(loader.Loads >= 2);
        while ((await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString() == "fake1" && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.NotEqual("fake1", (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString());
    }

    [Fact]
    public void A_rented_generation_outlives_the_swap_until_it_is_returned()
    {
        var log = new MemoryEventLog();
        var a = new FakeShop();
        var b = new FakeShop();
        var samples = new ShopSamples([], [], []);
        using var state = new ServiceState(new ServiceGeneration("a", a, a, a, a, a, 0, samples, [a]));
        var lease = state.Rent();
        state.Swap(new ServiceGeneration("b", b, b, b, b, b, 0, samples, [b]));
        Assert.Equal("b", state.Peek.Id);
        Assert.False(a.IsDisposed);
        Assert.Equal("a", lease.Generation.Id);
        lease.Dispose();
        Assert.True(a.IsDisposed);
        Assert.False(b.IsDisposed);
        Assert.Equal(0, log.Count);
    }
}
