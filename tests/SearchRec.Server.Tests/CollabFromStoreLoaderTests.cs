using System.Globalization;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>Serving with a new or empty collaborative models folder: the loader trains the models from the event store.</summary>
public sealed class CollabFromStoreLoaderTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(ServiceGeneration Generation, List<string> Progress)> LoadAsync(string collab, SqliteEventStore store)
    {
        var progress = new List<string>();
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = collab, WarmUp = TimeSpan.Zero }, new EventStoreLog(store));
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
