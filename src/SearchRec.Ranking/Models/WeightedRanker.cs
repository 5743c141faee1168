using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// Weighted averaging: each chosen score feature is min–max normalised within the request, then the normalised
/// scores are averaged with fixed non-negative weights (tuned on training queries, see <see cref="Training.WeightedTrainer"/>).
/// </summary>
public sealed class WeightedRanker : IRankerModel
{
    private readonly int[] _columns;
    private readonly float[] _weights;

    /// <summary>Creates the model from feature names and their weights (non-negative, not all zero).</summary>
    public WeightedRanker(FeatureSchema schema, IReadOnlyList<string> features, IReadOnlyList<float> weights)
    {
        Schema = Guard.NotNull(schema);
        Guard.NotNull(features);
        Guard.NotNull(weights);
        if (features.Count == 0 || features.Count != weights.Count)
            throw new InvalidDataException($"weighted ranker: {features.Count} features and {weights.Count} weights; both must match and be non-empty.");
        _columns = new int[features.Count];
        _weights = new float[features.Count];
        var total = 0f;
        for (var i = 0; i < features.Count; i++)
        {
            _columns[i] = schema.IndexOf(features[i]);
            if (_columns[i] < 0) throw new InvalidDataException($"weighted ranker: feature '{features[i]}' is not in the schema.");
            if (!(weights[i] >= 0)) throw new InvalidDataException($"weighted ranker: weight of '{features[i]}' must be non-negative, not {weights[i]}.");
            _weights[i] = weights[i];
            total += weights[i];
        }
        if (total <= 0) throw new InvalidDataException("weighted ranker: all weights are zero.");
        Features = features.ToArray();
    }

    /// <inheritdoc />
    public string Kind => "weighted";

    /// <inheritdoc />
    public FeatureSchema Schema { get; }

    /// <summary>The averaged features.</summary>
    public IReadOnlyList<string> Features { get; }

    /// <summary>Their weights, in the same order.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        var stride = Schema.Count;
        TreeEnsembleRanker.CheckSizes(features, count, scores.Length, stride);
        scores[..count].Clear();
        for (var k = 0; k < _columns.Length; k++)
        {
            var (min, range) = MinRange(features, count, stride, _columns[k]);
            var w = _weights[k];
            for (var r = 0; r < count; r++) scores[r] += w * Normalised(features[r * stride + _columns[k]], min, range);
        }
    }

    /// <inheritdoc />
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions)
    {
        var stride = Schema.Count;
        if ((uint)row >= (uint)count) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be below count ({count}).");
        TreeEnsembleRanker.CheckSizes(features, count, count, stride);
        contributions[..stride].Clear();
        for (var k = 0; k < _columns.Length; k++)
        {
            var (min, range) = MinRange(features, count, stride, _columns[k]);
            contributions[_columns[k]] += _weights[k] * Normalised(features[row * stride + _columns[k]], min, range);
        }
        return 0;
    }

    private static (float Min, float Range) MinRange(ReadOnlySpan<float> features, int count, int stride, int column)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (var r = 0; r < count; r++)
        {
            var v = features[r * stride + column];
            if (float.IsNaN(v)) continue;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return float.IsInfinity(min) ? (0, 0) : (min, max - min);
    }

    // Unknown scores count as the lowest in the request; a constant column adds nothing.
    private static float Normalised(float v, float min, float range) => float.IsNaN(v) || range <= 0 ? 0 : (v - min) / range;
}
