using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class ModelTests
{
    private static readonly LambdaMartOptions Small = new() { Trees = 40, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 };

    [Fact]
    public void Extracted_trees_score_exactly_as_MLNET_FastTree_does()
    {
        var data = SyntheticData.Make(30, 25, seed: 1);
        var (ml, view) = LambdaMartTrainer.ToDataView(data, seed: 3);
        var transformer = ml.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options
        {
            LabelColumnName = "Label", FeatureColumnName = "Features", RowGroupColumnName = "GroupId",
            NumberOfTrees = 30, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5, NumberOfThreads = 1,
        }).Fit(view);
        var mlScores = transformer.Transform(view).GetColumn<float>("Score").ToArray();
        var ours = LambdaMartTrainer.Extract(data.Schema, transformer.Model.TrainedTreeEnsemble);
        var scores = new float[data.Rows];
        ours.Score(data.Features, data.Rows, scores);
        for (var i = 0; i < data.Rows; i++) Assert.Equal(mlScores[i], scores[i], 4);
    }

    [Fact]
    public void LambdaMART_learns_an_interaction_a_linear_model_cannot()
    {
        var train = SyntheticData.Make(60, 30, seed: 2);
        var test = SyntheticData.Make(30, 30, seed: 3);
        var (tree, importance) = LambdaMartTrainer.Train(train, Small);
        var lin = LinearTrainer.Train(train, new LinearOptions());
        double Ndcg(IRankerModel m)
        {
            var s = new float[test.Rows];
            RankerTrainer.ScoreGroups(m, test, Enumerable.Range(0, test.Groups.Count), s);
            return DatasetMetrics.PerQuery(test, s).Average(x => x.Ndcg10);
        }
        Assert.True(Ndcg(tree) > Ndcg(lin), $"lambdamart {Ndcg(tree):F3} vs linear {Ndcg(lin):F3}");
        Assert.True(Ndcg(tree) > 0.9, $"lambdamart nDCG@10 {Ndcg(tree):F3}");
        Assert.True(importance[0] > importance[2], "signal should matter more than noise");
    }

    [Fact]
    public void Tree_contributions_plus_remainder_equal_the_score()
    {
        var data = SyntheticData.Make(20, 20, seed: 4);
        var (tree, _) = LambdaMartTrainer.Train(data, Small);
        var scores = new float[20];
        tree.Score(data.Features.AsSpan(0, 20 * data.Schema.Count), 20, scores);
        var contributions = new float[data.Schema.Count];
        for (var r = 0; r < 20; r++)
        {
            var rest = tree.Explain(data.Features.AsSpan(0, 20 * data.Schema.Count), 20, r, contributions);
            Assert.Equal(scores[r], contributions.Sum() + rest, 3);
        }
        tree.Explain(data.Features.AsSpan(0, 20 * data.Schema.Count), 20, 0, contributions);
        Assert.True(Math.Abs(contributions[0]) > 0, "the signal feature should contribute");
    }

    [Fact]
    public void Linear_stacker_puts_positive_weight_on_the_signal()
    {
        var lin = LinearTrainer.Train(SyntheticData.Make(40, 30, seed: 5), new LinearOptions());
        Assert.True(lin.Weights[0] > 0);
        Assert.True(lin.Weights[0] > Math.Abs(lin.Weights[2]));
    }

    [Fact]
    public void Weighted_tuning_prefers_the_informative_score_over_the_noisy_one()
    {
        var data = SyntheticData.Make(40, 30, seed: 6);
        var w = WeightedTrainer.Train(data, new WeightedOptions { Features = ["signal", "noise"] });
        Assert.True(w.Weights[0] > w.Weights[1], $"weights {w.Weights[0]} / {w.Weights[1]}");
    }

    [Fact]
    public void Weighted_ranker_normalises_within_the_request()
    {
        var schema = new FeatureSchema(["a", "b"], 1);
        var w = new WeightedRanker(schema, ["a", "b"], [1f, 1f]);
        float[] rows = [10, 0, 20, 1, 30, float.NaN];
        var scores = new float[3];
        w.Score(rows, 3, scores);
        Assert.Equal([0f, 1.5f, 1f], scores);
    }

    [Theory]
    [InlineData("lambdamart")]
    [InlineData("linear")]
    [InlineData("weighted")]
    public void Saved_rankers_load_and_score_the_same(string kind)
    {
        using var dir = new TempDir();
        var data = SyntheticData.Make(20, 20, seed: 7);
        var options = new RankerTrainingOptions { Kind = RankerTrainingOptions.ParseKind(kind), LambdaMart = Small };
        options.Weighted.Features = ["signal", "bm25"];
        var (model, _) = RankerTrainer.Train(data, options);
        RankerStore.Save(model, dir.Path, new ModelCard { Kind = kind, Schema = model.Schema.ToString(), Features = model.Schema.Names.ToList() });
        var loaded = RankerStore.Load(dir.Path, SyntheticData.Schema);
        Assert.Equal(kind, loaded.Kind);
        var a = new float[data.Rows];
        var b = new float[data.Rows];
        RankerTrainer.ScoreGroups(model, data, Enumerable.Range(0, data.Groups.Count), a);
        RankerTrainer.ScoreGroups(loaded, data, Enumerable.Range(0, data.Groups.Count), b);
        Assert.Equal(a, b);
        Assert.True(File.Exists(dir.File("model-card.md")));
        Assert.True(File.Exists(dir.File("model-card.json")));
    }

    [Fact]
    public void A_cards_metrics_are_headed_cross_validated_only_when_they_were()
    {
        var card = new ModelCard { Kind = "lambdamart-bag", Folds = 0 };
        card.Data["protocol"] = "cut 1512230400; 37 test users";
        card.Metrics["repeat"] = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["ndcg@20"] = 0.121 };
        // The next-item ranker's card: scored on test users after the cut, and it said "Cross-validated metrics"
        // under "cross-validation: none".
        var md = card.ToMarkdown();
        Assert.DoesNotContain("Cross-validated", md, StringComparison.Ordinal);
        Assert.Contains("## Metrics\n\nNot cross-validated: measured as the data entries above describe.", md.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        card.Folds = 5;
        Assert.Contains("## Cross-validated metrics", card.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_from_another_feature_version_is_refused_naming_the_difference()
    {
        using var dir = new TempDir();
        var (model, _) = RankerTrainer.Train(SyntheticData.Make(10, 10, 8), new RankerTrainingOptions { Kind = CombinerKind.Linear });
        RankerStore.Save(model, dir.Path);
        var newer = new FeatureSchema(SyntheticData.Schema.Names.Append("deep_query_item"), 2);
        var e = Assert.Throws<RankerSchemaMismatchException>(() => RankerStore.Load(dir.Path, newer));
        Assert.Contains("deep_query_item", e.Message);
        Assert.Contains("train-ranker", e.Message);
    }

    [Fact]
    public void A_damaged_model_file_is_refused_clearly()
    {
        using var dir = new TempDir();
        dir.Write(RankerStore.ModelFile, "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => RankerStore.Read(dir.Path));
        Assert.Contains(RankerStore.ModelFile, e.Message);
        Assert.Throws<FileNotFoundException>(() => RankerStore.Read(dir.File("nowhere")));
    }

    [Fact]
    public void A_saved_ensemble_without_trees_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var (model, _) = LambdaMartTrainer.Train(SyntheticData.Make(10, 10, 3), Small);
        RankerStore.Save(model, dir.Path);
        var path = dir.File(RankerStore.ModelFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json["trees"] = new System.Text.Json.Nodes.JsonArray();
        File.WriteAllText(path, json.ToJsonString());
        // With no tree every candidate scores the bias: the ranker would silently keep recall's order.
        var e = Assert.Throws<InvalidDataException>(() => RankerStore.Read(dir.Path));
        Assert.Contains(RankerStore.ModelFile, e.Message, StringComparison.Ordinal);
        Assert.Contains("no trees", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_on_labels_that_give_no_order_saves_rankers_that_keep_recalls_order_and_load_again()
    {
        // As eval --window 1 does: one candidate per query, so no pair to learn from.
        var b = new RankingDatasetBuilder(SyntheticData.Schema);
        var rng = new Random(5);
        for (var q = 0; q < 10; q++)
        {
            var f = new float[10 * SyntheticData.Schema.Count];
            for (var i = 0; i < f.Length; i++) f[i] = (float)rng.NextDouble();
            b.Add($"q{q}", f, new float[10], Enumerable.Range(0, 10).Select(i => $"q{q}-i{i}").ToArray(), new Dictionary<string, int>());
        }
        var data = b.Build();
        using var dir = new TempDir();
        foreach (var model in new IRankerModel[] { LambdaMartTrainer.Train(data, Small).Model, LinearTrainer.Train(data, new LinearOptions()) })
        {
            RankerStore.Save(model, dir.Path);
            var loaded = RankerStore.Read(dir.Path);
            var scores = new float[data.Rows];
            loaded.Score(data.Features, data.Rows, scores);
            Assert.All(scores, s => Assert.Equal(scores[0], s));
        }
    }

    [Theory]
    [InlineData("leaf", "NaN", "leaf 0: value NaN")]
    [InlineData("weight", "Infinity", "Tree 0: weight")]
    [InlineData("threshold", "NaN", "node 0: threshold is NaN")]
    [InlineData("bias", "NaN", "bias NaN")]
    public void A_saved_ensemble_with_a_value_that_is_not_a_finite_number_is_refused_naming_it(string field, string value, string expected)
    {
        using var dir = new TempDir();
        var (model, _) = LambdaMartTrainer.Train(SyntheticData.Make(10, 10, 3), Small);
        RankerStore.Save(model, dir.Path);
        var path = dir.File(RankerStore.ModelFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        var tree = json["trees"]![0]!;
        // NaN and infinities are written as strings: the store allows named floating-point literals.
        switch (field)
        {
            case "leaf": tree["leaf"]![0] = value; break;
            case "threshold": tree["threshold"]![0] = value; break;
            case "weight": tree["weight"] = value; break;
            default: json["bias"] = value; break;
        }
        File.WriteAllText(path, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => RankerStore.Read(dir.Path));
        Assert.Contains(RankerStore.ModelFile, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lambdamart", "tree")]         // a tree written as null
    [InlineData("lambdamart", "name")]         // a feature name written as null
    [InlineData("lambdamart", "twice")]        // a feature name given twice
    [InlineData("weighted", "feature")]        // a weighted ranker's feature written as null
    public void A_saved_ranker_with_a_null_or_repeated_entry_is_refused_naming_the_file(string kind, string entry)
    {
        using var dir = new TempDir();
        var model = kind == "weighted"
            ? (IRankerModel)new WeightedRanker(SyntheticData.Schema, [SyntheticData.Schema.Names[0]], [1f])
            : LambdaMartTrainer.Train(SyntheticData.Make(10, 10, 3), Small).Model;
        RankerStore.Save(model, dir.Path);
        var path = dir.File(RankerStore.ModelFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        switch (entry)
        {
            case "tree": json["trees"]![0] = null; break;
            case "name": json["schema"]!["names"]![0] = null; break;
            case "twice": json["schema"]!["names"]![1] = json["schema"]!["names"]![0]!.GetValue<string>(); break;
            default: json["features"]![0] = null; break;
        }
        File.WriteAllText(path, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => RankerStore.Read(dir.Path));
        Assert.StartsWith($"{path}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind")]
    [InlineData("features")]
    [InlineData("data")]
    [InlineData("options")]
    [InlineData("metrics")]
    [InlineData("importance")]
    [InlineData("training_queries")]
    public void A_model_card_with_a_null_field_is_refused_naming_the_file_and_field(string field)
    {
        using var dir = new TempDir();
        var card = new ModelCard { Kind = "weighted" };
        card.Data["window"] = "200";
        card.Save(dir.Path);
        var path = dir.File("model-card.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json[field] = null;
        File.WriteAllText(path, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => ModelCard.Read(dir.Path));
        Assert.Equal($"{path}: not a model card: '{field}' is null.", e.Message);
    }

    [Fact]
    public void A_saved_linear_ranker_with_a_NaN_weight_is_refused_naming_the_feature()
    {
        using var dir = new TempDir();
        RankerStore.Save(LinearTrainer.Train(SyntheticData.Make(10, 10, 3), new LinearOptions()), dir.Path);
        var path = dir.File(RankerStore.ModelFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json["weights"]![1] = "NaN";
        File.WriteAllText(path, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => RankerStore.Read(dir.Path));
        Assert.Contains(RankerStore.ModelFile, e.Message, StringComparison.Ordinal);
        Assert.Contains($"weight of feature '{SyntheticData.Schema.Names[1]}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scores_are_the_floats_a_row_by_row_walk_of_the_trees_gives_across_blocks_NaNs_and_single_leaf_trees()
    {
        var data = SyntheticData.Make(30, 25, seed: 16);
        var (trained, _) = LambdaMartTrainer.Train(data, Small);
        var stump = new TreeEnsembleRanker.Tree([], [], [], [], [0.25], 2.0);
        var trees = trained.Trees.Take(10).Append(stump).Concat(trained.Trees.Skip(10)).ToList();
        var model = new TreeEnsembleRanker(data.Schema, trees, trained.Bias);
        var scores = new float[data.Rows]; // 750 rows: three blocks, the last one partial
        model.Score(data.Features, data.Rows, scores);

        var stride = data.Schema.Count;
        for (var r = 0; r < data.Rows; r++)
        {
            var expected = model.Bias;
            foreach (var tree in trees)
            {
                var node = tree.Feature.Length == 0 ? ~0 : 0;
                while (node >= 0)
                {
                    var v = data.Features[r * stride + tree.Feature[node]];
                    node = (float.IsNaN(v) ? 0 : v) <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
                }
                expected += (float)(tree.Leaf[~node] * tree.Weight);
            }
            Assert.Equal(expected, scores[r]);
        }
        Assert.Contains(data.Features, float.IsNaN);
    }

    [Fact]
    public void A_tree_that_could_loop_or_share_a_leaf_is_refused_naming_the_node()
    {
        // Node 1 is its own left child: a walk could loop forever.
        var loop = new TreeEnsembleRanker.Tree([0, 1], [0.5f, 0.5f], [1, 1], [~0, ~1], [1, 2, 3], 1);
        var e = Assert.Throws<InvalidDataException>(() => new TreeEnsembleRanker(SyntheticData.Schema, [loop], 0));
        Assert.Contains("Tree 0, node 1: reached from 2 parents", e.Message, StringComparison.Ordinal);
        var shared = new TreeEnsembleRanker.Tree([0], [0.5f], [~0], [~0], [1, 2], 1);
        e = Assert.Throws<InvalidDataException>(() => new TreeEnsembleRanker(SyntheticData.Schema, [shared], 0));
        Assert.Contains("Tree 0, leaf 0: reached from 2 parents", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_card_gives_back_its_importance_by_column_and_a_damaged_card_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        Assert.Null(ModelCard.Read(dir.Path));
        new ModelCard { Kind = "lambdamart", Importance = [new("b", 0.5), new("a", 1.0)] }.Save(dir.Path);
        var card = ModelCard.Read(dir.Path)!;
        Assert.Equal([1.0, 0.0, 0.5], card.ImportanceFor(["a", "c", "b"])!);
        Assert.Null(card.ImportanceFor(["x"]));
        dir.Write("model-card.json", "{ broken");
        var e = Assert.Throws<InvalidDataException>(() => ModelCard.Read(dir.Path));
        Assert.Contains("model-card.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Folds_split_queries_so_none_is_in_two_folds()
    {
        var folds = RankerTrainer.Folds(23, 5, seed: 1);
        Assert.Equal(5, folds.Length);
        var all = folds.SelectMany(f => f).ToList();
        Assert.Equal(23, all.Count);
        Assert.Equal(23, all.Distinct().Count());
        Assert.All(folds, f => Assert.InRange(f.Length, 4, 5));
    }

    [Fact]
    public void Cross_validation_scores_every_row_with_a_model_that_never_saw_its_query()
    {
        var data = SyntheticData.Make(25, 20, seed: 9);
        var seen = new List<HashSet<string>>();
        var run = RankerTrainer.CrossValidate("probe", data, train =>
        {
            seen.Add(train.Groups.Select(g => g.QueryId).ToHashSet());
            return LinearTrainer.Train(train, new LinearOptions { Iterations = 20 });
        }, folds: 5, seed: 2);
        Assert.Equal(5, seen.Count);
        var folds = RankerTrainer.Folds(25, 5, 2);
        for (var f = 0; f < 5; f++)
            foreach (var g in folds[f]) Assert.DoesNotContain(data.Groups[g].QueryId, seen[f]);
        Assert.Equal(25, run.PerQuery.Length);
        Assert.True(run.Ndcg10 > 0.5);
    }

    [Fact]
    public void Cross_validation_never_scores_a_query_whose_text_it_trained_on_under_another_id()
    {
        // 24 judged queries cycling through 3 texts, as a shop's repeated searches or one query filed under two ids.
        var (queries, qrels) = TinyCatalog.Repeat(24);
        var data = SearchTrainingData.Build(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), StandardFeatures.ForSearch(new FeatureSources()),
            queries.Select(q => new JudgedQuery(q.Id, q.Text, null)).ToList(), qrels, 50);
        var textOf = queries.ToDictionary(q => q.Id, q => q.Text);
        var trainedTexts = new List<HashSet<string>>();
        var scoredTexts = new List<HashSet<string>>();

        RankerTrainer.CrossValidate("probe", data, train =>
        {
            trainedTexts.Add(train.Groups.Select(g => textOf[g.QueryId]).ToHashSet());
            // Every group left out of this training set is the fold it will score.
            scoredTexts.Add(data.Groups.Select(g => g.QueryId).Except(train.Groups.Select(g => g.QueryId)).Select(id => textOf[id]).ToHashSet());
            return LinearTrainer.Train(train, new LinearOptions { Iterations = 5 });
        }, folds: 3, seed: 4);

        Assert.Equal(3, trainedTexts.Count);
        for (var f = 0; f < 3; f++)
        {
            Assert.NotEmpty(scoredTexts[f]);
            Assert.Empty(scoredTexts[f].Intersect(trainedTexts[f]));
        }
    }

    [Fact]
    public void Cross_validated_figures_count_only_queries_with_a_relevant_judgment_as_eval_does()
    {
        var (queries, qrels) = TinyCatalog.Repeat(24);
        // Six queries judged, but every judged title not relevant: eval leaves them out; so must the card.
        foreach (var q in queries.Take(6)) qrels[q.Id] = qrels[q.Id].ToDictionary(kv => kv.Key, _ => 0);
        var data = SearchTrainingData.Build(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), StandardFeatures.ForSearch(new FeatureSources()),
            queries.Select(q => new JudgedQuery(q.Id, q.Text, null)).ToList(), qrels, 50);
        Assert.Equal(24, data.Groups.Count);   // still trained on

        var single = RankerTrainer.SingleFeature("bm25", data, "bm25");
        var learned = RankerTrainer.CrossValidate("linear", data, d => LinearTrainer.Train(d, new LinearOptions { Iterations = 5 }), folds: 3, seed: 4);

        foreach (var run in new[] { single, learned })
        {
            Assert.Equal(18, run.PerQuery.Length);
            Assert.DoesNotContain(run.PerQuery, m => queries.Take(6).Any(q => q.Id == m.QueryId));
        }
    }

    [Fact]
    public void A_card_counts_the_evaluated_texts_it_learnt_from_through_twins_and_keeps_no_text()
    {
        using var dir = new TempDir();
        var card = new ModelCard { Kind = "lambdamart" }.RecordTrainingQueries(["华为 手机", "连衣裙", "连衣裙", "polo衫"]);
        card.Save(dir.Path);
        var read = ModelCard.Read(dir.Path)!;

        Assert.Equal(3, read.TrainingQueries.Count);
        Assert.DoesNotContain("连衣裙", File.ReadAllText(Path.Combine(dir.Path, "model-card.json")), StringComparison.Ordinal);
        // Traditional, full-width and differently spaced twins count; another text does not.
        Assert.Equal(3, read.CountTrainedOn(["華為手機", " 连衣裙 ", "ＰＯＬＯ衫", "运动鞋"]));
        Assert.Equal(0, new ModelCard().CountTrainedOn(["连衣裙"]));
    }

    [Fact]
    public void Training_options_name_the_bad_field()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaMartOptions { Leaves = 1 }.Validate());
        Assert.Contains("Leaves", e.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => new RankerTrainingOptions { Folds = 1 }.Validate());
        Assert.Contains("Folds", e2.Message);
        var e3 = Assert.ThrowsAny<ArgumentException>(() => new LambdaMartOptions { NdcgTruncation = 0 }.Validate());
        Assert.Contains("NdcgTruncation", e3.Message);
    }
}

public sealed class LightGbmTests
{
    [Fact]
    public void NDCG_truncation_reaches_FastTree_and_changes_the_trees()
    {
        // 25 candidates per query: with a cut at 2 the swaps below rank 2 carry no gradient, so the trees must differ.
        var data = SyntheticData.Make(30, 25, seed: 12);
        var score = (LambdaMartOptions o) =>
        {
            var (model, _) = LambdaMartTrainer.Train(data, o);
            var s = new float[data.Rows];
            model.Score(data.Features, data.Rows, s);
            return s;
        };
        var deep = score(new LambdaMartOptions { Trees = 20, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 });
        var again = score(new LambdaMartOptions { Trees = 20, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 });
        var cut = score(new LambdaMartOptions { Trees = 20, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2, NdcgTruncation = 2 });
        Assert.Equal(deep, again);
        Assert.NotEqual(deep, cut);
    }

    [Fact]
    public void With_one_relevant_item_per_query_the_NDCG_truncation_changes_nothing()
    {
        // FastTree's truncation only sets each query's ideal-DCG normaliser (ranking round 11, docs/ranking.md), and
        // with a single relevant item that is the same at every cut-off: ecom-search's qrels are like this.
        var graded = SyntheticData.Make(30, 25, seed: 13);
        var b = new RankingDatasetBuilder(graded.Schema);
        foreach (var g in graded.Groups)
        {
            var labels = new float[g.Count];
            var best = 0;
            for (var r = 1; r < g.Count; r++)
                if (graded.Row(g.Start + r)[0] > graded.Row(g.Start + best)[0]) best = r;
            labels[best] = 1;
            b.Add(g.QueryId, graded.Features.AsSpan(g.Start * graded.Schema.Count, g.Count * graded.Schema.Count), labels,
                graded.Items.AsSpan(g.Start, g.Count), new Dictionary<string, int> { [graded.Items[g.Start + best]] = 1 });
        }
        var single = b.Build();
        var score = (int cut) =>
        {
            var (model, _) = LambdaMartTrainer.Train(single, new LambdaMartOptions { Trees = 20, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2, NdcgTruncation = cut });
            var s = new float[single.Rows];
            model.Score(single.Features, single.Rows, s);
            return s;
        };
        Assert.Equal(score(100), score(2));
    }

    [Fact]
    public void Grades_up_to_four_keep_MLNET_default_gains_and_finer_scales_continue_them()
    {
        Assert.Null(LambdaMartTrainer.Gains([0, 1, 2, 4]));
        Assert.Equal([0, 3, 7, 15, 31, 63, 127], LambdaMartTrainer.Gains([0, 6, 2])!);
        Assert.Contains("grade 31", Assert.Throws<ArgumentException>(() => LambdaMartTrainer.Gains([0, 31])).Message, StringComparison.Ordinal);
        Assert.Contains("grade 1.5", Assert.Throws<ArgumentException>(() => LambdaMartTrainer.Gains([1.5f])).Message, StringComparison.Ordinal);
        Assert.Contains("grade -1", Assert.Throws<ArgumentException>(() => LambdaMartTrainer.Gains([-1])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LambdaMartEngine.FastTree)]
    [InlineData(LambdaMartEngine.LightGbm)]
    public void Both_engines_train_on_grades_above_four_and_learn_their_order(LambdaMartEngine engine)
    {
        // Grades 0 / 1 / 2 become 0 / 4 / 8: the order is the same, so the model must still rank the grade-8 rows first.
        var data = SyntheticData.Make(40, 25, seed: 15);
        var b = new RankingDatasetBuilder(data.Schema);
        foreach (var g in data.Groups)
        {
            var labels = data.Labels.AsSpan(g.Start, g.Count).ToArray();
            for (var r = 0; r < labels.Length; r++) labels[r] *= 4;
            b.Add(g.QueryId, data.Features.AsSpan(g.Start * data.Schema.Count, g.Count * data.Schema.Count), labels, data.Items.AsSpan(g.Start, g.Count), g.Judgments);
        }
        var scaled = b.Build();
        var (model, _) = LambdaMartTrainer.Train(scaled, new LambdaMartOptions { Engine = engine, Trees = 30, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 });
        var s = new float[scaled.Rows];
        model.Score(scaled.Features, scaled.Rows, s);
        var ndcg = DatasetMetrics.PerQuery(scaled, s).Average(x => x.Ndcg10);
        Assert.True(ndcg > 0.9, $"nDCG@10 {ndcg:F3}");
    }

    [Fact]
    public void LightGBM_engine_trains_trees_that_score_as_MLNET_does()
    {
        var data = SyntheticData.Make(30, 25, seed: 11);
        var (ml, view) = LambdaMartTrainer.ToDataView(data, seed: 3);
        var transformer = ml.Ranking.Trainers.LightGbm(new Microsoft.ML.Trainers.LightGbm.LightGbmRankingTrainer.Options
        {
            LabelColumnName = "Label", FeatureColumnName = "Features", RowGroupColumnName = "GroupId",
            NumberOfIterations = 30, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5, NumberOfThreads = 1,
        }).Fit(view);
        var mlScores = transformer.Transform(view).GetColumn<float>("Score").ToArray();
        var ours = LambdaMartTrainer.Extract(data.Schema, transformer.Model.TrainedTreeEnsemble);
        var scores = new float[data.Rows];
        ours.Score(data.Features, data.Rows, scores);
        for (var i = 0; i < data.Rows; i++) Assert.Equal(mlScores[i], scores[i], 3);
        var (model, _) = LambdaMartTrainer.Train(data, new LambdaMartOptions { Engine = LambdaMartEngine.LightGbm, Trees = 30, Leaves = 8, MinRowsPerLeaf = 5 });
        Assert.NotEmpty(model.Trees);
    }
}

public sealed class ContributionParityTests
{
    [Fact]
    public void Tree_contributions_match_MLNET_feature_contribution_calculation()
    {
        var data = SyntheticData.Make(20, 20, seed: 12);
        var (ml, view) = LambdaMartTrainer.ToDataView(data, seed: 3);
        var transformer = ml.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options
        {
            LabelColumnName = "Label", FeatureColumnName = "Features", RowGroupColumnName = "GroupId",
            NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 5, NumberOfThreads = 1,
        }).Fit(view);
        var dim = data.Schema.Count;
        var fcc = ml.Transforms.CalculateFeatureContribution(transformer, numberOfPositiveContributions: dim, numberOfNegativeContributions: dim, normalize: false)
            .Fit(transformer.Transform(view)).Transform(transformer.Transform(view));
        var theirs = fcc.GetColumn<float[]>("FeatureContributions").ToArray();
        var ours = LambdaMartTrainer.Extract(data.Schema, transformer.Model.TrainedTreeEnsemble);
        var c = new float[dim];
        for (var r = 0; r < 40; r++)
        {
            ours.Explain(data.Features.AsSpan(0, data.Rows * dim), data.Rows, r, c);
            for (var f = 0; f < dim; f++) Assert.Equal(theirs[r][f], c[f], 3);
        }
    }
}
