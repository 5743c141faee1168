using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>
/// A reload must let the old generation go: once its last request has returned it, nothing the service, the loader,
/// the caches or the threads hold may keep its index, models or products reachable, or each reload of a 1M-product
/// shop would keep another generation resident.
/// </summary>
public sealed class ReloadMemoryTests(TinyShop shop) : IClassFixture<TinyShop>
{
    [Fact]
    public async Task Old_generations_and_their_indexes_become_collectable_after_reloads()
    {
        var (s, store) = await shop.StartAsync(withRanker: true);
        await using var _ = s;
        using var __ = store;
        var state = s.App.Services.GetRequiredService<ServiceState>();
        var old = new List<(string Id, WeakReference Generation, WeakReference[] Owned)>();
        for (int n = 0; n < 4; n++)
        {
            await Traffic(s, n);
            old.Add(Track(state));
            var (status, _) = await TestServer.ReadAsync(await s.ReloadAsync(retrain: n == 2));
            Assert.Equal(200, status);
        }
        await Traffic(s, 9);

        for (int i = 0; i < 5 && old.Any(o => o.Generation.IsAlive || o.Owned.Any(w => w.IsAlive)); i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }
        foreach (var (id, gen, owned) in old)
        {
            Assert.False(gen.IsAlive, $"generation {id} is still reachable after the reloads that replaced it");
            for (int i = 0; i < owned.Length; i++)
                Assert.False(owned[i].IsAlive, $"generation {id}'s {owned[i].Target?.GetType().Name ?? "resource"} #{i} is still reachable");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reload_compacts_the_heap_once_the_old_generation_is_disposed_unless_turned_off(bool compact)
    {
        var (s, store) = await shop.StartAsync(o => o.CompactAfterReload = compact);
        await using var _ = s;
        using var __ = store;
        var reloader = s.App.Services.GetRequiredService<Reloader>();
        var state = s.App.Services.GetRequiredService<ServiceState>();
        // A request that holds the old generation across the swap: the compaction waits for it to be disposed.
        var lease = state.Rent();
        var old = lease.Generation;
        Assert.Equal(200, (await TestServer.ReadAsync(await s.ReloadAsync())).Status);
        await Task.Delay(200);
        Assert.False(old.IsDisposed);
        Assert.Equal(0, reloader.Compactions);
        lease.Dispose();
        for (int i = 0; i < 100 && reloader.Compactions == 0 && compact; i++) await Task.Delay(20);
        Assert.True(old.IsDisposed);
        Assert.Equal(compact ? 1 : 0, reloader.Compactions);
    }

    // Not inlined: the generation must not stay on this method's stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (string, WeakReference, WeakReference[]) Track(ServiceState state)
    {
        var g = state.Peek;
        Assert.False(g.IsDisposed);
        return (g.Id, new WeakReference(g), g.Owned.Select(o => new WeakReference(o)).ToArray());
    }

    private async Task Traffic(TestServer s, int round)
    {
        for (int i = 0; i < 20; i++)
        {
            string q = Uri.EscapeDataString(shop.Queries[(round * 7 + i) % shop.Queries.Count]);
            using var a = await s.Client.GetAsync($"/search?q={q}&user={1 + i % 5}&facets=true&highlight=true");
            Assert.True(a.IsSuccessStatusCode, $"search {q}: {(int)a.StatusCode}");
            using var b = await s.Client.GetAsync($"/users/{1 + i % 5}/recommendations");
            using var c = await s.Client.GetAsync($"/suggest?q={Uri.EscapeDataString(shop.Queries[i % shop.Queries.Count][..1])}");
        }
        var samples = await s.GetJsonAsync("/samples");
        foreach (var item in samples.GetProperty("itemIds").EnumerateArray().Take(10))
        {
            using var r = await s.Client.GetAsync($"/items/{Uri.EscapeDataString(item.GetString()!)}/similar?user=1");
            using var r2 = await s.Client.GetAsync($"/items/{Uri.EscapeDataString(item.GetString()!)}");
        }
    }
}
