using SearchRec.Collab.Events;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>
/// The store folds an event it already holds (same user, item, behaviour and second): a client's retry, or a batch
/// that repeats a row. The live models must count each stored event once, as a reload from the store does.
/// </summary>
public sealed class EventDuplicatesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A generation over the fake shop that has seen the store as it is at load, as ShopLoader's does.
    private sealed class StoreLoader(IEventLog log) : IGenerationLoader
    {
        public FakeShop? Shop;

        public Task<ServiceGeneration> LoadAsync(ReloadRequest request, IProgress<string>? progress, CancellationToken ct)
        {
            Shop = new FakeShop();
            var samples = new ShopSamples(["新款"], [.. Shop.Products.Select(p => p.Id)], [1]);
            return Task.FromResult(new ServiceGeneration("store", Shop, Shop, Shop, Shop, Shop, log.Count, samples, [Shop]));
        }
    }

    [Fact]
    public async Task An_event_the_store_already_holds_is_not_applied_to_the_live_models_again()
    {
        using var store = new SqliteEventStore(_dir.File("events.db"), new SqliteEventStoreOptions { SynchronousFull = false });
        var log = new EventStoreLog(store);
        var loader = new StoreLoader(log);
        await using var s = await TestServer.StartAsync(loader, log);
        var shop = loader.Shop!;
        const string a = """{"user":1,"item":"3","behavior":"buy","timestamp":1700000000}""";
        const string b = """{"user":1,"item":"4","behavior":"buy","timestamp":1700000001}""";
        const string c = """{"user":2,"item":"5","behavior":"pv","timestamp":1700000002}""";

        Assert.Equal(200, (int)(await s.PostEventsAsync(a)).StatusCode);
        Assert.Equal(1, Interlocked.Read(ref shop.EventsObserved));

        // A retry of the same event: acknowledged as a duplicate, and counted once, as the store counts it.
        var (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync(a));
        Assert.Equal(200, status);
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(1, Interlocked.Read(ref shop.EventsObserved));

        // A new event before a stored one: the new one is applied (before, the positions were counted from the
        // store's count as if every row were new, so the new one was taken for one the generation had seen).
        (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync($"[{b},{a}]"));
        Assert.Equal(200, status);
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, Interlocked.Read(ref shop.EventsObserved));

        // A row repeated within one batch is stored once and applied once.
        (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync($"[{c},{c}]"));
        Assert.Equal(200, status);
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(3, body.GetProperty("stored").GetInt64());
        Assert.Equal(3, Interlocked.Read(ref shop.EventsObserved));
        Assert.Equal(store.Count, Interlocked.Read(ref shop.EventsObserved));
    }
}
