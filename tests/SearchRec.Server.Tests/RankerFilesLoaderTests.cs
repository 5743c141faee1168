using SearchRec.Collab.Events;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The service's loader with a ranker that reads the files train-ranker writes beside it (--idf, --prior).</summary>
public sealed class RankerFilesLoaderTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A weighted ranker over a schema with the idf and prior groups, saved with both files beside it.
    private string SaveRanker()
    {
        var dir = _dir.File("ranker");
        using var index = ProductIndex.Open(shop.IndexPath);
        var stats = TitleBigramStats.Build(index.Products().Select(p => p.Title));
        var prior = QueryLogPrior.Build(index, shop.Queries);
        var schema = StandardFeatures.ForSearch(new FeatureSources { TitleStats = stats, Prior = prior }).Schema;
        RankerStore.Save(new WeightedRanker(schema, ["bm25", "idf_coverage", "prior_hits"], [1f, 1f, 1f]), dir);
        stats.Save(Path.Combine(dir, TitleBigramStats.FileName));
        prior.Save(Path.Combine(dir, QueryLogPrior.FileName));
        return dir;
    }

    private ShopLoader Loader(string ranker, SqliteEventStore store) => new(new ShopLoaderOptions
    {
        IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = ranker,
    }, new EventStoreLog(store));

    [Fact]
    public async Task A_ranker_trained_with_idf_and_prior_features_is_served_with_the_files_beside_it()
    {
        var ranker = SaveRanker();
        using var store = new SqliteEventStore(_dir.File("events.db"));
        var progress = new List<string>();
        using var generation = await Loader(ranker, store).LoadAsync(new ReloadRequest(false), new ListProgress(progress), CancellationToken.None);
        var query = new SearchQuery(shop.Queries[0], null, null, null, null);
        var ranked = generation.Search.Rank(query, generation.Search.Recall(query), null, 5, explain: true);

        Assert.NotEmpty(ranked.Hits);
        // The service names the prior file it read, as search and eval do.
        Assert.Contains(progress, m => m == $"{ranker}: query-log prior from {Path.GetFullPath(Path.Combine(ranker, QueryLogPrior.FileName))}");
        // The idf column is computed from the saved statistics (a missing source would leave it out or NaN).
        Assert.Contains(ranked.Hits, h => h.Explain!.Any(c => c.Feature == "idf_coverage" && c.Value > 0));
    }

    [Fact]
    public async Task Without_a_deep_folder_option_the_loader_opens_the_towers_named_beside_the_ranker()
    {
        var ranker = _dir.File("deep-ranker");
        Directory.CreateDirectory(ranker);
        foreach (var f in Directory.GetFiles(shop.DeepRankerPath)) File.Copy(f, Path.Combine(ranker, Path.GetFileName(f)));
        SearchRec.Deep.Scoring.DenseModels.WriteEnsemble(Path.Combine(ranker, "deep"), [shop.DeepPath]);
        using var store = new SqliteEventStore(_dir.File("events.db"));
        using var generation = await Loader(ranker, store).LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        var query = new SearchQuery(shop.Queries[0], null, null, null, null);
        var ranked = generation.Search.Rank(query, generation.Search.Recall(query), null, 5, explain: true);

        Assert.NotEmpty(ranked.Hits);
        Assert.Contains(ranked.Hits, h => h.Explain!.Any(c => c.Feature == "deep_query_item" && c.Value != 0));
    }

    [Fact]
    public async Task The_loader_recalls_and_re_ranks_only_its_window()
    {
        using var store = new SqliteEventStore(_dir.File("events.db"));
        var query = new SearchQuery(shop.Queries[0], null, null, null, null);
        var loader = new ShopLoader(new ShopLoaderOptions
        {
            IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = shop.RankerPath, RecallWindow = 3,
        }, new EventStoreLog(store));
        using var generation = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        using var wide = await Loader(shop.RankerPath, store).LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        Assert.True(wide.Search.Recall(query).Count > 3, "the query recalls more than the window, or the test proves nothing");

        var recalled = generation.Search.Recall(query);
        var ranked = generation.Search.Rank(query, recalled, null, 10, explain: false);
        Assert.Equal(3, recalled.Count);
        Assert.Equal(3, ranked.Hits.Count);
    }

    [Fact]
    public async Task A_ranker_whose_prior_file_is_missing_is_refused_naming_the_file()
    {
        var ranker = SaveRanker();
        File.Delete(Path.Combine(ranker, QueryLogPrior.FileName));
        using var store = new SqliteEventStore(_dir.File("events.db"));
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => Loader(ranker, store).LoadAsync(new ReloadRequest(false), null, CancellationToken.None));
        Assert.Contains(QueryLogPrior.FileName, e.Message, StringComparison.Ordinal);
    }
}
