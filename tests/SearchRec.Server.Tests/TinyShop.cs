using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Index;
using SearchRec.Server.Adapters;
using SearchRec.Synthetic;
using SearchRec.Testing;

namespace SearchRec.Server.Tests;

/// <summary>
/// A generated shop with everything the real stages need: index, SQLite event store, collaborative models.
/// Built once per test class (xunit class fixture) in a temp folder.
/// </summary>
public sealed class TinyShop : IDisposable
{
    private readonly TempDir _dir = new();

    public TinyShop()
    {
        var gen = new ShopGenerator(new ShopOptions { Products = 600, Users = 60, SessionsPerUser = 6, Seed = 7 });
        Files = gen.Write(_dir.File("shop"));
        IndexPath = _dir.File("index");
        using (ProductIndex.Build(gen.Products(), new IndexOptions(), IndexPath)) { }
        EventsPath = _dir.File("events.db");
        using (var store = new SqliteEventStore(EventsPath, new SqliteEventStoreOptions { SynchronousFull = false }))
        {
            store.Import(Files.Events);
            CollabPath = _dir.File("collab");
            CollabModels.Train(store.ReadAll(), new CollabOptions { SkipAls = true, Threads = 1 }).Save(CollabPath);
        }
        RankerPath = _dir.File("ranker");
        var schema = SearchRec.Ranking.Features.StandardFeatures.ForSearch().Schema;
        SearchRec.Ranking.Models.RankerStore.Save(new SearchRec.Ranking.Models.WeightedRanker(schema, ["bm25", "bm25_title"], [1f, 0.5f]), RankerPath);
        DeepPath = _dir.File("deep");
        SearchRec.Deep.Training.DeepTraining.TrainText(gen.Products().ToList(), [], DeepPath,
            new SearchRec.Deep.Training.DeepTrainingOptions { TextEpochs = 1, Threads = 1 });
        using (var deep = SearchRec.Deep.Scoring.DeepScorer.Open(DeepPath))
        {
            var deepSchema = SearchRec.Ranking.Features.StandardFeatures.ForSearch(new SearchRec.Ranking.Features.FeatureSources { DeepText = deep }).Schema;
            DeepRankerPath = _dir.File("ranker-deep");
            SearchRec.Ranking.Models.RankerStore.Save(new SearchRec.Ranking.Models.WeightedRanker(deepSchema, ["bm25", "deep_query_item"], [1f, 1f]), DeepRankerPath);
        }
        // Close pooled connections so the WAL is checkpointed into the file the tests copy.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Queries = File.ReadLines(Files.Queries).Select(l => l.Split('\t')[1]).Take(20).ToList();
    }

    public ShopFiles Files { get; }

    /// <summary>The shop's catalog as written (read anew each call, so a test may change its copy).</summary>
    public List<Core.Product> Products() =>
        File.ReadLines(Files.Catalog).Select(l => Core.Catalog.CatalogReader.ParseJson(l, out var _)!).ToList();

    /// <summary>The most common leaf category all of whose characters have a pinyin reading, at least <paramref name="minLength"/> long.</summary>
    public string CommonChineseLeaf(int minLength = 1) =>
        Products().GroupBy(p => p.Category[^1]).OrderByDescending(g => g.Count()).Select(g => g.Key)
            .First(c => c.Length >= minLength && c.All(ch => !Text.Pinyin.ReadingsOf(ch).IsEmpty));
    public string IndexPath { get; }
    public string EventsPath { get; }
    public string CollabPath { get; } = "";
    public IReadOnlyList<string> Queries { get; }
    public string RankerPath { get; }
    public string DeepPath { get; }
    public string DeepRankerPath { get; } = "";

    /// <summary>Starts a service over a private copy of the event store (so tests do not see each other's events).</summary>
    internal async Task<(TestServer Server, SqliteEventStore Store)> StartAsync(Action<ServerOptions>? configure = null, bool withRanker = false, bool withDeepRanker = false,
        SearchRec.Ranking.Logging.IFeatureLogger? featureLogger = null, bool logAllFeatures = false, string? rankerPath = null, string? feedRankerPath = null,
        Action<string>? collabCopied = null, string? indexPath = null, string? suggestLogPath = null, int? recallWindow = null,
        Action<ShopLoaderOptions>? configureLoader = null)
    {
        var copy = _dir.File($"events-{Guid.NewGuid():N}.db");
        File.Copy(EventsPath, copy);
        var store = new SqliteEventStore(copy, new SqliteEventStoreOptions { SynchronousFull = false });
        var log = new EventStoreLog(store);
        var collabCopy = _dir.File($"collab-{Guid.NewGuid():N}");
        Directory.CreateDirectory(collabCopy);
        foreach (var f in Directory.GetFiles(CollabPath)) File.Copy(f, Path.Combine(collabCopy, Path.GetFileName(f)));
        collabCopied?.Invoke(collabCopy);
        var loaderOptions = new ShopLoaderOptions
        {
            IndexPath = indexPath ?? IndexPath, SuggestLogPath = suggestLogPath, CollabModelsPath = collabCopy, QueriesPath = Files.Queries, RankerPath = rankerPath ?? (withDeepRanker ? DeepRankerPath : withRanker ? RankerPath : null),
            DeepModelsPath = withDeepRanker ? DeepPath : null,
            WarmUp = TimeSpan.FromMilliseconds(100), // through the warm-up path, briefly (GenerationWarmUpTests pin what it does)
            FeatureLogger = featureLogger,
            LogAllFeatures = logAllFeatures,
            FeedRankerPath = feedRankerPath,
            RecallWindow = recallWindow ?? new ShopLoaderOptions().RecallWindow,
        };
        configureLoader?.Invoke(loaderOptions);
        var loader = new ShopLoader(loaderOptions, log);
        var server = await TestServer.StartAsync(loader, log, configure);
        return (server, store);
    }

    /// <summary>A private copy of the index, for tests that change it.</summary>
    public string CopyIndex()
    {
        var copy = _dir.File($"index-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(IndexPath)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        return copy;
    }

    public void Dispose() => _dir.Dispose();
}
