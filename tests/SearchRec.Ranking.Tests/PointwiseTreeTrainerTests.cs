using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class PointwiseTreeTrainerTests
{
    private static readonly LambdaMartOptions Small = new() { Trees = 40, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 };

    [Fact]
    public void Extracted_pointwise_trees_score_as_the_MLNET_classifiers_raw_margin()
    {
        var data = SyntheticData.Make(30, 25, seed: 1);
        var (ml, view) = PointwiseTreeTrainer.ToDataView(data, seed: 3);
        var transformer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = "Label", FeatureColumnName = "Features", NumberOfTrees = 30, NumberOfLeaves = 8,
            MinimumExampleCountPerLeaf = 5, NumberOfThreads = 1,
        }).Fit(view);
        var mlScores = transformer.Transform(view).GetColumn<float>("Score").ToArray();
        var ours = LambdaMartTrainer.Extract(data.Schema, transformer.Model.SubModel.TrainedTreeEnsemble);
        var scores = new float[data.Rows];
        ours.Score(data.Features, data.Rows, scores);
        for (var i = 0; i < data.Rows; i++) Assert.Equal(mlScores[i], scores[i], 4);
    }

    [Fact]
    public void Pointwise_trees_put_held_out_positive_rows_above_the_negative_ones()
    {
        // A row is positive when its signal is above 0.7 (grade 1 or 2): the noise and bm25 columns only blur that.
        var (model, importance) = PointwiseTreeTrainer.Train(SyntheticData.Make(60, 30, seed: 2), Small);
        var test = SyntheticData.Make(30, 30, seed: 3);
        var scores = new float[test.Rows];
        model.Score(test.Features, test.Rows, scores);
        int pairs = 0, right = 0;
        foreach (var g in test.Groups)
            for (var p = g.Start; p < g.Start + g.Count; p++)
                for (var n = g.Start; n < g.Start + g.Count; n++)
                    if (test.Labels[p] > 0 && test.Labels[n] == 0) { pairs++; if (scores[p] > scores[n]) right++; }
        Assert.True(right > 0.97 * pairs, $"{right} of {pairs} positive–negative pairs in order");
        Assert.True(importance[0] > importance[2], "signal should matter more than noise");
    }

    [Fact]
    public void Groups_without_a_positive_row_change_the_pointwise_trees()
    {
        // LambdaMART has no pair to learn from in such a group; a classifier reads its rows as negatives.
        var data = SyntheticData.Make(40, 20, seed: 5);
        var negatives = SyntheticData.Make(20, 20, seed: 6);
        var allNegative = new RankingDatasetBuilder(negatives.Schema);
        foreach (var g in negatives.Groups)
            allNegative.Add("neg-" + g.QueryId, negatives.Features.AsSpan(g.Start * negatives.Schema.Count, g.Count * negatives.Schema.Count),
                new float[g.Count], negatives.Items.AsSpan(g.Start, g.Count), new Dictionary<string, int>());
        var (alone, _) = PointwiseTreeTrainer.Train(data, Small);
        var (withEmpty, _) = PointwiseTreeTrainer.Train(RankingDataset.Concat(data, allNegative.Build()), Small);
        var a = new float[data.Rows];
        var b = new float[data.Rows];
        alone.Score(data.Features, data.Rows, a);
        withEmpty.Score(data.Features, data.Rows, b);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Data_without_a_positive_row_is_refused_saying_so()
    {
        var data = SyntheticData.Make(5, 10, seed: 7);
        var b = new RankingDatasetBuilder(data.Schema);
        foreach (var g in data.Groups)
            b.Add(g.QueryId, data.Features.AsSpan(g.Start * data.Schema.Count, g.Count * data.Schema.Count), new float[g.Count], data.Items.AsSpan(g.Start, g.Count), new Dictionary<string, int>());
        var e = Assert.Throws<ArgumentException>(() => PointwiseTreeTrainer.Train(b.Build(), Small));
        Assert.Contains("all 50 rows are negative", e.Message, StringComparison.Ordinal);
    }
}
