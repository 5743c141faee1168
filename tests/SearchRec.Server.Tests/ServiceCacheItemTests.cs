using Microsoft.Extensions.Logging.Abstractions;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>
/// Item records read from the cache: a hit is read without a GetOrSet (ServiceCache.ItemAsync), which must still
/// miss where GetOrSet would recompute: after an event drops the item's entries, after the entry's duration.
/// </summary>
public sealed class ServiceCacheItemTests
{
    [Fact]
    public async Task An_item_record_dropped_by_an_event_is_read_from_the_catalog_again()
    {
        using var rig = new Rig(new ServerOptions());
        var (cache, shop, gen) = (rig.Cache, rig.Shop, rig.Generation);

        Assert.Equal("first", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);
        shop.Title = "second";
        Assert.Equal("first", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);   // cached
        Assert.Equal("first", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);   // a hit again

        await cache.InvalidateAsync([new UserEvent(1, 7, 1, Behavior.View, 1_700_000_000)], CancellationToken.None);
        Assert.Equal("second", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);
        Assert.Equal("second", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);
        Assert.Equal(2, shop.Gets);
    }

    [Fact]
    public async Task An_expired_item_record_is_not_served_stale_when_the_catalog_answers()
    {
        // Fail-safe keeps the expired entry for the hour, for a factory that fails: this one does not.
        using var rig = new Rig(new ServerOptions { CacheDuration = TimeSpan.FromMilliseconds(100) });
        var (cache, shop, gen) = (rig.Cache, rig.Shop, rig.Generation);

        Assert.Equal("first", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);
        shop.Title = "second";
        await Task.Delay(400);
        Assert.Equal("second", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Title);
    }

    [Fact]
    public async Task An_unknown_item_is_remembered_as_unknown_and_a_known_one_is_not_mixed_up_with_it()
    {
        using var rig = new Rig(new ServerOptions());
        var (cache, shop, gen) = (rig.Cache, rig.Shop, rig.Generation);

        for (int i = 0; i < 2; i++)
        {
            Assert.Null(await cache.ItemAsync(gen, "8", CancellationToken.None));
            Assert.Equal("7", (await cache.ItemAsync(gen, "7", CancellationToken.None))!.Id);
        }
        Assert.Equal(2, shop.Gets);
    }

    /// <summary>A service cache over one generation of a <see cref="TitledShop"/>, with what it owns.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly IDisposable _fusion;
        private readonly ServerMetrics _metrics = new();

        public Rig(ServerOptions options)
        {
            var fusion = SearchRecServer.CreateCache(options, NullLoggerFactory.Instance);
            _fusion = fusion;
            Cache = new ServiceCache(fusion, _metrics, options);
            Generation = new("g1", Shop, Shop, Shop, Shop, Shop, 0, new ShopSamples([], [], []));
        }

        public ServiceCache Cache { get; }
        public TitledShop Shop { get; } = new();
        public ServiceGeneration Generation { get; }

        public void Dispose()
        {
            Generation.Dispose();
            _metrics.Dispose();
            _fusion.Dispose();
        }
    }

    /// <summary>One product, id 7, whose title can change; counts look-ups.</summary>
    private sealed class TitledShop : ICatalog, ISearchBackend, ISimilarBackend, IRecommendationBackend, IEventObserver
    {
        private int _gets;
        public volatile string Title = "first";
        public int Gets => Volatile.Read(ref _gets);
        public int Count => 1;
        public Product? Get(string productId)
        {
            Interlocked.Increment(ref _gets);
            return productId == "7" ? Product.Of("7", Title) : null;
        }
        public long CategoryIdOf(Product product) => 1;
        public IReadOnlyList<RecallCandidate> Recall(SearchQuery query) => [];
        public RankResult Rank(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain) => new([], []);
        public IReadOnlyList<ScoredItem> Similar(string productId, long? userId, int k) => [];
        public IReadOnlyList<ScoredItem> Recommend(long userId, int k) => [];
        public void Observe(UserEvent userEvent) { }
    }
}
