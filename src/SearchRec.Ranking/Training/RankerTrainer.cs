using SearchRec.Core;
using SearchRec.Ranking.Models;
using SearchRec.Text;

namespace SearchRec.Ranking.Training;

/// <summary>The combiners SearchRec offers: weighted averaging, stacking and boosting.</summary>
public enum CombinerKind
{
    /// <summary>LambdaMART (boosting).</summary>
    LambdaMart,
    /// <summary>Regularised linear model over the features (stacking).</summary>
    Linear,
    /// <summary>Weighted average of normalised scores (averaging).</summary>
    Weighted,
    /// <summary>Query-bagged LambdaMART: members trained on bootstrap samples of the queries, scores averaged.</summary>
    LambdaMartBag,
    /// <summary>One LambdaMART per text tower of an ensemble, each with that tower's deep columns, raw scores averaged.</summary>
    LambdaMartTowers,
    /// <summary><see cref="LambdaMartTowers"/> whose members also read a linear stacker's rank and standardised score (out of fold in training).</summary>
    LambdaMartTowersStack,
    /// <summary><see cref="LambdaMartTowers"/> whose members also read the rank and standardised score of a model trained on other judgments (<see cref="RankerTrainingOptions.Transfer"/>).</summary>
    LambdaMartTowersTransfer,
}

/// <summary>Options of all three combiners, with the kind to train.</summary>
public sealed class RankerTrainingOptions
{
    /// <summary>Which combiner to train. Default LambdaMART.</summary>
    public CombinerKind Kind { get; set; } = CombinerKind.LambdaMart;

    /// <summary>LambdaMART options.</summary>
    public LambdaMartOptions LambdaMart { get; set; } = new();

    /// <summary>Query-bagged LambdaMART options.</summary>
    public BaggedLambdaMartOptions Bagged { get; set; } = new();

    /// <summary>
    /// The towers of a <see cref="CombinerKind.LambdaMartTowers"/> ranker (from <see cref="Features.TowerSet.Info"/>),
    /// recorded in the saved model. Required to train that kind on all data; cross-validation does without.
    /// </summary>
    public IReadOnlyList<TowerInfo>? Towers { get; set; }

    /// <summary>
    /// The model trained on other judgments (QBQTC) whose scores a <see cref="CombinerKind.LambdaMartTowersTransfer"/>
    /// ranker's members read; over the same features as the data. Required for that kind.
    /// </summary>
    public IRankerModel? Transfer { get; set; }

    /// <summary>Linear stacker options.</summary>
    public LinearOptions Linear { get; set; } = new();

    /// <summary>Weighted average options.</summary>
    public WeightedOptions Weighted { get; set; } = new();

    /// <summary>True for the combiners trained over the deep columns of each tower of an ensemble.</summary>
    public bool UsesTowers => Kind is CombinerKind.LambdaMartTowers or CombinerKind.LambdaMartTowersStack or CombinerKind.LambdaMartTowersTransfer;

    /// <summary>Cross-validation folds (by query). Default 5.</summary>
    public int Folds { get; set; } = 5;

    /// <summary>Seed for fold assignment. Default 13.</summary>
    public int Seed { get; set; } = 13;

    /// <summary>Throws naming the first bad field.</summary>
    public RankerTrainingOptions Validate()
    {
        Guard.NotNull(LambdaMart, "RankerTrainingOptions.LambdaMart").Validate();
        Guard.NotNull(Linear, "RankerTrainingOptions.Linear").Validate();
        Guard.NotNull(Bagged, "RankerTrainingOptions.Bagged").Validate();
        Guard.NotNull(Weighted, "RankerTrainingOptions.Weighted").Validate();
        if (Folds < 2) throw new ArgumentOutOfRangeException(nameof(Folds), Folds, "RankerTrainingOptions.Folds must be at least 2.");
        return this;
    }

    /// <summary>Parses <c>lambdamart</c>, <c>lambdamart-bag</c>, <c>lambdamart-towers</c>, <c>lambdamart-towers-stack</c>, <c>lambdamart-towers-transfer</c>, <c>linear</c> or <c>weighted</c>.</summary>
    public static CombinerKind ParseKind(string name) => name.ToLowerInvariant() switch
    {
        "lambdamart" or "fused" => CombinerKind.LambdaMart,
        "linear" => CombinerKind.Linear,
        "weighted" => CombinerKind.Weighted,
        "lambdamart-bag" => CombinerKind.LambdaMartBag,
        "lambdamart-towers" => CombinerKind.LambdaMartTowers,
        "lambdamart-towers-stack" => CombinerKind.LambdaMartTowersStack,
        "lambdamart-towers-transfer" => CombinerKind.LambdaMartTowersTransfer,
        _ => throw new ArgumentException($"Unknown combiner '{name}': use lambdamart, lambdamart-bag, lambdamart-towers, lambdamart-towers-stack, lambdamart-towers-transfer, linear or weighted."),
    };
}

