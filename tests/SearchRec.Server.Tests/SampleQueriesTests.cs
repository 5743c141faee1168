using SearchRec.Core;
using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Server.Adapters;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The example queries a service offers when it was given no queries file.</summary>
public sealed class SampleQueriesTests(TinyShop shop) : IClassFixture<TinyShop>
{
    [Fact]
    public async Task A_service_given_no_queries_file_offers_its_catalogs_leaf_categories_and_one_given_a_file_its_queries()
    {
        using var dir = new SearchRec.Testing.TempDir();
        using var store = new SearchRec.Collab.Events.SqliteEventStore(dir.File("events.db"));
        ShopSamples? last = null;
        async Task<IReadOnlyList<string>> Samples(string? queries)
        {
            var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, QueriesPath = queries, WarmUp = TimeSpan.Zero }, new EventStoreLog(store));
            using var g = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
            last = g.Samples;
            return g.Samples.Queries;
        }

        using var index = ProductIndex.Open(shop.IndexPath);
        var categories = (await Samples(null)).ToList();
        Assert.NotEmpty(categories);
        Assert.Equal(ShopLoader.CategoryQueries(index.Products()), categories);
        Assert.Equal(shop.Queries.Take(5), (await Samples(shop.Files.Queries)).Take(5));
        // Sample items are spread over the catalog, which the index keeps sorted by category.
        var sampledCategories = last!.ItemIds.Select(id => index.GetProduct(id)!.CategoryPath).Distinct().Count();
        var firstCategories = index.Products().Take(last.ItemIds.Count).Select(p => p.CategoryPath).Distinct().Count();
        Assert.True(sampledCategories > firstCategories, $"{sampledCategories} categories among the sample items, {firstCategories} among the first ones");
    }

    [Fact]
    public async Task A_qrels_file_given_as_the_queries_file_is_refused_naming_its_line()
    {
        using var dir = new SearchRec.Testing.TempDir();
        using var store = new SearchRec.Collab.Events.SqliteEventStore(dir.File("events.db"));
        var qrels = dir.Write("qrels.tsv", "# judged\n200000 0 9198 1\n200000 0 3882 0\n");
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, QueriesPath = qrels, WarmUp = TimeSpan.Zero }, new EventStoreLog(store));

        var e = await Assert.ThrowsAsync<SearchRec.Core.Judgments.JudgmentFormatException>(() => loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None));
        Assert.Equal(2, e.Line);
        Assert.Contains("qid<TAB>query", e.Message, StringComparison.Ordinal);
    }

    private static Product P(string id, params string[] category) =>
        new(id, "标题 " + id, null, category, new Dictionary<string, IReadOnlyList<string>>(), null);

    [Fact]
    public void Without_a_queries_file_the_samples_are_the_most_common_leaf_categories()
    {
        using var index = ProductIndex.Build(
            [P("1", "女装", "连衣裙"), P("2", "女装", "连衣裙"), P("3", "数码", "充电宝"), P("4", "女装", "连衣裙"), P("5", "数码", "充电宝"), P("6", "数码", "耳机"), P("7")],
            new IndexOptions());

        Assert.Equal(["连衣裙", "充电宝", "耳机"], ShopLoader.CategoryQueries(index.Products()));
        Assert.Equal(["连衣裙"], ShopLoader.CategoryQueries(index.Products(), take: 1));
    }

    [Fact]
    public void A_catalog_built_from_an_event_log_or_without_categories_offers_none()
    {
        using var fromEvents = ProductIndex.Build(EventCatalog.Build([new UserEvent(1, 10, 4756105, Behavior.View, 100)]), new IndexOptions());
        using var titlesOnly = ProductIndex.Build([Product.Of("1", "连衣裙 夏")], new IndexOptions());

        Assert.Empty(ShopLoader.CategoryQueries(fromEvents.Products()));
        Assert.Empty(ShopLoader.CategoryQueries(titlesOnly.Products()));
    }
}
