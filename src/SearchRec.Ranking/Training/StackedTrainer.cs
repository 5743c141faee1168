using SearchRec.Core;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Trains a <see cref="StackedRanker"/>: the upper model learns from stack columns whose linear scores are
/// out-of-fold (each training query scored by a linear model that never saw it), then reads at serving time a linear
/// model trained on all the data.
/// </summary>
public static class StackedTrainer
{
    /// <summary>
    /// Trains the linear stacker with <paramref name="linear"/> out of fold over <paramref name="innerFolds"/> folds of
    /// <paramref name="data"/>'s queries (<see cref="RankerTrainer.Folds(RankingDataset, int, int)"/> at <paramref name="seed"/>), trains
    /// <paramref name="upper"/> on the widened data, and the final linear stacker on all of it. The importance is the
    /// upper model's, per widened column (the stack columns last).
    /// </summary>
    public static (StackedRanker Model, double[] Importance) Train(RankingDataset data, LinearOptions linear, int innerFolds, int seed,
        Func<RankingDataset, (IRankerModel Model, double[] Importance)> upper)
    {
        Guard.NotNull(data);
        Guard.NotNull(linear).Validate();
        Guard.NotNull(upper);
        var outOfFold = OutOfFoldScores(data, linear, innerFolds, seed);
        var wide = WidenDataset(data, outOfFold);
        var (model, importance) = upper(wide);
        return (new StackedRanker(LinearTrainer.Train(data, linear), model, StackColumns.Linear), importance);
    }

    /// <summary>
    /// The <c>lambdamart-towers-stack</c> ranker: <see cref="Train"/> over <see cref="RankerTrainer.StackInnerFolds"/>
    /// inner folds at <paramref name="seed"/>, the upper model one LambdaMART per tower of <paramref name="towers"/>.
    /// </summary>
    public static (StackedRanker Model, double[] Importance) TrainOverTowers(RankingDataset data, LinearOptions linear, LambdaMartOptions lambdaMart,
        IReadOnlyList<TowerInfo> towers, int seed) =>
        Train(data, linear, RankerTrainer.StackInnerFolds, seed, wide =>
        {
            var (upper, gain) = TowerAveragedTrainer.Train(wide, lambdaMart, towers);
            return (upper, gain);
        });

    /// <summary>
    /// The <c>lambdamart-towers-transfer</c> ranker (ranking round 13): one LambdaMART per tower of <paramref name="towers"/>
    /// over the rank and standardised score of <paramref name="transfer"/>, a model trained on other judgments only, so
    /// the training rows take its scores as they are (nothing of <paramref name="data"/> reached it).
    /// </summary>
    public static (StackedRanker Model, double[] Importance) TrainTransferOverTowers(RankingDataset data, IRankerModel transfer, LambdaMartOptions lambdaMart,
        IReadOnlyList<TowerInfo> towers)
    {
        Guard.NotNull(data);
        Guard.NotNull(transfer);
        var diff = data.Schema.DescribeDifference(transfer.Schema);
        if (diff is not null) throw new ArgumentException($"The transfer model reads other features than the data: {diff}.", nameof(transfer));
        var scores = new float[data.Rows];
        var dim = data.Schema.Count;
        foreach (var g in data.Groups)
            transfer.Score(data.Features.AsSpan(g.Start * dim, g.Count * dim), g.Count, scores.AsSpan(g.Start, g.Count));
        var (upper, importance) = TowerAveragedTrainer.Train(WidenDataset(data, scores, StackColumns.Transfer), lambdaMart, towers);
        return (new StackedRanker(transfer, upper, StackColumns.Transfer), importance);
    }

    /// <summary>One linear score per row of <paramref name="data"/>, each from the model trained without its query's fold.</summary>
    public static float[] OutOfFoldScores(RankingDataset data, LinearOptions linear, int innerFolds, int seed)
    {
        Guard.NotNull(data);
        var folds = RankerTrainer.Folds(data, innerFolds, seed);
        var scores = new float[data.Rows];
        var dim = data.Schema.Count;
        for (var f = 0; f < folds.Length; f++)
        {
            var others = new List<int>(data.Groups.Count);
            for (var o = 0; o < folds.Length; o++)
                if (o != f) others.AddRange(folds[o]);
            others.Sort();
            var model = LinearTrainer.Train(data.Subset(others), linear);
            foreach (var g in folds[f])
            {
                var group = data.Groups[g];
                model.Score(data.Features.AsSpan(group.Start * dim, group.Count * dim), group.Count, scores.AsSpan(group.Start, group.Count));
            }
        }
        return scores;
    }

    /// <summary><paramref name="data"/> with the derived columns of <paramref name="linearScores"/> (one per row) appended, group by group.</summary>
    public static RankingDataset WidenDataset(RankingDataset data, float[] linearScores, StackColumns? columns = null)
    {
        columns ??= StackColumns.Linear;
        Guard.NotNull(data);
        Guard.NotNull(linearScores);
        if (linearScores.Length != data.Rows) throw new ArgumentException($"{linearScores.Length} linear scores for {data.Rows} rows.", nameof(linearScores));
        var dim = data.Schema.Count;
        var width = dim + columns.Names.Count;
        var b = new RankingDatasetBuilder(StackedRanker.Widen(data.Schema, columns));
        foreach (var g in data.Groups)
        {
            var rows = new float[g.Count * width];
            StackedRanker.Widen(data.Features.AsSpan(g.Start * dim, g.Count * dim), g.Count, dim, linearScores.AsSpan(g.Start, g.Count), rows);
            b.Add(g.QueryId, rows, data.Labels.AsSpan(g.Start, g.Count), data.Items.AsSpan(g.Start, g.Count), g.Judgments, g.Weight, g.Text);
        }
        return b.Build();
    }
}
