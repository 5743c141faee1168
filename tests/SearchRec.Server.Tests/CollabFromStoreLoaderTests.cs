using System.Globalization;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>Serving with a new or empty collaborative models folder: the loader trains the models from the event store.</summary>
public sealed class CollabFromStoreLoaderTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(ServiceGeneration Generation, List<string> Progress)> LoadAsync(string collab, SqliteEventStore store, string? ranker = null)
    {
        var progress = new List<string>();
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = collab, RankerPath = ranker, WarmUp = TimeSpan.Zero }, new EventStoreLog(store));
        var generation = await loader.LoadAsync(new ReloadRequest(false), new ListProgress(progress), CancellationToken.None);
        return (generation, progress);
    }

    [Fact]
    public async Task A_new_models_folder_gets_models_trained_from_the_stored_events_and_a_second_load_reads_them()
    {
        var collab = _dir.File("new-collab");
        using var store = new SqliteEventStore(_dir.File("events.db"), new SqliteEventStoreOptions { SynchronousFull = false });
        store.Import(shop.Files.Events);
        var user = long.Parse(File.ReadLines(shop.Files.Events).First().Split(',')[0], CultureInfo.InvariantCulture);

        var (first, progress) = await LoadAsync(collab, store);
        using (first)
        {
            Assert.Contains(progress, m => m.StartsWith($"no collaborative models in {collab}: training them on the store's {store.Count:N0} events", StringComparison.Ordinal));
            Assert.True(CollabModels.Exists(collab));
            Assert.NotEmpty(first.Recommendations.Recommend(user, 5));
            var query = new SearchQuery(shop.Queries[0], null, null, null, null);
            Assert.NotEmpty(first.Search.Rank(query, first.Search.Recall(query), null, 5, explain: false).Hits);
        }
        Assert.Equal(CollabModels.Train(store.ReadAll(), new CollabOptions()).Card.Items, CollabModels.Load(collab).Card.Items);

        var (second, again) = await LoadAsync(collab, store);
        using (second) Assert.DoesNotContain(again, m => m.StartsWith("no collaborative models", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_stored_after_the_models_were_trained_count_again_when_a_new_process_loads_the_models()
    {
        var collab = _dir.File("restart-collab");
        using var store = new SqliteEventStore(_dir.File("restart.db"), new SqliteEventStoreOptions { SynchronousFull = false });
        store.Import(shop.Files.Events);
        var ranker = _dir.File("popularity-ranker");
        var schema = StandardFeatures.ForSearch(new FeatureSources { Collab = CollabModels.Load(shop.CollabPath), Products = _ => null }).Schema;
        RankerStore.Save(new WeightedRanker(schema, ["bm25", "item_popularity"], [1f, 1f]), ranker);
        var query = new SearchQuery(shop.Queries[0], null, null, null, null);
        static float Popularity(ServiceGeneration g, SearchQuery q, string id)
        {
            var candidates = g.Search.Recall(q);
            var hit = g.Search.Rank(q, candidates, null, candidates.Count, explain: true).Hits.Single(h => h.ProductId == id);
            return (float)(hit.Explain!.Single(c => c.Feature == "item_popularity").Value ?? double.NaN);
        }

        string item;
        float before;
        long category;
        var (first, _) = await LoadAsync(collab, store, ranker); // trains the models on every stored event
        using (first)
        {
            item = first.Search.Recall(query)[^1].ProductId;
            before = Popularity(first, query, item);
            category = first.Catalog.CategoryIdOf(first.Catalog.Get(item)!);
        }
        long trainedUntil = CollabModels.Load(collab).Card.LastTimestamp;
        // Bought by 20 shoppers after the training, through a process now gone.
        var buys = Enumerable.Range(1, 20).Select(u => new SearchRec.Core.Events.UserEvent(900_000 + u, long.Parse(item, CultureInfo.InvariantCulture),
            category, SearchRec.Core.Events.Behavior.Buy, trainedUntil + 60 * u)).ToList();
        Assert.Equal(20, store.AppendBatch(buys));

        var (restarted, progress) = await LoadAsync(collab, store, ranker);
        using (restarted)
        {
            Assert.Contains(progress, m => m.StartsWith("applied 20 stored events newer than the collaborative models", StringComparison.Ordinal));
            Assert.True(Popularity(restarted, query, item) > before + 1, $"item {item}: popularity {Popularity(restarted, query, item)} after 20 later buys, {before} before");
            Assert.Equal(store.Count, restarted.EventsSeen);
        }
    }

    [Fact]
    public async Task A_catalog_with_no_events_yet_is_served_from_an_empty_models_folder()
    {
        var collab = _dir.File("empty-collab");
        Directory.CreateDirectory(collab);
        using var store = new SqliteEventStore(_dir.File("no-events.db"), new SqliteEventStoreOptions { SynchronousFull = false });

        var (generation, progress) = await LoadAsync(collab, store);
        using var _ = generation;
        Assert.Contains(progress, m => m.StartsWith($"no collaborative models in {collab}: training them on the store's 0 events", StringComparison.Ordinal));
        var query = new SearchQuery(shop.Queries[0], null, null, null, null);
        Assert.NotEmpty(generation.Search.Rank(query, generation.Search.Recall(query), 42, 5, explain: false).Hits);
        Assert.Empty(generation.Recommendations.Recommend(42, 5));
    }

    [Fact]
    public void A_folder_that_holds_other_files_but_no_models_is_refused_and_left_alone()
    {
        var folder = _dir.File("not-models");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        var options = new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = folder };

        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains($"'{folder}' holds no collaborative models", e.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "notes.txt")));
    }
}
