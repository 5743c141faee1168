using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using SearchRec.Core;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>Which library grows the LambdaMART trees.</summary>
public enum LambdaMartEngine
{
    /// <summary>ML.NET's FastTree ranking trainer (default).</summary>
    FastTree,
    /// <summary>ML.NET's LightGBM ranking trainer.</summary>
    LightGbm,
}

/// <summary>LambdaMART training options. Validate with <see cref="Validate"/>.</summary>
public sealed class LambdaMartOptions
{
    /// <summary>The tree library. Default FastTree.</summary>
    public LambdaMartEngine Engine { get; set; } = LambdaMartEngine.FastTree;

    /// <summary>Number of boosting rounds (trees). Default 300.</summary>
    public int Trees { get; set; } = 300;

    /// <summary>Leaves per tree. Default 16.</summary>
    public int Leaves { get; set; } = 16;

    /// <summary>Minimum rows per leaf. Default 20.</summary>
    public int MinRowsPerLeaf { get; set; } = 20;

    /// <summary>Shrinkage. Default 0.05.</summary>
    public double LearningRate { get; set; } = 0.05;

    /// <summary>Share of features sampled per tree (0, 1]. Default 0.8.</summary>
    public double FeatureFraction { get; set; } = 0.8;

    /// <summary>Rank cut-off of the nDCG whose gradients FastTree follows (LambdaMART's truncation). Default 100 (ML.NET's default); LightGBM ignores it.</summary>
    public int NdcgTruncation { get; set; } = 100;

    /// <summary>Random seed. Default 7.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Throws naming the first bad field.</summary>
    public LambdaMartOptions Validate()
    {
        Guard.Positive(Trees, "LambdaMartOptions.Trees");
        if (Leaves < 2) throw new ArgumentOutOfRangeException(nameof(Leaves), Leaves, "LambdaMartOptions.Leaves must be at least 2.");
        Guard.Positive(MinRowsPerLeaf, "LambdaMartOptions.MinRowsPerLeaf");
        Guard.InRange(LearningRate, 1e-6, 1, "LambdaMartOptions.LearningRate");
        Guard.InRange(FeatureFraction, 1e-6, 1, "LambdaMartOptions.FeatureFraction");
        Guard.Positive(NdcgTruncation, "LambdaMartOptions.NdcgTruncation");
        return this;
    }

