using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using Xunit;

namespace SearchRec.Ranking.Tests;

/// <summary>LambdaMART over a linear stacker's rank and standardised score (ranking round 12).</summary>
public sealed class StackedRankerTests
{
    private static readonly LambdaMartOptions Small = new() { Trees = 30 };

    private static (IRankerModel, double[]) Trees(RankingDataset d) => LambdaMartTrainer.Train(d, Small);

    [Fact]
    public void Stack_columns_are_the_rank_and_the_standardised_score_within_the_request()
    {
        float[] features = [10, 20, 30, 40];
        float[] linear = [1f, 3f, 1f, 3f];
        var wide = new float[4 * 3];
        StackedRanker.Widen(features, 4, 1, linear, wide);
        // Ranks 2, 0, 3, 1 (ties to the earlier row); mean 2, std 1.
        Assert.Equal([10, MathF.Log2(3), -1, 20, 0, 1, 30, 2, -1, 40, 1, 1], wide);
        var flat = new float[2 * 3];
        StackedRanker.Widen([1, 2], 2, 1, [5f, 5f], flat);
        Assert.Equal([1, 0, 0, 2, 1, 0], flat);

        // Negative, zero, tied and extreme scores rank as a stable descending sort would.
        var rng = new Random(5);
        float[] pool = [-3.5f, -1e-30f, -0f, 0f, 2f, 2f, 7.25f, float.MaxValue, float.MinValue, 1e-30f];
        var many = Enumerable.Range(0, 300).Select(_ => rng.Next(3) == 0 ? pool[rng.Next(pool.Length)] : (float)(rng.NextDouble() * 20 - 10)).ToArray();
        var widened = new float[many.Length * 3];
        StackedRanker.Widen(new float[many.Length], many.Length, 1, many, widened);
        var expectedOrder = Enumerable.Range(0, many.Length).OrderByDescending(i => many[i]).ThenBy(i => i).ToArray();
        for (var rank = 0; rank < expectedOrder.Length; rank++) Assert.Equal(MathF.Log2(1 + rank), widened[expectedOrder[rank] * 3 + 1]);
    }

    [Fact]
    public void The_upper_model_learns_from_scores_of_linear_models_that_never_saw_the_query()
    {
        var data = SyntheticData.Make(30, 12, seed: 4);
        var options = new LinearOptions();
        RankingDataset? seen = null;
        StackedTrainer.Train(data, options, 5, 9, d => { seen = d; return Trees(d); });

        var folds = RankerTrainer.Folds(data.Groups.Count, 5, 9);
        var dim = data.Schema.Count;
        Assert.NotNull(seen);
        Assert.Equal(StackedRanker.Widen(data.Schema, StackColumns.Linear), seen!.Schema);
        foreach (var fold in folds)
        {
            var model = LinearTrainer.Train(data.Subset([.. Enumerable.Range(0, data.Groups.Count).Except(fold)]), options);
            foreach (var g in fold)
            {
                var group = data.Groups[g];
                var scores = new float[group.Count];
                model.Score(data.Features.AsSpan(group.Start * dim, group.Count * dim), group.Count, scores);
                var expected = new float[group.Count * (dim + 2)];
                StackedRanker.Widen(data.Features.AsSpan(group.Start * dim, group.Count * dim), group.Count, dim, scores, expected);
                Assert.Equal(expected, seen.Features.AsSpan(group.Start * (dim + 2), group.Count * (dim + 2)).ToArray());
            }
        }
        // The full-data linear model ranks some training query differently from the out-of-fold ones.
        var full = LinearTrainer.Train(data, options);
        var all = new float[data.Rows];
        full.Score(data.Features, data.Rows, all);
        Assert.NotEqual(StackedTrainer.WidenDataset(data, all).Features, seen.Features);
    }

    [Fact]
    public void A_stacked_ranker_scores_its_upper_model_on_the_widened_rows_and_explains_the_whole_score()
    {
        var data = SyntheticData.Make(40, 15, seed: 8);
        var (model, importance) = StackedTrainer.Train(data, new LinearOptions(), 5, 3, Trees);
        Assert.Equal("lambdamart-stack", model.Kind);
        Assert.Equal(data.Schema, model.Schema);
        Assert.Equal(data.Schema.Count + 2, importance.Length);
        Assert.True(importance[^2] + importance[^1] > 0, "the trees should split on the stack columns of a linear-friendly signal");

        var dim = data.Schema.Count;
        var group = data.Groups[3];
        var rows = data.Features.AsSpan(group.Start * dim, group.Count * dim).ToArray();
        var scores = new float[group.Count];
        model.Score(rows, group.Count, scores);
        var linear = new float[group.Count];
        model.Base.Score(rows, group.Count, linear);
        var wide = new float[group.Count * (dim + 2)];
        StackedRanker.Widen(rows, group.Count, dim, linear, wide);
        var expected = new float[group.Count];
        model.Upper.Score(wide, group.Count, expected);
        Assert.Equal(expected, scores);

        var parts = new float[dim];
        var derivedValues = new float[2];
        var derived = new float[2];
        for (var r = 0; r < group.Count; r++)
        {
            var rest = model.Explain(rows, group.Count, r, parts);
            Assert.Equal(scores[r], parts.Sum() + rest, 3);
            // Naming the stack columns moves their share out of the remainder and nothing else.
            var restWithout = model.Explain(rows, group.Count, r, parts, derivedValues, derived);
            Assert.Equal(rest, restWithout + derived.Sum(), 3);
            Assert.Equal(wide[r * (dim + 2) + dim], derivedValues[0]);
            Assert.Equal(wide[r * (dim + 2) + dim + 1], derivedValues[1]);
        }
    }

    [Fact]
    public void An_upper_model_that_does_not_read_the_stack_columns_is_refused()
    {
        var data = SyntheticData.Make(20, 10, seed: 1);
        var linear = LinearTrainer.Train(data, new LinearOptions());
        var (trees, _) = LambdaMartTrainer.Train(data, Small);
        var e = Assert.Throws<ArgumentException>(() => new StackedRanker(linear, trees, StackColumns.Linear));
        Assert.Contains("stack_linear_rank", e.Message);
    }
}
