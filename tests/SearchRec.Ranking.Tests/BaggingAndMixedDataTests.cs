using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class BaggingAndMixedDataTests
{
    private static BaggedLambdaMartOptions SmallBag(int seed) => new()
    {
        Members = 3, Seed = seed, Member = new LambdaMartOptions { Trees = 15, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 },
    };

    private static float[] ScoreAll(IRankerModel m, RankingDataset data)
    {
        var s = new float[data.Rows];
        RankerTrainer.ScoreGroups(m, data, Enumerable.Range(0, data.Groups.Count), s);
        return s;
    }

    [Fact]
    public void A_bagged_ranker_scores_the_mean_of_its_members_and_its_explanation_adds_up()
    {
        var data = SyntheticData.Make(30, 20, seed: 5);
        var (bag, importance) = BaggedLambdaMartTrainer.Train(data, SmallBag(1));
        Assert.Equal(3, bag.Members.Count);
        Assert.Equal(data.Schema.Count, importance.Length);
        var scores = ScoreAll(bag, data);
        var members = bag.Members.Select(m => ScoreAll(m, data)).ToArray();
        for (var r = 0; r < data.Rows; r++) Assert.Equal(members.Average(m => m[r]), scores[r], 4);
        var contributions = new float[data.Schema.Count];
        var first = data.Features.AsSpan(0, 20 * data.Schema.Count);
        for (var r = 0; r < 20; r++)
        {
            var rest = bag.Explain(first, 20, r, contributions);
            Assert.Equal(scores[r], contributions.Sum() + rest, 3);
        }
    }

    [Fact]
    public void Bagging_is_deterministic_for_a_seed_and_members_see_different_queries()
    {
        var data = SyntheticData.Make(30, 20, seed: 6);
        var (a, _) = BaggedLambdaMartTrainer.Train(data, SmallBag(3));
        var (b, _) = BaggedLambdaMartTrainer.Train(data, SmallBag(3));
        var (c, _) = BaggedLambdaMartTrainer.Train(data, SmallBag(4));
        Assert.Equal(ScoreAll(a, data), ScoreAll(b, data));
        Assert.NotEqual(ScoreAll(a, data), ScoreAll(c, data));
        Assert.Equal(a.Info.Select(i => i.Seed), b.Info.Select(i => i.Seed));
        Assert.NotEqual(BaggedLambdaMartTrainer.Draw(30, 3, 0), BaggedLambdaMartTrainer.Draw(30, 3, 1));
        Assert.All(a.Info, i => Assert.True(i.DistinctQueries < 30 && i.Queries == 30, $"{i.DistinctQueries} distinct of {i.Queries}"));
    }

    [Fact]
    public void A_saved_bag_loads_back_as_one_model_with_its_members_and_the_same_scores()
    {
        var data = SyntheticData.Make(25, 15, seed: 7);
        var (bag, _) = BaggedLambdaMartTrainer.Train(data, SmallBag(2));
        using var dir = new TempDir();
        RankerStore.Save(bag, dir.Path);
        var loaded = Assert.IsType<BaggedRanker>(RankerStore.Load(dir.Path, data.Schema));
        Assert.Equal("lambdamart-bag", loaded.Kind);
        Assert.Equal(bag.Members.Count, loaded.Members.Count);
        Assert.Equal(bag.Info, loaded.Info);
        var expected = ScoreAll(bag, data);
        var actual = ScoreAll(loaded, data);
        for (var r = 0; r < data.Rows; r++) Assert.Equal(expected[r], actual[r], 5);
    }

    [Fact]
    public void A_saved_bag_is_refused_when_the_features_differ_and_the_message_names_them()
    {
        var data = SyntheticData.Make(20, 10, seed: 8);
        var (bag, _) = BaggedLambdaMartTrainer.Train(data, SmallBag(2));
        using var dir = new TempDir();
        RankerStore.Save(bag, dir.Path);
        var other = new FeatureSchema([.. data.Schema.Names, "new_feature"], data.Schema.Version + 1);
        var e = Assert.Throws<RankerSchemaMismatchException>(() => RankerStore.Load(dir.Path, other));
        Assert.Contains("new_feature", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bag_refuses_a_member_trained_on_other_features()
    {
        var data = SyntheticData.Make(20, 10, seed: 9);
        var (member, _) = LambdaMartTrainer.Train(data, SmallBag(1).Member);
        var other = new FeatureSchema([.. data.Schema.Names, "x"], 2);
        Assert.Throws<RankerSchemaMismatchException>(() => new BaggedRanker(other, [member]));
    }

    [Fact]
    public void Mixing_two_data_sets_keeps_each_groups_rows_labels_and_judgments_and_weights_them_apart()
    {
        var inDomain = SyntheticData.Make(4, 5, seed: 10);
        var other = Prefixed(SyntheticData.Make(3, 6, seed: 11), "ood:");
        var mixed = RankingDataset.Concat(inDomain, other, 5f, 1f);
        Assert.Equal(7, mixed.Groups.Count);
        Assert.Equal(inDomain.Rows + other.Rows, mixed.Rows);
        for (var g = 0; g < 7; g++)
        {
            var (src, sg) = g < 4 ? (inDomain, g) : (other, g - 4);
            var a = mixed.Groups[g];
            var b = src.Groups[sg];
            Assert.Equal(b.QueryId, a.QueryId);
            Assert.Equal(b.Count, a.Count);
            Assert.Same(b.Judgments, a.Judgments);
            Assert.Equal(g < 4 ? 5f : 1f, a.Weight);
            Assert.Equal(src.Labels.AsSpan(b.Start, b.Count).ToArray(), mixed.Labels.AsSpan(a.Start, a.Count).ToArray());
            Assert.Equal(src.Items.AsSpan(b.Start, b.Count).ToArray(), mixed.Items.AsSpan(a.Start, a.Count).ToArray());
            Assert.True(src.Features.AsSpan(b.Start * 6, b.Count * 6).SequenceEqual(mixed.Features.AsSpan(a.Start * 6, a.Count * 6)));
        }
        Assert.True(mixed.IsWeighted);
        Assert.Equal(5f, mixed.Subset([1]).Groups[0].Weight);
    }

    [Fact]
    public void Mixing_refuses_a_query_id_in_both_sets_and_other_features()
    {
        var a = SyntheticData.Make(3, 4, seed: 12);
        var e = Assert.Throws<ArgumentException>(() => RankingDataset.Concat(a, SyntheticData.Make(2, 4, seed: 13)));
        Assert.Contains("q0", e.Message, StringComparison.Ordinal);
        var b = new RankingDatasetBuilder(new FeatureSchema(["bm25"], 1)).Add("x", [1f], [1f], ["i"], new Dictionary<string, int>()).Build();
        Assert.Throws<ArgumentException>(() => RankingDataset.Concat(a, b));
    }

    [Fact]
    public void Weighting_the_in_domain_groups_changes_the_trained_trees()
    {
        // FastTree's ranking trainer reads the example weight column; were it ignored, both models would be equal.
        var a = SyntheticData.Make(20, 15, seed: 14);
        var b = Prefixed(SyntheticData.Make(20, 15, seed: 15), "ood:");
        var options = new LambdaMartOptions { Trees = 10, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 };
        var (plain, _) = LambdaMartTrainer.Train(RankingDataset.Concat(a, b), options);
        var (weighted, _) = LambdaMartTrainer.Train(RankingDataset.Concat(a, b, 5f, 1f), options);
        var all = RankingDataset.Concat(a, b);
        Assert.NotEqual(ScoreAll(plain, all), ScoreAll(weighted, all));
    }

    [Fact]
    public void Graded_pairs_become_prefixed_groups_of_relevant_queries_over_a_catalog_of_all_titles()
    {
        JudgmentFiles.GradedPair P(string q, string t, int l) => new(q, t, l);
        var train = new[] { P("红色连衣裙", "红色连衣裙女夏", 2), P("红色连衣裙", "蓝色衬衫", 0), P("跑步鞋", "拖鞋", 0), P("手机壳", "手机壳透明", 1), P("耳机", "蓝牙耳机", 1) };
        var extra = new[] { P("无关", "笔记本电脑", 0), P("无关", "蓝牙耳机", 2) };
        var groups = GradedPairGroups.Build(train, extra, maxQueries: 2, prefix: "ood:");
        Assert.Equal(["红色连衣裙", "手机壳"], groups.Queries.Select(q => q.Text));
        Assert.All(groups.Queries, q => Assert.StartsWith("ood:q", q.QueryId, StringComparison.Ordinal));
        Assert.Equal(6, groups.Catalog.Count);
        Assert.All(groups.Catalog, p => Assert.StartsWith("ood:t", p.Id, StringComparison.Ordinal));
        var first = groups.Qrels[groups.Queries[0].QueryId];
        Assert.Equal(2, first.Count);
        Assert.Equal(2, first[groups.Catalog.Single(p => p.Title == "红色连衣裙女夏").Id]);
        Assert.Equal(0, first[groups.Catalog.Single(p => p.Title == "蓝色衬衫").Id]);
        Assert.DoesNotContain(groups.Qrels.Values, j => j.ContainsKey(groups.Catalog.Single(p => p.Title == "笔记本电脑").Id));
    }

    [Fact]
    public void Out_of_domain_rows_get_the_deep_columns_missing_as_any_item_the_tower_does_not_know()
    {
        using var dir = new TempDir();
        SearchRec.Deep.Training.DeepTraining.TrainText(Fixtures.Catalog, [], dir.Path,
            new SearchRec.Deep.Training.DeepTrainingOptions { TextEpochs = 1, Threads = 1, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8 });
        using var deep = SearchRec.Deep.Scoring.DeepScorer.Open(dir.Path);
        var extractor = new FeatureExtractor([new RecallFeatures(), new TextFeatures(), new DeepFeatures(deep, null)]);
        JudgmentFiles.GradedPair P(string q, string t, int l) => new(q, t, l);
        var groups = GradedPairGroups.Build([P("黑色 手机", "黑色 手机 壳", 2), P("连衣裙", "碎花 连衣裙", 1)], [], 10, "ood:");
        var ood = SearchTrainingData.Build(new FakeRecall(groups.Catalog), new SpaceTokenizer(), extractor, groups.Queries, groups.Qrels, 50);
        var inDomain = SearchTrainingData.Build(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), extractor,
            [new JudgedQuery("e1", "黑色 手机", null)], new Dictionary<string, Dictionary<string, int>> { ["e1"] = new() { ["1"] = 1 } }, 50);
        var has = extractor.Schema.IndexOf("has_deep_item");
        var score = extractor.Schema.IndexOf("deep_query_item");
        var dim = extractor.Schema.Count;
        Assert.True(ood.Rows > 0 && inDomain.Rows > 0);
        for (var r = 0; r < ood.Rows; r++)
        {
            Assert.Equal(0f, ood.Features[r * dim + has]);
            Assert.True(float.IsNaN(ood.Features[r * dim + score]));
        }
        for (var r = 0; r < inDomain.Rows; r++)
        {
            Assert.Equal(1f, inDomain.Features[r * dim + has]);
            Assert.False(float.IsNaN(inDomain.Features[r * dim + score]));
        }
        var mixed = RankingDataset.Concat(inDomain, ood, 5f, 1f);
        Assert.Equal(["e1", .. groups.Queries.Select(q => q.QueryId)], mixed.Groups.Select(g => g.QueryId));
        Assert.Equal(2f, ood.Labels.Max());
    }

    private static RankingDataset Prefixed(RankingDataset d, string prefix)
    {
        var b = new RankingDatasetBuilder(d.Schema);
        foreach (var g in d.Groups)
            b.Add(prefix + g.QueryId, d.Features.AsSpan(g.Start * d.Schema.Count, g.Count * d.Schema.Count), d.Labels.AsSpan(g.Start, g.Count), d.Items.AsSpan(g.Start, g.Count), g.Judgments);
        return b.Build();
    }

    [Fact]
    public void A_graded_pair_line_without_a_field_is_refused_naming_the_line_and_the_field()
    {
        using var dir = new SearchRec.Testing.TempDir();
        var path = dir.Write("pairs.jsonl", "{\"query\":\"连衣裙\",\"title\":\"红色连衣裙\",\"label\":2}\n{\"query\":\"手机\",\"title\":\"iphone\"}\n");
        var e = Assert.Throws<InvalidDataException>(() => JudgmentFiles.ReadGradedPairs(path));
        Assert.Equal($"{path}:2: field 'label' is missing", e.Message);
        path = dir.Write("array.jsonl", "[1, 2]\n");
        Assert.Equal($"{path}:1: expected a JSON object {{query, title, label}}", Assert.Throws<InvalidDataException>(() => JudgmentFiles.ReadGradedPairs(path)).Message);
    }

    [Theory]
    [InlineData("\"99999999999\"")]
    [InlineData("99999999999")]
    public void A_graded_pair_label_beyond_an_int_is_refused_naming_the_line(string label)
    {
        using var dir = new SearchRec.Testing.TempDir();
        var path = dir.Write("pairs.jsonl", $"{{\"query\":\"手机\",\"title\":\"iphone\",\"label\":{label}}}\n");
        var e = Assert.Throws<InvalidDataException>(() => JudgmentFiles.ReadGradedPairs(path));
        Assert.StartsWith($"{path}:1: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("label", e.Message, StringComparison.Ordinal);
    }
}
