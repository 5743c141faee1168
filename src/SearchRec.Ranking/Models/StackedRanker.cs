using System.Buffers;
using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// A boosted model over a linear stacker's judgment (ranking round 12; adopted for ecom-search on a tie): <see cref="Linear"/> scores the
/// request's candidates, the candidate's rank and standardised score among them become two more columns
/// (<see cref="StackNames"/>), and <see cref="Upper"/> scores the widened rows. Both columns are scale-free, so an
/// upper model trained on out-of-fold linear scores (<see cref="Training.StackedTrainer"/>) reads a linear model
/// trained on all queries on the same footing.
/// </summary>
public sealed class StackedRanker : IDerivedColumnsModel
{
    /// <summary>The suffix of the kind name: the upper model's kind plus this (<c>lambdamart-stack</c>, <c>lambdamart-towers-stack</c>).</summary>
    public const string KindSuffix = "-stack";

    /// <summary>The two columns appended to the linear model's schema: log2(1 + rank) by linear score (0 = first), and the score standardised within the request.</summary>
    public static readonly IReadOnlyList<string> StackNames = ["stack_linear_rank", "stack_linear_z"];

    /// <summary>Creates the model; <paramref name="upper"/> must read <paramref name="linear"/>'s schema widened by <see cref="Widen(FeatureSchema)"/>.</summary>
    public StackedRanker(LinearRanker linear, IRankerModel upper)
    {
        Linear = Guard.NotNull(linear);
        Upper = Guard.NotNull(upper);
        var diff = Widen(linear.Schema).DescribeDifference(upper.Schema);
        if (diff is not null) throw new ArgumentException($"The upper model must read the linear model's features plus {string.Join(", ", StackNames)}: {diff}.", nameof(upper));
    }

    /// <summary>The linear stacker whose scores feed the stack columns.</summary>
    public LinearRanker Linear { get; }

    /// <summary>The model that scores the widened rows.</summary>
    public IRankerModel Upper { get; }

    /// <inheritdoc />
    public string Kind => Upper.Kind + KindSuffix;

    /// <inheritdoc />
    public FeatureSchema Schema => Linear.Schema;

    /// <summary><paramref name="schema"/> with <see cref="StackNames"/> appended.</summary>
    public static FeatureSchema Widen(FeatureSchema schema) => new([.. Guard.NotNull(schema).Names, .. StackNames], schema.Version);

    /// <summary>
    /// Copies <paramref name="count"/> rows of <paramref name="features"/> (<paramref name="dim"/> wide) into
    /// <paramref name="wide"/> (<c>dim + 2</c> wide) and fills the stack columns from the rows' linear scores.
    /// Ties in rank go to the earlier row; the standardised score is 0 when all scores are equal.
    /// </summary>
    public static void Widen(ReadOnlySpan<float> features, int count, int dim, ReadOnlySpan<float> linear, Span<float> wide)
    {
        var width = dim + StackNames.Count;
        if (features.Length < count * dim || linear.Length < count || wide.Length < count * width)
            throw new ArgumentException($"{count} rows need {count * dim} features, {count} linear scores and {count * width} widened values.");
        double mean = 0;
        for (var r = 0; r < count; r++) mean += linear[r];
        mean = count > 0 ? mean / count : 0;
        double variance = 0;
        for (var r = 0; r < count; r++) variance += (linear[r] - mean) * (linear[r] - mean);
        var std = count > 0 ? Math.Sqrt(variance / count) : 0;
        // Sorted as one integer key per row (score descending, then row), so ties keep row order and nothing is boxed.
        var keys = ArrayPool<ulong>.Shared.Rent(Math.Max(1, count));
        try
        {
            for (var r = 0; r < count; r++) keys[r] = ((ulong)(uint)(int.MaxValue - (long)SortableBits(linear[r])) << 32) | (uint)r;
            keys.AsSpan(0, count).Sort();
            for (var rank = 0; rank < count; rank++)
            {
                var r = (int)(uint)keys[rank];
                var row = wide.Slice(r * width, width);
                features.Slice(r * dim, dim).CopyTo(row);
                row[dim] = MathF.Log2(1 + rank);
                row[dim + 1] = std > 1e-12 ? (float)((linear[r] - mean) / std) : 0f;
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
        }
    }

    // The float's bits as an int that orders as the floats do (negative values reversed); both zeros map to 0.
    private static int SortableBits(float value)
    {
        if (value == 0) return 0;
        var bits = BitConverter.SingleToInt32Bits(value);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        var dim = Schema.Count;
        TreeEnsembleRanker.CheckSizes(features, count, scores.Length, dim);
        var width = dim + StackNames.Count;
        var linear = ArrayPool<float>.Shared.Rent(Math.Max(1, count));
        var wide = ArrayPool<float>.Shared.Rent(Math.Max(1, count * width));
        try
        {
            Linear.Score(features, count, linear.AsSpan(0, count));
            Widen(features, count, dim, linear, wide);
            Upper.Score(wide.AsSpan(0, count * width), count, scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(linear);
            ArrayPool<float>.Shared.Return(wide);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DerivedNames => StackNames;

    /// <summary>
    /// The upper model's contributions of the request's own features; those of the two stack columns have no single
    /// feature behind them and go to the returned remainder (<see cref="Explain(ReadOnlySpan{float}, int, int, Span{float}, Span{float}, Span{float})"/> names them).
    /// </summary>
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions)
    {
        Span<float> values = stackalloc float[2];
        Span<float> parts = stackalloc float[2];
        return Explain(features, count, row, contributions, values, parts) + parts[0] + parts[1];
    }

    /// <inheritdoc />
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions, Span<float> derivedValues, Span<float> derivedContributions)
    {
        var dim = Schema.Count;
        if ((uint)row >= (uint)count) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be below count ({count}).");
        TreeEnsembleRanker.CheckSizes(features, count, count, dim);
        var extra = StackNames.Count;
        if (derivedValues.Length < extra || derivedContributions.Length < extra) throw new ArgumentException($"The derived spans need {extra} values each.");
        var width = dim + extra;
        var linear = new float[count];
        var wide = new float[count * width];
        var parts = new float[width];
        Linear.Score(features, count, linear);
        Widen(features, count, dim, linear, wide);
        var rest = Upper.Explain(wide, count, row, parts);
        parts.AsSpan(0, dim).CopyTo(contributions);
        for (var c = 0; c < extra; c++)
        {
            derivedValues[c] = wide[row * width + dim + c];
            derivedContributions[c] = parts[dim + c];
        }
        return rest;
    }
}
