using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// Stacking: a linear model over standardised features, <c>bias + Σ w·(x − mean)/scale</c>
/// (trained with a regularised pairwise loss, see <see cref="Training.LinearTrainer"/>).
/// </summary>
public sealed class LinearRanker : IRankerModel
{
    private readonly float[] _mean;
    private readonly float[] _scale;
    private readonly float[] _weights;

    /// <summary>Creates the model; all arrays are <c>schema.Count</c> long and scales are positive.</summary>
    public LinearRanker(FeatureSchema schema, float[] mean, float[] scale, float[] weights, float bias)
    {
        Schema = Guard.NotNull(schema);
        _mean = Check(mean, schema.Count, nameof(mean));
        _scale = Check(scale, schema.Count, nameof(scale));
        _weights = Check(weights, schema.Count, nameof(weights));
        for (var i = 0; i < _scale.Length; i++)
        {
            if (!(_scale[i] > 0) || !float.IsFinite(_scale[i])) throw new InvalidDataException($"scale of feature '{schema.Names[i]}' must be positive and finite, not {_scale[i]}.");
            if (!float.IsFinite(_mean[i])) throw new InvalidDataException($"mean of feature '{schema.Names[i]}' must be a finite number, not {_mean[i]}.");
            if (!float.IsFinite(_weights[i])) throw new InvalidDataException($"weight of feature '{schema.Names[i]}' must be a finite number, not {_weights[i]}.");
        }
        if (!float.IsFinite(bias)) throw new InvalidDataException($"bias {bias} is not a finite number.");
        Bias = bias;
    }

    /// <inheritdoc />
    public string Kind => "linear";

    /// <inheritdoc />
    public FeatureSchema Schema { get; }

    /// <summary>The feature means subtracted before weighting.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The feature scales divided by before weighting.</summary>
    public IReadOnlyList<float> Scale => _scale;

    /// <summary>The weights of the standardised features.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The intercept.</summary>
    public float Bias { get; }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        var stride = Schema.Count;
        TreeEnsembleRanker.CheckSizes(features, count, scores.Length, stride);
        for (var r = 0; r < count; r++)
        {
            var row = features.Slice(r * stride, stride);
            var sum = Bias;
            for (var i = 0; i < stride; i++)
            {
                var v = row[i];
                if (float.IsNaN(v)) v = 0;
                sum += _weights[i] * (v - _mean[i]) / _scale[i];
            }
            scores[r] = sum;
        }
    }

    /// <inheritdoc />
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions)
    {
        var stride = Schema.Count;
        if ((uint)row >= (uint)count) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be below count ({count}).");
        TreeEnsembleRanker.CheckSizes(features, count, count, stride);
        var x = features.Slice(row * stride, stride);
        for (var i = 0; i < stride; i++)
        {
            var v = float.IsNaN(x[i]) ? 0 : x[i];
            contributions[i] = _weights[i] * (v - _mean[i]) / _scale[i];
        }
        return Bias;
    }

    private static float[] Check(float[] values, int count, string name)
    {
        Guard.NotNull(values, name);
        if (values.Length != count) throw new InvalidDataException($"{name} has {values.Length} values; the schema has {count} features.");
        return values;
    }
}
