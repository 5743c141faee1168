using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using SearchRec.Core;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Boosted trees fitted pointwise: ML.NET's FastTree binary classifier (log-loss) over every row, a row positive when
/// its grade is above 0 and groups ignored, so groups without a positive teach it too. The raw margin (before Platt
/// calibration, which keeps the order) is the score, and the trees serve as a <see cref="TreeEnsembleRanker"/> as
/// LambdaMART's do. Uses the tree options of <see cref="LambdaMartOptions"/>; nDCG truncation does not apply.
/// </summary>
public static class PointwiseTreeTrainer
{
    /// <summary>Trains on all rows of <paramref name="data"/>; also returns the gain-based feature importance.</summary>
    public static (TreeEnsembleRanker Model, double[] Importance) Train(RankingDataset data, LambdaMartOptions options)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        if (options.Engine != LambdaMartEngine.FastTree) throw new ArgumentException("Pointwise trees are grown by FastTree; leave out the LightGBM engine.", nameof(options));
        var (ml, view) = ToDataView(data, options.Seed);
        var trees = ml.BinaryClassification.Trainers.FastTree(LambdaMartTrainer.WithTrees(new FastTreeBinaryTrainer.Options(), options, data.IsWeighted)).Fit(view).Model.SubModel;
        return LambdaMartTrainer.FromTrees(data.Schema, trees);
    }

    /// <summary>The ML.NET view of the data for the classifier (NaN features as 0, as LambdaMART reads them), for training and parity checks.</summary>
    internal static (MLContext Ml, IDataView View) ToDataView(RankingDataset data, int seed)
    {
        var positives = 0;
        var rows = new BinaryRow[data.Rows];
        foreach (var group in data.Groups)
            for (var r = group.Start; r < group.Start + group.Count; r++)
            {
                var f = new float[data.Schema.Count];
                TreeEnsembleRanker.CopyRow(data.Row(r), f);
                var positive = data.Labels[r] > 0;
                if (positive) positives++;
                rows[r] = new BinaryRow { Label = positive, Features = f, Weight = group.Weight };
            }
        if (positives == 0 || positives == data.Rows)
            throw new ArgumentException($"Pointwise trees need positive and negative rows; all {data.Rows:N0} rows are {(positives == 0 ? "negative" : "positive")}.", nameof(data));
        var ml = new MLContext(seed);
        var def = SchemaDefinition.Create(typeof(BinaryRow));
        def[nameof(BinaryRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Schema.Count);
        return (ml, ml.Data.LoadFromEnumerable(rows, def));
    }

    internal sealed class BinaryRow
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
        public float Weight { get; set; } = 1f;
    }
}
