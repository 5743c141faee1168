using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using SearchRec.Text;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The service's loader with a tower-averaged LambdaMART (kinds lambdamart-towers and lambdamart-towers-stack) and the towers it names.</summary>
public sealed class TowerAveragedLoaderTests : IDisposable
{
    private static readonly Product[] Catalog = TinyCatalog.Products;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A tiny text tower over the catalog at a tower seed.
    private string Tower(string name, int seed)
    {
        var dir = _dir.File(name);
        DeepTraining.TrainText(Catalog, [], dir, new DeepTrainingOptions { Seed = seed, TextEpochs = 1, Threads = 1, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8 });
        return dir;
    }

    [Theory]
    [InlineData("lambdamart-towers")]
    [InlineData("lambdamart-towers-stack")]
    [InlineData("lambdamart-towers-transfer")]
    public async Task The_service_loader_serves_a_tower_ranker_and_refuses_its_towers_in_another_order(string combiner)
    {
        string[] towerDirs = [Tower("t-s1", 1), Tower("t-s7", 7)];
        var index = _dir.File("index");
        using (var built = ProductIndex.Build(Catalog, new IndexOptions(), index))
        using (var towers = TowerSet.Open(Path.GetDirectoryName(DenseModels.WriteEnsemble(_dir.File("train/deep"), towerDirs))!))
        {
            var extractor = StandardFeatures.ForSearch(new FeatureSources { DeepTowers = towers });
            var (judged, qrels) = TinyCatalog.Repeat(24);
            var queries = judged.Select(q => new JudgedQuery(q.Id, q.Text, null)).ToList();
            var data = SearchTrainingData.Build(built, new ChineseTokenizer(), extractor, queries, qrels, 50);
            var kind = RankerTrainingOptions.ParseKind(combiner);
            var (model, _) = RankerTrainer.Train(data, new RankerTrainingOptions
            {
                Kind = kind, LambdaMart = new LambdaMartOptions { Trees = 50 }, Towers = towers.Info(),
                Transfer = kind == CombinerKind.LambdaMartTowersTransfer ? LambdaMartTrainer.Train(data, new LambdaMartOptions { Trees = 10 }).Model : null,
            });
            Assert.Equal(combiner, model.Kind);
            RankerStore.Save(model, _dir.File("ranker"));
        }
        using var store = new SqliteEventStore(_dir.File("events.db"));
        for (var u = 1; u <= 4; u++)
            for (var i = 1; i <= 6; i++) store.Append(new UserEvent(u, i, 1, Behavior.View, 1_700_000_000 + u * 100 + i));
        var collab = _dir.File("collab");
        CollabModels.Train(store.ReadAll(), new CollabOptions { SkipAls = true, Threads = 1 }).Save(collab);
        var log = new EventStoreLog(store);
        ShopLoader Loader(string deep) => new(new ShopLoaderOptions
        {
            IndexPath = index, CollabModelsPath = collab, RankerPath = _dir.File("ranker"), DeepModelsPath = deep,
        }, log);

        var inOrder = Path.GetDirectoryName(DenseModels.WriteEnsemble(_dir.File("svc/deep"), towerDirs))!;
        using (var generation = await Loader(inOrder).LoadAsync(new ReloadRequest(false), null, CancellationToken.None))
        {
            var query = new SearchQuery("黑色 手机", null, null, null, null);
            var ranked = generation.Search.Rank(query, generation.Search.Recall(query), null, 3, explain: false);
            Assert.NotEmpty(ranked.Hits);
            for (var i = 1; i < ranked.Hits.Count; i++) Assert.True(ranked.Hits[i - 1].Score >= ranked.Hits[i].Score);
        }
        var swapped = Path.GetDirectoryName(DenseModels.WriteEnsemble(_dir.File("swapped/deep"), [towerDirs[1], towerDirs[0]]))!;
        var e = await Assert.ThrowsAsync<RankerSchemaMismatchException>(() => Loader(swapped).LoadAsync(new ReloadRequest(false), null, CancellationToken.None));
        Assert.Contains("another order", e.Message, StringComparison.Ordinal);
    }
}
