using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class TowerEnsembleFeatureTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A tiny text tower over `catalog` at a tower seed, in <temp>/<name>.
    private string Tower(string name, int seed, IReadOnlyList<SearchRec.Core.Product>? catalog = null)
    {
        var dir = _dir.File(name);
        DeepTraining.TrainText(catalog ?? Fixtures.Catalog, [], dir,
            new DeepTrainingOptions { Seed = seed, TextEpochs = 1, Threads = 1, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8 });
        return dir;
    }

    // <temp>/<name>/deep/ensemble.json naming the members relative to it.
    private string EnsembleModels(string name, params string[] members)
    {
        var deep = Path.Combine(_dir.File(name), "deep");
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, DenseModels.EnsembleFile),
            "{ \"members\": [" + string.Join(", ", members.Select(m => "\"" + m + "\"")) + "] }");
        return _dir.File(name);
    }

    private static FeatureSchema DeepSchema(string towerDir)
    {
        using var one = DeepScorer.Open(towerDir);
        return new FeatureExtractor([new RecallFeatures(), new TextFeatures(), new DeepFeatures(one, null)]).Schema;
    }

    [Fact]
    public void An_ensemble_models_folder_gives_the_deep_feature_as_the_mean_of_its_members_cosines()
    {
        string[] towers = [Tower("deep-s1", 1), Tower("deep-s7", 7), Tower("deep-s42", 42)];
        var models = EnsembleModels("models", "../../deep-s1", "../../deep-s7", "../../deep-s42");
        Assert.Equal(Path.Combine(models, "deep"), ModelLocations.Deep(models));

        var sources = ModelLocations.LoadSources(models, DeepSchema(towers[0]), id => Fixtures.Catalog.FirstOrDefault(p => p.Id == id));
        var ensemble = Assert.IsType<TowerEnsemble>(sources.DeepText);
        Assert.Equal(towers.Select(Path.GetFullPath), ensemble.MemberNames);
        Assert.Contains("deep-s7", DenseModels.Describe(ensemble), StringComparison.Ordinal);

        var extractor = StandardFeatures.ForSchema(DeepSchema(towers[0]), sources);
        const string query = "黑色 手机";
        var data = SearchTrainingData.Build(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), extractor,
            [new JudgedQuery("q", query, null)], new Dictionary<string, Dictionary<string, int>> { ["q"] = new() { ["1"] = 1 } }, 50);
        Assert.True(data.Rows >= 3);
        var members = towers.Select(t => DeepScorer.Open(t)).ToArray();
        try
        {
            var perMember = members.Select(m => m.Score(query, data.Items)).ToArray();
            var expected = Enumerable.Range(0, data.Rows).Select(r => perMember.Average(s => (double)s[r])).ToArray();
            var col = extractor.Schema.IndexOf("deep_query_item");
            var rel = extractor.Schema.IndexOf("deep_query_item_rel");
            for (var r = 0; r < data.Rows; r++)
            {
                Assert.Equal(expected[r], data.Row(r)[col], 4);
                Assert.Equal(expected[r] - expected.Max(), data.Row(r)[rel], 4);
                Assert.Equal(1f, data.Row(r)[extractor.Schema.IndexOf("has_deep_item")]);
            }
            // Not just one member's score: the members disagree somewhere.
            Assert.Contains(Enumerable.Range(0, data.Rows), r => Math.Abs(perMember[0][r] - perMember[1][r]) > 1e-3);
        }
        finally
        {
            foreach (var m in members) m.Dispose();
            ensemble.Dispose();
        }
    }

    [Fact]
    public void An_ensemble_member_that_does_not_exist_is_refused_naming_it()
    {
        var tower = Tower("deep-s1", 1);
        var models = EnsembleModels("models", "../../deep-s1", "../../deep-missing");
        var e = Assert.Throws<InvalidDataException>(() => ModelLocations.LoadSources(models, DeepSchema(tower), _ => null));
        Assert.Contains("deep-missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("deep-model.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ensemble_member_trained_on_another_catalog_is_refused_naming_it()
    {
        var tower = Tower("deep-s1", 1);
        Tower("deep-other", 2, Fixtures.Catalog.Take(4).ToArray());
        var models = EnsembleModels("models", "../../deep-s1", "../../deep-other");
        var e = Assert.Throws<InvalidDataException>(() => ModelLocations.LoadSources(models, DeepSchema(tower), _ => null));
        Assert.Contains("deep-other", e.Message, StringComparison.Ordinal);
        Assert.Contains("same catalog", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_ensemble_file_is_refused_naming_the_file()
    {
        var tower = Tower("deep-s1", 1);
        var models = EnsembleModels("models");
        var e = Assert.Throws<InvalidDataException>(() => ModelLocations.LoadSources(models, DeepSchema(tower), _ => null));
        Assert.Contains(DenseModels.EnsembleFile, e.Message, StringComparison.Ordinal);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_tower_folder_still_opens_as_one_tower()
    {
        var tower = Tower("deep-s1", 1);
        var sources = ModelLocations.LoadSources(tower, DeepSchema(tower), id => Fixtures.Catalog.FirstOrDefault(p => p.Id == id));
        using var one = Assert.IsType<DeepScorer>(sources.DeepText);
        Assert.StartsWith("one tower", DenseModels.Describe(one), StringComparison.Ordinal);
    }
    [Fact]
    public void Lambdamart_towers_scores_each_candidate_by_the_mean_of_one_lambdamart_per_tower()
    {
        string[] towers = [Tower("t-s1", 1), Tower("t-s7", 7)];
        var models = EnsembleModels("towers-models", "../../t-s1", "../../t-s7");
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        var queries = new List<EvalQuery>();
        var qrels = new Qrels();
        for (var i = 0; i < 20; i++)
        {
            var (text, doc) = (i % 2) switch { 0 => ("黑色 手机", "1"), _ => ("碎花 连衣裙", "6") };
            queries.Add(new EvalQuery("q" + i, text));
            qrels.Set("q" + i, doc, 1);
        }
        EvalContext Context(string dir) => new(new FakeRecall(Fixtures.Catalog), Fixtures.Catalog, queries, qrels) { Seed = 3, ModelsDirectory = dir };

        var averaged = registry.Train("lambdamart-towers", Context(models), queries).Rank("q0", "黑色 手机", 50);
        var members = towers.Select(t => registry.Train("lambdamart", Context(t), queries).Rank("q0", "黑色 手机", 50).ToDictionary(x => x.DocId, x => x.Score)).ToArray();

        Assert.True(averaged.Count >= 3);
        foreach (var (doc, score) in averaged) Assert.Equal((members[0][doc] + members[1][doc]) / 2, score, 4);
        // The two towers give different models, so the mean is not just one member's score.
        Assert.Contains(averaged, x => Math.Abs(members[0][x.DocId] - members[1][x.DocId]) > 1e-4);

        var e = Assert.Throws<ArgumentException>(() => registry.Train("lambdamart-towers", Context(towers[0]), queries));
        Assert.Contains("ensemble.json", e.Message, StringComparison.Ordinal);

        // Round 12's variant runs the same members over two more (linear-stack) columns.
        var stackRanker = registry.Train("lambdamart-towers-stack", Context(models), queries);
        var stacked = stackRanker.Rank("q0", "黑色 手机", 50);
        Assert.Equal(averaged.Select(x => x.DocId).Order(), stacked.Select(x => x.DocId).Order());
        Assert.Equal("1", stacked[0].DocId);
        // The report's importance table names the stack columns the trees split on.
        var report = Assert.Single(((IReportSectionSource)stackRanker).GetReportSections());
        Assert.Contains("stack_linear", report.Html, StringComparison.Ordinal);
    }
}
