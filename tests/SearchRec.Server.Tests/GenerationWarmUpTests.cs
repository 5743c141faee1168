using SearchRec.Collab.Events;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>What a generation does between loading and serving: reading the catalog in and warming up.</summary>
public sealed class GenerationWarmUpTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(ServiceGeneration Generation, List<string> Progress)> LoadAsync(Action<ShopLoaderOptions> configure)
    {
        var options = new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = shop.RankerPath };
        configure(options);
        var progress = new List<string>();
        using var store = new SqliteEventStore(_dir.File($"events-{Guid.NewGuid():N}.db"));
        var generation = await new ShopLoader(options, new EventStoreLog(store))
            .LoadAsync(new ReloadRequest(false), new ListProgress(progress), CancellationToken.None);
        return (generation, progress);
    }

    [Fact]
    public async Task A_catalog_that_fits_the_product_cache_is_in_memory_before_the_generation_serves()
    {
        var (generation, progress) = await LoadAsync(o => o.WarmUp = TimeSpan.Zero);
        using var _ = generation;
        var catalog = Assert.IsType<IndexCatalog>(generation.Catalog);

        Assert.Equal(catalog.Count, catalog.Products.Cached);
        Assert.Contains(progress, m => m.StartsWith($"read {catalog.Count:N0} products into memory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_catalog_larger_than_the_product_cache_is_left_to_fill_with_what_requests_touch()
    {
        var (generation, progress) = await LoadAsync(o => { o.WarmUp = TimeSpan.Zero; o.ProductCacheSize = 3; });
        using var _ = generation;
        var catalog = Assert.IsType<IndexCatalog>(generation.Catalog);
        Assert.Equal(0, catalog.Products.Cached);
        Assert.DoesNotContain(progress, m => m.Contains("into memory", StringComparison.Ordinal));

        var query = new SearchQuery(shop.Queries[0], null, null, null, null);
        Assert.NotEmpty(generation.Search.Rank(query, generation.Search.Recall(query), null, 5, explain: false).Hits);
        Assert.Equal(3, catalog.Products.Cached);
    }

    [Fact]
    public async Task A_reload_over_the_same_index_files_keeps_the_products_and_a_rewritten_index_is_read_again()
    {
        var indexCopy = _dir.File("index-copy");
        Directory.CreateDirectory(indexCopy);
        foreach (var f in Directory.GetFiles(shop.IndexPath)) File.Copy(f, Path.Combine(indexCopy, Path.GetFileName(f)));
        using var store = new SqliteEventStore(_dir.File("events-reload.db"));
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = indexCopy, CollabModelsPath = shop.CollabPath, WarmUp = TimeSpan.Zero }, new EventStoreLog(store));

        async Task<(int Cached, List<string> Progress)> Load()
        {
            var progress = new List<string>();
            using var g = await loader.LoadAsync(new ReloadRequest(false), new ListProgress(progress), CancellationToken.None);
            return (((IndexCatalog)g.Catalog).Products.Cached, progress);
        }

        var first = await Load();
        var second = await Load();
        File.SetLastWriteTimeUtc(Directory.GetFiles(indexCopy)[0], DateTime.UtcNow.AddMinutes(1));
        var third = await Load();

        Assert.Contains(first.Progress, m => m.StartsWith("read ", StringComparison.Ordinal));
        Assert.Contains(second.Progress, m => m.StartsWith($"kept {first.Cached:N0} products", StringComparison.Ordinal));
        Assert.Contains(third.Progress, m => m.StartsWith("read ", StringComparison.Ordinal));
        Assert.All(new[] { second.Cached, third.Cached }, n => Assert.Equal(first.Cached, n));
    }

    [Fact]
    public async Task The_loader_warms_a_generation_up_fully_at_start_and_briefly_at_a_reload_and_says_so()
    {
        using var store = new SqliteEventStore(_dir.File("events-warm.db"));
        var loader = new ShopLoader(new ShopLoaderOptions
        {
            IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = shop.RankerPath, WarmUp = TimeSpan.FromMinutes(1),
        }, new EventStoreLog(store));
        var lines = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            using var g = await loader.LoadAsync(new ReloadRequest(false), new ListProgress(lines), CancellationToken.None);
        }

        var warm = lines.Where(m => m.StartsWith("warmed up with", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warm.Count);
        Assert.StartsWith($"warmed up with {ShopLoader.WarmUpRounds:N0} searches", warm[0], StringComparison.Ordinal);
        Assert.StartsWith($"warmed up with {ShopLoader.ReloadWarmUpRounds:N0} searches", warm[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warm_up_runs_every_kind_of_read_and_stores_no_event()
    {
        var log = new MemoryEventLog();
        using var generation = await new FakeLoader(log).LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        var fake = Assert.IsType<FakeShop>(generation.Catalog);

        var report = GenerationWarmUp.Run(generation, TimeSpan.FromMinutes(1), maxRounds: 40, CancellationToken.None);

        Assert.Equal(40, report.Searches);
        Assert.Equal(40, fake.Recalls);
        Assert.Equal(40, fake.Ranks);
        Assert.Equal(10, report.Similar);
        Assert.True(report.Feeds > 0);
        Assert.Equal(0, log.Count);
        Assert.Equal(0, fake.EventsObserved);
    }

    [Fact]
    public async Task Warm_up_with_no_time_does_nothing()
    {
        using var generation = await new FakeLoader(new MemoryEventLog()).LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        var report = GenerationWarmUp.Run(generation, TimeSpan.Zero, maxRounds: 40, CancellationToken.None);

        Assert.Equal(0, report.Searches + report.Similar + report.Feeds);
        Assert.Equal(0, ((FakeShop)generation.Catalog).Recalls);
    }

    [Theory]
    [InlineData(0, 2, 50, "ProductCacheSize")]
    [InlineData(100, -1, 50, "WarmUp")]
    [InlineData(100, 2, 0, "FeatureLogDepth")]
    public void Bad_cache_warm_up_or_log_settings_are_refused_naming_the_setting(int cacheSize, int warmUpSeconds, int logDepth, string name)
    {
        var options = new ShopLoaderOptions
        {
            IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath,
            ProductCacheSize = cacheSize, WarmUp = TimeSpan.FromSeconds(warmUpSeconds), FeatureLogDepth = logDepth,
        };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }
}