    /// <summary>The options as text, for the model card.</summary>
    public IEnumerable<KeyValuePair<string, string>> Describe() =>
    [
        new("engine", Engine.ToString()), new("trees", Trees.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("leaves", Leaves.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("min_rows_per_leaf", MinRowsPerLeaf.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("learning_rate", LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("feature_fraction", FeatureFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("ndcg_truncation", NdcgTruncation.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

/// <summary>
/// Trains LambdaMART with ML.NET (rows grouped by query, graded labels, NaN features read as 0) and extracts the
/// trees into a <see cref="TreeEnsembleRanker"/>, so serving needs no ML.NET pipeline.
/// </summary>
public static class LambdaMartTrainer
{
    /// <summary>Trains on all of <paramref name="data"/>; also returns the gain-based feature importance.</summary>
    public static (TreeEnsembleRanker Model, double[] Importance) Train(RankingDataset data, LambdaMartOptions options)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        if (data.Groups.Count == 0) throw new ArgumentException("No query groups to train on.", nameof(data));
        var gains = Gains(data.Labels);
        var (ml, view) = ToDataView(data, options.Seed);
        TreeEnsembleModelParametersBasedOnRegressionTree parameters;
        if (options.Engine == LambdaMartEngine.FastTree)
        {
            var fastTree = WithTrees(new FastTreeRankingTrainer.Options { RowGroupColumnName = "GroupId", NdcgTruncationLevel = options.NdcgTruncation }, options, data.IsWeighted);
            if (gains is not null) fastTree.CustomGains = gains;
            parameters = ml.Ranking.Trainers.FastTree(fastTree).Fit(view).Model;
        }
        else
        {
            var lightGbm = new LightGbmRankingTrainer.Options
            {
                LabelColumnName = "Label",
                FeatureColumnName = "Features",
                RowGroupColumnName = "GroupId",
                NumberOfIterations = options.Trees,
                NumberOfLeaves = options.Leaves,
                MinimumExampleCountPerLeaf = options.MinRowsPerLeaf,
                LearningRate = options.LearningRate,
                Seed = options.Seed,
                NumberOfThreads = 1,
                ExampleWeightColumnName = data.IsWeighted ? "Weight" : null,
                Booster = new GradientBooster.Options { FeatureFraction = options.FeatureFraction },
            };
            if (gains is not null) lightGbm.CustomGains = Array.ConvertAll(gains, g => (int)g);
            parameters = ml.Ranking.Trainers.LightGbm(lightGbm).Fit(view).Model;
        }
        return FromTrees(data.Schema, parameters);
    }

    /// <summary>FastTree's options (of LambdaMART or of the pointwise classifier) set from <paramref name="options"/>: one thread, so runs repeat.</summary>
    internal static T WithTrees<T>(T fastTree, LambdaMartOptions options, bool weighted) where T : BoostedTreeOptions
    {
        fastTree.LabelColumnName = "Label";
        fastTree.FeatureColumnName = "Features";
        fastTree.NumberOfTrees = options.Trees;
        fastTree.NumberOfLeaves = options.Leaves;
        fastTree.MinimumExampleCountPerLeaf = options.MinRowsPerLeaf;
        fastTree.LearningRate = options.LearningRate;
        fastTree.FeatureFraction = options.FeatureFraction;
        fastTree.ExampleWeightColumnName = weighted ? "Weight" : null;
        fastTree.Seed = options.Seed;
        fastTree.NumberOfThreads = 1;
        return fastTree;
    }

    /// <summary>The trained trees as a <see cref="TreeEnsembleRanker"/>, with ML.NET's gain-based feature importance.</summary>
    internal static (TreeEnsembleRanker Model, double[] Importance) FromTrees(Features.FeatureSchema schema, TreeEnsembleModelParametersBasedOnRegressionTree parameters)
    {
        var model = Extract(schema, parameters.TrainedTreeEnsemble);
        var weights = default(VBuffer<float>);
        parameters.GetFeatureWeights(ref weights);
        var importance = new double[schema.Count];
        var dense = weights.DenseValues().ToArray();
        for (var i = 0; i < Math.Min(dense.Length, importance.Length); i++) importance[i] = dense[i];
        return (model, importance);
    }

    /// <summary>
    /// Null when every grade is within ML.NET's default gains (0, 3, 7, 15, 31 for grades 0–4), so the usual models are
    /// unchanged; otherwise those gains continued (2^(grade+1) − 1) up to the highest grade, so finer scales train
    /// instead of failing inside ML.NET.
    /// </summary>
    internal static double[]? Gains(IReadOnlyList<float> labels)
    {
        var max = 4;
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            if (!(label >= 0 && label <= RankingDataset.MaxLabel) || label != MathF.Floor(label))
                throw new ArgumentException($"LambdaMART trains on whole grades from 0 to {RankingDataset.MaxLabel}, but the judgments hold grade {label}: rescale them.", nameof(labels));
            max = Math.Max(max, (int)label);
        }
        if (max == 4) return null;
        var gains = new double[max + 1];
        for (var g = 1; g <= max; g++) gains[g] = Math.Pow(2, g + 1) - 1;
        return gains;
    }

    /// <summary>The ML.NET view of the data (features with NaN as 0, a key-typed group id), for training and parity checks.</summary>
    internal static (MLContext Ml, IDataView View) ToDataView(RankingDataset data, int seed)
    {
        var ml = new MLContext(seed);
        var dim = data.Schema.Count;
        var rows = new MlRow[data.Rows];
        for (var g = 0; g < data.Groups.Count; g++)
        {
            var group = data.Groups[g];
            for (var r = group.Start; r < group.Start + group.Count; r++)
            {
                var f = new float[dim];
                TreeEnsembleRanker.CopyRow(data.Row(r), f);
                rows[r] = new MlRow { Label = data.Labels[r], GroupId = (uint)(g + 1), Features = f, Weight = group.Weight };
            }
        }
        var def = SchemaDefinition.Create(typeof(MlRow));
        def[nameof(MlRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dim);
        def[nameof(MlRow.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), Math.Max(1, data.Groups.Count));
        return (ml, ml.Data.LoadFromEnumerable(rows, def));
    }

    internal static TreeEnsembleRanker Extract(Features.FeatureSchema schema, TreeEnsemble<RegressionTree> ensemble)
    {
        var trees = new List<TreeEnsembleRanker.Tree>(ensemble.Trees.Count);
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            for (var n = 0; n < tree.NumberOfNodes; n++)
                if (tree.CategoricalSplitFlags[n]) throw new InvalidOperationException("Categorical splits are not supported; features are all numeric.");
            trees.Add(new TreeEnsembleRanker.Tree(
                tree.NumericalSplitFeatureIndexes.ToArray(),
                tree.NumericalSplitThresholds.ToArray(),
                tree.LeftChild.ToArray(),
                tree.RightChild.ToArray(),
                tree.LeafValues.ToArray(),
                ensemble.TreeWeights[t]));
        }
        return new TreeEnsembleRanker(schema, trees, ensemble.Bias);
    }

    internal sealed class MlRow
    {
        public float Label { get; set; }
        public uint GroupId { get; set; }
        public float[] Features { get; set; } = [];
        public float Weight { get; set; } = 1f;
    }
}