/// <summary>Out-of-fold scores of a combiner: every row scored by a model that never saw its query.</summary>
/// <param name="Name">The ranker's name.</param>
/// <param name="Scores">One score per dataset row.</param>
/// <param name="PerQuery">Metrics per query group with a judgment above 0 (as <c>eval</c> counts queries), in group order.</param>
public sealed record CrossValidatedRun(string Name, float[] Scores, QueryMetrics[] PerQuery)
{
    /// <summary>Mean nDCG@10 over queries.</summary>
    public double Ndcg10 => PerQuery.Length == 0 ? 0 : PerQuery.Average(m => m.Ndcg10);

    /// <summary>Mean MRR@10 over queries.</summary>
    public double Mrr10 => PerQuery.Length == 0 ? 0 : PerQuery.Average(m => m.Mrr10);

    /// <summary>Mean Recall@100 over queries.</summary>
    public double Recall100 => PerQuery.Length == 0 ? 0 : PerQuery.Average(m => m.Recall100);
}

/// <summary>Trains any combiner and cross-validates it by query group.</summary>
public static class RankerTrainer
{
    /// <summary>Inner folds of the out-of-fold linear scores a stacked ranker's upper model learns from (ranking round 12).</summary>
    public const int StackInnerFolds = 5;

    /// <summary>
    /// Trains the chosen combiner on all of <paramref name="data"/>; importance is per feature (gain for LambdaMART,
    /// |weight| otherwise; a stacked ranker's upper model's gain, the two stack columns last).
    /// </summary>
    public static (IRankerModel Model, double[] Importance) Train(RankingDataset data, RankerTrainingOptions options)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        switch (options.Kind)
        {
            case CombinerKind.LambdaMart:
                var (tree, gain) = LambdaMartTrainer.Train(data, options.LambdaMart);
                return (tree, gain);
            case CombinerKind.LambdaMartBag:
                var (bag, bagGain) = BaggedLambdaMartTrainer.Train(data, options.Bagged);
                return (bag, bagGain);
            case CombinerKind.LambdaMartTowers:
                var towers = options.Towers ?? throw new ArgumentException("RankerTrainingOptions.Towers must name the towers to train lambdamart-towers (TowerSet.Info()).");
                var (averaged, towerGain) = TowerAveragedTrainer.Train(data, options.LambdaMart, towers);
                return (averaged, towerGain);
            case CombinerKind.LambdaMartTowersStack:
                var stackTowers = options.Towers ?? throw new ArgumentException("RankerTrainingOptions.Towers must name the towers to train lambdamart-towers-stack (TowerSet.Info()).");
                var (stacked, stackGain) = StackedTrainer.TrainOverTowers(data, options.Linear, options.LambdaMart, stackTowers, options.Seed + 1);
                return (stacked, stackGain);
            case CombinerKind.LambdaMartTowersTransfer:
                var transferTowers = options.Towers ?? throw new ArgumentException("RankerTrainingOptions.Towers must name the towers to train lambdamart-towers-transfer (TowerSet.Info()).");
                var transfer = options.Transfer ?? throw new ArgumentException("RankerTrainingOptions.Transfer must hold the model trained on other judgments to train lambdamart-towers-transfer.");
                var (transferred, transferGain) = StackedTrainer.TrainTransferOverTowers(data, transfer, options.LambdaMart, transferTowers);
                return (transferred, transferGain);
            case CombinerKind.Linear:
                var lin = LinearTrainer.Train(data, options.Linear);
                return (lin, lin.Weights.Select(w => (double)Math.Abs(w)).ToArray());
            default:
                var wt = WeightedTrainer.Train(data, options.Weighted);
                var imp = new double[data.Schema.Count];
                for (var i = 0; i < wt.Features.Count; i++) imp[data.Schema.IndexOf(wt.Features[i])] = wt.Weights[i];
                return (wt, imp);
        }
    }

    /// <summary>
    /// The query groups of each fold: groups are shuffled with <paramref name="seed"/> and dealt round-robin, so a
    /// query's rows never sit in two folds.
    /// </summary>
    public static int[][] Folds(int groups, int folds, int seed)
    {
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "folds must be at least 2.");
        if (groups < folds) throw new ArgumentException($"{groups} queries cannot be split into {folds} folds.", nameof(groups));
        var order = Enumerable.Range(0, groups).ToArray();
        new Random(seed).Shuffle(order);
        var result = new List<int>[folds];
        for (var f = 0; f < folds; f++) result[f] = [];
        for (var i = 0; i < order.Length; i++) result[i % folds].Add(order[i]);
        return result.Select(f => f.Order().ToArray()).ToArray();
    }

    /// <summary>
    /// The groups of <paramref name="data"/> in each fold, dealing query texts instead of groups: groups of the same
    /// <see cref="QueryGroup.Text"/> (as <see cref="QueryTextComparer"/> sees it: the same query under two ids, or a
    /// shop's many searches for one text) share a fold, so no text is trained on and scored in one cross-validation;
    /// a group without a text is its own. With every text distinct the folds are those of <see cref="Folds(int, int, int)"/>;
    /// with fewer distinct texts than <paramref name="folds"/> (but at least two), one fold per text.
    /// </summary>
    public static int[][] Folds(RankingDataset data, int folds, int seed)
    {
        Guard.NotNull(data);
        var keyOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var groupKey = new int[data.Groups.Count];
        for (var g = 0; g < groupKey.Length; g++)
        {
            var group = data.Groups[g];
            var key = group.Text is { } text ? "t:" + QueryTextComparer.Key(text) : "id:" + group.QueryId;
            if (!keyOf.TryGetValue(key, out var k)) keyOf[key] = k = keyOf.Count;
            groupKey[g] = k;
        }
        // Fewer distinct texts than folds (a tiny set of repeated searches): one fold per text, as long as there are two.
        if (keyOf.Count < folds && keyOf.Count < groupKey.Length)
        {
            if (keyOf.Count < 2) throw new ArgumentException($"{groupKey.Length} queries of one text cannot be cross-validated: no fold would hold another text to learn from.", nameof(data));
            folds = keyOf.Count;
        }
        var foldOfKey = new int[keyOf.Count];
        var byKey = Folds(keyOf.Count, folds, seed);
        for (var f = 0; f < byKey.Length; f++)
            foreach (var k in byKey[f]) foldOfKey[k] = f;
        var result = new List<int>[byKey.Length];
        for (var f = 0; f < result.Length; f++) result[f] = [];
        for (var g = 0; g < groupKey.Length; g++) result[foldOfKey[groupKey[g]]].Add(g);
        return result.Select(f => f.ToArray()).ToArray();
    }

    /// <summary>
    /// Cross-validates a combiner: for each fold, trains on the other folds' queries and scores the fold's; queries of
    /// one text share a fold (<see cref="Folds(RankingDataset, int, int)"/>).
    /// <paramref name="progress"/> hears "fold i/k".
    /// </summary>
    public static CrossValidatedRun CrossValidate(string name, RankingDataset data, Func<RankingDataset, IRankerModel> train, int folds, int seed,
        Action<string>? progress = null)
    {
        Guard.NotNull(data);
        Guard.NotNull(train);
        var scores = new float[data.Rows];
        var assignment = Folds(data, folds, seed);
        for (var f = 0; f < assignment.Length; f++)
        {
            progress?.Invoke($"{name}: fold {f + 1}/{assignment.Length}");
            var trainGroups = assignment.Where((_, i) => i != f).SelectMany(x => x).Order().ToArray();
            var model = train(data.Subset(trainGroups));
            ScoreGroups(model, data, assignment[f], scores);
        }
        return new CrossValidatedRun(name, scores, Counted(data, scores));
    }

    /// <summary>The run of a single feature used as the ranking score (a "single ranker" baseline); NaN ranks last. Negate for rank-like features.</summary>
    public static CrossValidatedRun SingleFeature(string name, RankingDataset data, string feature, bool higherIsBetter = true)
    {
        Guard.NotNull(data);
        var col = data.Schema.IndexOf(feature);
        if (col < 0) throw new ArgumentException($"Feature '{feature}' is not in the schema.", nameof(feature));
        var scores = new float[data.Rows];
        for (var r = 0; r < data.Rows; r++)
        {
            var v = data.Features[r * data.Schema.Count + col];
            scores[r] = float.IsNaN(v) ? float.NegativeInfinity : higherIsBetter ? v : -v;
        }
        return new CrossValidatedRun(name, scores, Counted(data, scores));
    }

    // As in eval and compare, a query counts when it has a judgment above 0: one judged all-irrelevant would score 0
    // for every ranker and pull every figure on the card below eval's for the same queries.
    private static QueryMetrics[] Counted(RankingDataset data, float[] scores)
    {
        var all = DatasetMetrics.PerQuery(data, scores);
        return all.Where((_, g) => data.Groups[g].Judgments.Values.Any(v => v > 0)).ToArray();
    }

    /// <summary>Scores the given groups of <paramref name="data"/> with <paramref name="model"/> into <paramref name="scores"/>.</summary>
    public static void ScoreGroups(IRankerModel model, RankingDataset data, IEnumerable<int> groups, float[] scores)
    {
        Guard.NotNull(model);
        Guard.NotNull(data);
        Guard.NotNull(groups);
        Guard.NotNull(scores);
        var dim = data.Schema.Count;
        foreach (var g in groups)
        {
            var group = data.Groups[g];
            model.Score(data.Features.AsSpan(group.Start * dim, group.Count * dim), group.Count, scores.AsSpan(group.Start, group.Count));
        }
    }
}
