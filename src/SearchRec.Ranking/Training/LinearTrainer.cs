using SearchRec.Core;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>Options of the linear stacker. Validate with <see cref="Validate"/>.</summary>
public sealed class LinearOptions
{
    /// <summary>L2 penalty on the weights. Default 0.01.</summary>
    public double L2 { get; set; } = 0.01;

    /// <summary>Full-batch gradient steps. Default 300.</summary>
    public int Iterations { get; set; } = 300;

    /// <summary>Step size. Default 0.5.</summary>
    public double LearningRate { get; set; } = 0.5;

    /// <summary>At most this many preference pairs per query (sampled). Default 400.</summary>
    public int MaxPairsPerQuery { get; set; } = 400;

    /// <summary>Random seed for pair sampling. Default 7.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Throws naming the first bad field.</summary>
    public LinearOptions Validate()
    {
        Guard.InRange(L2, 0, 1e6, "LinearOptions.L2");
        Guard.Positive(Iterations, "LinearOptions.Iterations");
        Guard.InRange(LearningRate, 1e-9, 100, "LinearOptions.LearningRate");
        Guard.Positive(MaxPairsPerQuery, "LinearOptions.MaxPairsPerQuery");
        return this;
    }
}

/// <summary>
/// Stacking: fits a <see cref="LinearRanker"/> over standardised features with an L2-regularised pairwise logistic
/// loss (RankNet with a linear scorer), pairs taken within each query between rows of different grades.
/// </summary>
public static class LinearTrainer
{
    /// <summary>Trains on all of <paramref name="data"/>.</summary>
    public static LinearRanker Train(RankingDataset data, LinearOptions options)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        var dim = data.Schema.Count;
        var rows = data.Rows;
        var mean = new double[dim];
        var sq = new double[dim];
        for (var r = 0; r < rows; r++)
        {
            var x = data.Row(r);
            for (var i = 0; i < dim; i++)
            {
                var v = float.IsNaN(x[i]) ? 0 : x[i];
                mean[i] += v;
                sq[i] += (double)v * v;
            }
        }
        var meanF = new float[dim];
        var scale = new float[dim];
        for (var i = 0; i < dim; i++)
        {
            var m = rows > 0 ? mean[i] / rows : 0;
            var var_ = rows > 0 ? sq[i] / rows - m * m : 0;
            meanF[i] = (float)m;
            scale[i] = var_ > 1e-12 ? (float)Math.Sqrt(var_) : 1f;
        }
        var z = new float[rows * dim];
        for (var r = 0; r < rows; r++)
        {
            var x = data.Row(r);
            for (var i = 0; i < dim; i++) z[r * dim + i] = ((float.IsNaN(x[i]) ? 0 : x[i]) - meanF[i]) / scale[i];
        }

        var pairs = new List<(int Hi, int Lo)>();
        var rng = new Random(options.Seed);
        foreach (var g in data.Groups)
        {
            var local = new List<(int, int)>();
            for (var a = g.Start; a < g.Start + g.Count; a++)
                for (var b = g.Start; b < g.Start + g.Count; b++)
                    if (data.Labels[a] > data.Labels[b]) local.Add((a, b));
            if (local.Count > options.MaxPairsPerQuery)
            {
                for (var i = 0; i < options.MaxPairsPerQuery; i++)
                {
                    var j = rng.Next(i, local.Count);
                    (local[i], local[j]) = (local[j], local[i]);
                }
                local.RemoveRange(options.MaxPairsPerQuery, local.Count - options.MaxPairsPerQuery);
            }
            pairs.AddRange(local);
        }

        var w = new double[dim];
        var grad = new double[dim];
        if (pairs.Count > 0)
        {
            for (var it = 0; it < options.Iterations; it++)
            {
                Array.Clear(grad);
                foreach (var (hi, lo) in pairs)
                {
                    double s = 0;
                    for (var i = 0; i < dim; i++) s += w[i] * (z[hi * dim + i] - z[lo * dim + i]);
                    var g = -1.0 / (1.0 + Math.Exp(s)); // d/ds log(1 + e^-s)
                    for (var i = 0; i < dim; i++) grad[i] += g * (z[hi * dim + i] - z[lo * dim + i]);
                }
                for (var i = 0; i < dim; i++) w[i] -= options.LearningRate * (grad[i] / pairs.Count + options.L2 * w[i]);
            }
        }
        return new LinearRanker(data.Schema, meanF, scale, w.Select(v => (float)v).ToArray(), 0f);
    }
}
