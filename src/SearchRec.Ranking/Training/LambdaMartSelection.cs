using SearchRec.Core;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Chooses LambdaMART settings by cross-validation inside the given (training) queries only, so that an outer
/// cross-validation around it stays honest (nested CV): each setting of a small fixed grid is scored by its mean
/// out-of-fold nDCG@10 over inner folds; the best is returned (ties keep the earlier setting, the default first).
/// </summary>
public static class LambdaMartSelection
{
    /// <summary>
    /// The grid, fixed in advance: the defaults (300 trees, 16 leaves, learning rate 0.05, 20 rows per leaf), fewer
    /// and smaller trees, more and slower trees, bigger trees, smaller trees with larger leaves, and LightGBM.
    /// </summary>
    public static IReadOnlyList<LambdaMartOptions> DefaultGrid(int seed) =>
    [
        new() { Seed = seed },
        new() { Seed = seed, Trees = 150, Leaves = 8, LearningRate = 0.1 },
        new() { Seed = seed, Trees = 600, LearningRate = 0.025 },
        new() { Seed = seed, Leaves = 32, MinRowsPerLeaf = 10 },
        new() { Seed = seed, Leaves = 8, MinRowsPerLeaf = 50 },
        new() { Seed = seed, Engine = LambdaMartEngine.LightGbm },
    ];

    /// <summary>A short label of a setting (engine, trees, leaves, learning rate, rows per leaf).</summary>
    public static string Describe(LambdaMartOptions o)
    {
        Guard.NotNull(o);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{o.Engine} {o.Trees}t/{o.Leaves}l/lr{o.LearningRate}/min{o.MinRowsPerLeaf}");
    }

    /// <summary>
    /// Scores every setting of <paramref name="grid"/> by <paramref name="innerFolds"/>-fold cross-validation over
    /// <paramref name="data"/>'s queries and returns the best with each setting's mean nDCG@10.
    /// </summary>
    public static (LambdaMartOptions Best, double[] Ndcg10) Choose(RankingDataset data, IReadOnlyList<LambdaMartOptions> grid, int innerFolds, int seed,
        Action<string>? progress = null)
    {
        Guard.NotNull(data);
        Guard.NotNull(grid);
        if (grid.Count == 0) throw new ArgumentException("The grid is empty.", nameof(grid));
        if (innerFolds < 2) throw new ArgumentOutOfRangeException(nameof(innerFolds), innerFolds, "innerFolds must be at least 2.");
        foreach (var o in grid) Guard.NotNull(o).Validate();
        var scores = new double[grid.Count];
        var best = 0;
        for (var i = 0; i < grid.Count; i++)
        {
            var options = grid[i];
            scores[i] = RankerTrainer.CrossValidate(Describe(options), data, d => LambdaMartTrainer.Train(d, options).Model, innerFolds, seed).Ndcg10;
            progress?.Invoke($"inner CV {Describe(options)}: nDCG@10 {scores[i]:F4}");
            if (scores[i] > scores[best]) best = i;
        }
        return (grid[best], scores);
    }
}
