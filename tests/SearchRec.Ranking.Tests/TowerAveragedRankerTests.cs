using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

/// <summary>The deployable tower-averaged LambdaMART (kind lambdamart-towers): training, saving, loading, serving.</summary>
public sealed class TowerAveragedRankerTests : IDisposable
{
    private static readonly LambdaMartOptions Small = new() { Trees = 50 };

    private static readonly (string Text, string Doc)[] Judged = TinyCatalog.Judged;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A tiny text tower over the fixture catalog at a tower seed, in <temp>/<name>.
    private string Tower(string name, int seed)
    {
        var dir = _dir.File(name);
        if (!Directory.Exists(dir))
            DeepTraining.TrainText(Fixtures.Catalog, [], dir,
                new DeepTrainingOptions { Seed = seed, TextEpochs = 1, Threads = 1, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8 });
        return dir;
    }

    // <temp>/<name> holding deep/ensemble.json that names the given tower folders (relative to it).
    private string Models(string name, params string[] towers)
    {
        DenseModels.WriteEnsemble(Path.Combine(_dir.File(name), "deep"), towers);
        return _dir.File(name);
    }

    private static RankingDataset Data(FeatureExtractor extractor)
    {
        var (queries, qrels) = TinyCatalog.Repeat(24);
        return SearchTrainingData.Build(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), extractor,
            queries.Select(q => new JudgedQuery(q.Id, q.Text, null)).ToList(), qrels, 50);
    }

    private static float[] Scores(IRankerModel model, RankingDataset data)
    {
        var scores = new float[data.Rows];
        model.Score(data.Features, data.Rows, scores);
        return scores;
    }

    // Two towers, the averaged ranker trained over both, and the data it was trained on.
    private (TowerSet Towers, TowerAveragedRanker Model, RankingDataset Data, string[] TowerDirs) Trained()
    {
        string[] dirs = [Tower("t-s1", 1), Tower("t-s7", 7)];
        var towers = TowerSet.Open(Path.Combine(Models("train", dirs), "deep"));
        var data = Data(StandardFeatures.ForSearch(new FeatureSources { DeepTowers = towers }));
        var (model, _) = TowerAveragedTrainer.Train(data, Small, towers.Info());
        return (towers, model, data, dirs);
    }

    [Fact]
    public void The_tower_averaged_ranker_scores_each_candidate_by_the_mean_of_the_per_tower_lambdamarts()
    {
        var (towers, model, data, dirs) = Trained();
        using var _ = towers;
        Assert.Equal(TowerAveragedRanker.KindName, model.Kind);
        Assert.Equal(2, TowerDeepFeatures.TowerCount(model.Schema));
        var averaged = Scores(model, data);

        // Each member alone: a plain LambdaMART trained with one tower's single-tower deep feature.
        var single = new float[dirs.Length][];
        for (var k = 0; k < dirs.Length; k++)
        {
            using var one = DeepScorer.Open(dirs[k]);
            var extractor = StandardFeatures.ForSearch(new FeatureSources { DeepText = one });
            var oneData = Data(extractor);
            Assert.Equal(extractor.Schema, TowerAveragedTrainer.MemberView(data, k).Schema);
            Assert.Equal(data.Items, oneData.Items);
            single[k] = Scores(LambdaMartTrainer.Train(oneData, Small).Model, oneData);
        }
        for (var r = 0; r < data.Rows; r++) Assert.Equal((single[0][r] + single[1][r]) / 2, averaged[r], 5);
        // The towers give different models, so the mean is not just one member's score.
        Assert.Contains(Enumerable.Range(0, data.Rows), r => Math.Abs(single[0][r] - single[1][r]) > 1e-4);
    }

    [Fact]
    public void Each_towers_term_score_is_its_own_column_and_member_k_reads_tower_ks_as_deep_terms()
    {
        string[] dirs = [Tower("t-s1", 1), Tower("t-s7", 7)];
        using var towers = TowerSet.Open(Path.Combine(Models("terms", dirs), "deep"));
        var terms = towers.Scorers.Select(t => new TermMatchScorer(t)).ToArray();
        var extractor = StandardFeatures.ForSearch(new FeatureSources { DeepTowers = towers, DeepTermTowers = terms });
        Assert.True(extractor.Schema.IndexOf("deep_terms#1") >= 0 && extractor.Schema.IndexOf("deep_terms#2") >= 0);
        var data = Data(extractor);
        var member = TowerAveragedTrainer.MemberView(data, 1);
        Assert.True(member.Schema.IndexOf("deep_terms") >= 0);
        Assert.True(member.Schema.IndexOf("deep_terms#1") < 0 && member.Schema.IndexOf("deep_terms#2") < 0);
        // The member's column is tower 2's score, row for row.
        var combined = data.Schema.IndexOf("deep_terms#2");
        var own = member.Schema.IndexOf("deep_terms");
        for (var r = 0; r < data.Rows; r++)
            Assert.Equal(data.Features[r * data.Schema.Count + combined], member.Features[r * member.Schema.Count + own]);
        // A saved ranker that reads them is refused without the term scorers.
        var e = Assert.Throws<ArgumentException>(() => StandardFeatures.ForSchema(extractor.Schema, new FeatureSources { DeepTowers = towers }));
        Assert.Contains("deep_terms#k", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tower_averaged_ranker_round_trips_through_the_ranker_store_with_identical_scores()
    {
        var (towers, model, data, _) = Trained();
        using var __ = towers;
        var dir = _dir.File("saved");
        RankerStore.Save(model, dir);
        var loaded = Assert.IsType<TowerAveragedRanker>(RankerStore.Load(dir, model.Schema));
        Assert.Equal(model.Towers, loaded.Towers);
        Assert.Equal(Scores(model, data), Scores(loaded, data));
        Assert.Contains("\"kind\":\"lambdamart-towers\"", File.ReadAllText(Path.Combine(dir, RankerStore.ModelFile)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_stacked_tower_ranker_round_trips_serves_and_is_checked_against_its_towers(bool transfer)
    {
        var (towers, _, data, dirs) = Trained();
        var options = new RankerTrainingOptions { Kind = CombinerKind.LambdaMartTowersStack, LambdaMart = Small, Towers = towers.Info() };
        if (transfer)
        {
            // Any model over the same features serves as the transfer model here; its judgments are beside the point.
            options.Kind = CombinerKind.LambdaMartTowersTransfer;
            options.Transfer = LambdaMartTrainer.Train(data, new LambdaMartOptions { Trees = 10 }).Model;
        }
        var (trained, importance) = RankerTrainer.Train(data, options);
        towers.Dispose();
        var model = Assert.IsType<StackedRanker>(trained);
        var kind = transfer ? "lambdamart-towers-transfer" : "lambdamart-towers-stack";
        var columns = transfer ? StackColumns.Transfer : StackColumns.Linear;
        Assert.Equal(kind, model.Kind);
        Assert.Equal(columns, model.Columns);
        Assert.IsType<TowerAveragedRanker>(model.Upper);
        Assert.Equal(data.Schema.Count + 2, importance.Length);

        var models = Models(kind, dirs);
        RankerStore.Save(model, Path.Combine(models, "ranker"));
        Assert.Contains($"\"kind\":\"{kind}\"", File.ReadAllText(Path.Combine(models, "ranker", RankerStore.ModelFile)), StringComparison.Ordinal);
        var loaded = Assert.IsType<StackedRanker>(RankerStore.Load(Path.Combine(models, "ranker"), data.Schema));
        Assert.Equal(Scores(model, data), Scores(loaded, data));

        // Served from its folder: the towers named beside it are opened and checked, and the explanation adds up.
        var sources = ModelLocations.LoadSources(models, loaded, _ => null);
        using (var loadedTowers = sources.DeepTowers!)
        {
            var pipeline = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), StandardFeatures.ForSchema(loaded.Schema, sources), loaded,
                new SearchPipelineOptions { RecallWindow = 50, TopK = 6 });
            var r = pipeline.Search(new SearchRequest("黑色 手机") { Explain = true });
            Assert.NotEmpty(r.Hits);
            foreach (var hit in r.Hits) Assert.Equal(hit.Score, hit.Explanation!.Sum(c => c.Contribution) + hit.Unexplained, 4);
            // The stack columns are named in the explanation, with the first hit's rank value among them.
            Assert.All(columns.Names, n => Assert.Contains(r.Hits[0].Explanation!, c => c.Feature == n));
            Assert.Equal(loaded.Schema.Count + 2, r.Hits[0].Explanation!.Count);
        }

        var swapped = Models(kind + "-swapped", dirs[1], dirs[0]);
        RankerStore.Save(model, Path.Combine(swapped, "ranker"));
        var e = Assert.Throws<RankerSchemaMismatchException>(() => ModelLocations.LoadSources(swapped, RankerStore.Read(Path.Combine(swapped, "ranker")), _ => null));
        Assert.Contains("Tower 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "upper", "upper model (\"upper\")")]
    [InlineData(false, "linear", "linear stacker (\"linear\")")]
    [InlineData(true, "upper", "upper model (\"upper\")")]
    [InlineData(true, "base", "base model (\"base\")")]
    public void A_stacked_ranker_file_without_one_of_its_models_is_refused_naming_it(bool transfer, string removed, string named)
    {
        var data = SyntheticData.Make(20, 10, seed: 2);
        StackedRanker model;
        if (transfer)
        {
            var upper = LambdaMartTrainer.Train(StackedTrainer.WidenDataset(data, new float[data.Rows], StackColumns.Transfer), Small).Model;
            model = new StackedRanker(LambdaMartTrainer.Train(data, Small).Model, upper, StackColumns.Transfer);
        }
        else model = StackedTrainer.Train(data, new LinearOptions(), 5, 1, d => LambdaMartTrainer.Train(d, Small)).Model;
        var dir = _dir.File($"stack-broken-{transfer}-{removed}");
        RankerStore.Save(model, dir);
        Assert.Equal(model.Kind, RankerStore.Read(dir).Kind);
        var file = Path.Combine(dir, RankerStore.ModelFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        Assert.Equal(transfer ? "lambdamart-transfer" : "lambdamart-stack", (string?)json["kind"]);
        Assert.True(json.Remove(removed));
        File.WriteAllText(file, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => RankerStore.Read(dir));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stack_over_a_base_that_is_not_linear_is_refused()
    {
        var data = SyntheticData.Make(20, 10, seed: 3);
        var upper = LambdaMartTrainer.Train(StackedTrainer.WidenDataset(data, new float[data.Rows]), Small).Model;
        var e = Assert.Throws<ArgumentException>(() => new StackedRanker(LambdaMartTrainer.Train(data, Small).Model, upper, StackColumns.Linear));
        Assert.Contains("must be a linear model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_with_an_ensemble_of_another_member_count_is_refused_naming_the_counts()
    {
        var (towers, model, _, dirs) = Trained();
        towers.Dispose();
        var models = Models("one-tower", dirs[0]);
        RankerStore.Save(model, Path.Combine(models, "ranker"));
        var e = Assert.Throws<RankerSchemaMismatchException>(() => ModelLocations.LoadSources(models, RankerStore.Read(Path.Combine(models, "ranker")), _ => null));
        Assert.Contains("2 towers", e.Message, StringComparison.Ordinal);
        Assert.Contains("names 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_with_a_missing_member_folder_is_refused_naming_it()
    {
        var (towers, model, _, dirs) = Trained();
        towers.Dispose();
        var models = Models("missing", dirs[0], _dir.File("t-gone"));
        RankerStore.Save(model, Path.Combine(models, "ranker"));
        var e = Assert.Throws<InvalidDataException>(() => ModelLocations.LoadSources(models, RankerStore.Read(Path.Combine(models, "ranker")), _ => null));
        Assert.Contains("t-gone", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_with_the_towers_in_another_order_is_refused_naming_the_tower()
    {
        var (towers, model, _, dirs) = Trained();
        towers.Dispose();
        var models = Models("swapped", dirs[1], dirs[0]);
        RankerStore.Save(model, Path.Combine(models, "ranker"));
        var e = Assert.Throws<RankerSchemaMismatchException>(() => ModelLocations.LoadSources(models, RankerStore.Read(Path.Combine(models, "ranker")), _ => null));
        Assert.Contains("Tower 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("another order", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_contributions_of_the_tower_averaged_ranker_add_up_to_the_score()
    {
        var (towers, model, data, _) = Trained();
        using var _ = towers;
        var scores = Scores(model, data);
        var contributions = new float[model.Schema.Count];
        for (var r = 0; r < Math.Min(data.Rows, 12); r++)
        {
            var rest = model.Explain(data.Features, data.Rows, r, contributions);
            Assert.Equal(scores[r], contributions.Sum() + rest, 4);
        }
        // Both towers' deep columns can take a share: member k only splits on tower k's.
        Assert.All(model.Members[0].Trees.SelectMany(t => t.Feature), f => Assert.DoesNotContain("#2", model.Schema.Names[f], StringComparison.Ordinal));
        Assert.All(model.Members[1].Trees.SelectMany(t => t.Feature), f => Assert.DoesNotContain("#1", model.Schema.Names[f], StringComparison.Ordinal));
    }

    [Fact]
    public void The_search_pipeline_ranks_with_a_saved_tower_averaged_ranker()
    {
        var (towers, model, _, dirs) = Trained();
        towers.Dispose();
        var models = Models("serve", dirs);
        RankerStore.Save(model, Path.Combine(models, "ranker"));
        var saved = RankerStore.Read(ModelLocations.Ranker(models)!);
        var sources = ModelLocations.LoadSources(models, saved, _ => null);
        using var loadedTowers = sources.DeepTowers!;
        var extractor = StandardFeatures.ForSchema(saved.Schema, sources);
        var pipeline = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), extractor, saved,
            new SearchPipelineOptions { RecallWindow = 50, TopK = 6 });

        var r = pipeline.Search(new SearchRequest("黑色 手机") { Explain = true });
        Assert.NotEmpty(r.Hits);
        for (var i = 1; i < r.Hits.Count; i++) Assert.True(r.Hits[i - 1].Score >= r.Hits[i].Score);
        // The hits carry the averaged model's scores of the request's feature rows.
        var candidates = Fixtures.Candidates("黑色 手机");
        var matrix = extractor.Extract(RankingQuery.Create("黑色 手机", new SpaceTokenizer(), null, null), candidates);
        var expected = new float[candidates.Length];
        model.Score(matrix, candidates.Length, expected);
        foreach (var hit in r.Hits)
        {
            Assert.Equal(expected[Array.FindIndex(candidates, c => c.Product.Id == hit.Product.Id)], hit.Score, 5);
            Assert.Equal(hit.Score, hit.Explanation!.Sum(c => c.Contribution) + hit.Unexplained, 4);
        }
        Assert.Contains(r.Hits[0].Explanation!, c => c.Feature == "deep_query_item#2");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Eval_fused_ranks_with_a_saved_tower_averaged_ranker_and_its_towers(bool stacked)
    {
        var (towers, averaged, data, dirs) = Trained();
        using var __ = towers;
        IRankerModel model = stacked
            ? RankerTrainer.Train(data, new RankerTrainingOptions { Kind = CombinerKind.LambdaMartTowersStack, LambdaMart = Small, Towers = towers.Info() }).Model
            : averaged;
        var models = Models(stacked ? "eval-stack" : "eval", dirs);
        RankerStore.Save(model, Path.Combine(models, "ranker"));
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        var queries = new List<EvalQuery>();
        var qrels = new Qrels();
        for (var i = 0; i < 10; i++)
        {
            var (text, doc) = Judged[i % Judged.Length];
            queries.Add(new EvalQuery("q" + i, text));
            qrels.Set("q" + i, doc, 2);
        }
        var context = new EvalContext(new FakeRecall(Fixtures.Catalog), Fixtures.Catalog, queries, qrels) { Seed = 3, ModelsDirectory = models };
        var ranked = registry.Train("fused", context, queries).Rank("q0", "黑色 手机", 50);

        var extractor = StandardFeatures.ForSchema(model.Schema, new FeatureSources { DeepTowers = towers });
        var candidates = Fixtures.Candidates("黑色 手机");
        var matrix = extractor.Extract(RankingQuery.Create("黑色 手机", new SearchRec.Text.ChineseTokenizer(), null, null), candidates);
        var expected = new float[candidates.Length];
        model.Score(matrix, candidates.Length, expected);
        Assert.Equal(candidates.Length, ranked.Count);
        foreach (var (doc, score) in ranked) Assert.Equal(expected[Array.FindIndex(candidates, c => c.Product.Id == doc)], score, 5);
    }

    [Fact]
    public void Eval_towercols_ranks_with_one_lambdamart_over_every_towers_deep_columns()
    {
        string[] dirs = [Tower("t-s1", 1), Tower("t-s7", 7)];
        var models = Models("cols", dirs);
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        // Enough rows for the default 20 rows per leaf, so the trees split.
        var (repeated, labels) = TinyCatalog.Repeat(60);
        var queries = repeated.Select(q => new EvalQuery(q.Id, q.Text)).ToList();
        var judged = repeated.Select(q => new JudgedQuery(q.Id, q.Text, null)).ToList();
        var qrels = new Qrels();
        foreach (var (id, docs) in labels) foreach (var (doc, grade) in docs) qrels.Set(id, doc, grade);
        var context = new EvalContext(new FakeRecall(Fixtures.Catalog), Fixtures.Catalog, queries, qrels) { Seed = 3, ModelsDirectory = models };
        var ranked = registry.Train("lambdamart-towercols", context, queries).Rank("q0", "黑色 手机", 50);

        // The same model trained directly: the standard LambdaMART on the per-tower feature matrix.
        using var towers = TowerSet.Open(Path.Combine(models, "deep"));
        var extractor = StandardFeatures.ForSearch(new FeatureSources { DeepTowers = towers });
        Assert.Contains("deep_query_item#2", extractor.Schema.Names);
        var tokenizer = new SearchRec.Text.ChineseTokenizer();
        var data = SearchTrainingData.Build(new FakeRecall(Fixtures.Catalog), tokenizer, extractor, judged, labels, 200);
        var (model, _) = LambdaMartTrainer.Train(data, new LambdaMartOptions());
        var candidates = Fixtures.Candidates("黑色 手机");
        var matrix = extractor.Extract(RankingQuery.Create("黑色 手机", tokenizer, null, null), candidates);
        var expected = new float[candidates.Length];
        model.Score(matrix, candidates.Length, expected);
        Assert.True(expected.Distinct().Count() > 1, "the trees must split for the comparison to mean anything");
        Assert.Equal(candidates.Length, ranked.Count);
        foreach (var (doc, score) in ranked) Assert.Equal(expected[Array.FindIndex(candidates, c => c.Product.Id == doc)], score, 5);
    }

    [Fact]
    public void A_hubness_correction_added_to_a_tower_after_training_changes_its_fingerprint()
    {
        var tower = Tower("fp", 5);
        var before = TowerSet.Fingerprint(tower);
        HubnessCorrection.Compute(tower, ["黑色 手机", "碎花 连衣裙", "华为 平板", "手机壳"], new HubnessOptions { K = 2, Threads = 1 });
        // The corrected tower scores differently, so a ranker trained on the raw one must not load against it.
        Assert.NotEqual(before, TowerSet.Fingerprint(tower));
        HubnessCorrection.Remove(tower);
        Assert.Equal(before, TowerSet.Fingerprint(tower));
    }
}
