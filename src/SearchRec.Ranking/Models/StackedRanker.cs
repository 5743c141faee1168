using System.Buffers;
using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>The two columns a <see cref="StackedRanker"/> derives from its base model's scores, and its kind's suffix.</summary>
/// <param name="KindSuffix">Appended to the upper model's kind (<c>lambdamart-towers-stack</c>, <c>lambdamart-towers-transfer</c>).</param>
/// <param name="Names">log2(1 + rank) by base score (0 = first), then the base score standardised within the request.</param>
public sealed record StackColumns(string KindSuffix, IReadOnlyList<string> Names)
{
    /// <summary>Over a linear stacker trained on the same judgments (ranking round 12, <c>-stack</c>).</summary>
    public static StackColumns Linear { get; } = new("-stack", ["stack_linear_rank", "stack_linear_z"]);

    /// <summary>Over a model trained on other judgments only, e.g. QBQTC (ranking round 13, <c>-transfer</c>).</summary>
    public static StackColumns Transfer { get; } = new("-transfer", ["transfer_rank", "transfer_z"]);

    /// <summary>The columns whose suffix ends <paramref name="kind"/>, or null.</summary>
    public static StackColumns? ForKind(string kind)
    {
        Guard.NotNull(kind);
        foreach (var c in new[] { Linear, Transfer })
            if (kind.EndsWith(c.KindSuffix, StringComparison.Ordinal)) return c;
        return null;
    }
}

/// <summary>
/// A boosted model over another model's judgment: <see cref="Base"/> scores the request's candidates, the candidate's
/// rank and standardised score among them become two more columns (<see cref="Columns"/>), and <see cref="Upper"/>
/// scores the widened rows. Both columns are scale-free, so an upper model can learn from scores of one base model and
/// read those of another on the same footing. The base is a linear stacker (<see cref="StackColumns.Linear"/>, round
/// 12: the trees learn from its out-of-fold scores, <see cref="Training.StackedTrainer"/>) or a model trained on other
/// judgments (<see cref="StackColumns.Transfer"/>, round 13, adopted for ecom-search).
/// </summary>
public sealed class StackedRanker : IDerivedColumnsModel
{
    /// <summary>Creates the model; <paramref name="upper"/> must read <paramref name="baseModel"/>'s schema widened by <paramref name="columns"/>.</summary>
    public StackedRanker(IRankerModel baseModel, IRankerModel upper, StackColumns columns)
    {
        Base = Guard.NotNull(baseModel);
        Upper = Guard.NotNull(upper);
        Columns = Guard.NotNull(columns);
        if (columns == StackColumns.Linear && baseModel is not LinearRanker) throw new ArgumentException($"A {columns.KindSuffix} ranker's base must be a linear model, not {baseModel.Kind}.", nameof(baseModel));
        if (baseModel is StackedRanker) throw new ArgumentException("The base model may not be stacked itself.", nameof(baseModel));
        var diff = Widen(baseModel.Schema, columns).DescribeDifference(upper.Schema);
        if (diff is not null) throw new ArgumentException($"The upper model must read the base model's features plus {string.Join(", ", columns.Names)}: {diff}.", nameof(upper));
    }

    /// <summary>The model whose scores feed the derived columns.</summary>
    public IRankerModel Base { get; }

    /// <summary>The model that scores the widened rows.</summary>
    public IRankerModel Upper { get; }

    /// <summary>The derived columns' names and the kind's suffix.</summary>
    public StackColumns Columns { get; }

    /// <inheritdoc />
    public string Kind => Upper.Kind + Columns.KindSuffix;

    /// <inheritdoc />
    public FeatureSchema Schema => Base.Schema;

    /// <summary><paramref name="schema"/> with <paramref name="columns"/>' names appended.</summary>
    public static FeatureSchema Widen(FeatureSchema schema, StackColumns columns) =>
        new([.. Guard.NotNull(schema).Names, .. Guard.NotNull(columns).Names], schema.Version);

    /// <summary>
    /// Copies <paramref name="count"/> rows of <paramref name="features"/> (<paramref name="dim"/> wide) into
    /// <paramref name="wide"/> (<c>dim + 2</c> wide) and fills the two derived columns from the rows' base scores.
    /// Ties in rank go to the earlier row; the standardised score is 0 when all scores are equal.
    /// </summary>
    public static void Widen(ReadOnlySpan<float> features, int count, int dim, ReadOnlySpan<float> linear, Span<float> wide)
    {
        const int derived = 2;
        var width = dim + derived;
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
        var width = dim + Columns.Names.Count;
        var linear = ArrayPool<float>.Shared.Rent(Math.Max(1, count));
        var wide = ArrayPool<float>.Shared.Rent(Math.Max(1, count * width));
        try
        {
            Base.Score(features, count, linear.AsSpan(0, count));
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
    public IReadOnlyList<string> DerivedNames => Columns.Names;

    /// <summary>
    /// The upper model's contributions of the request's own features; those of the two derived columns have no single
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
        var extra = Columns.Names.Count;
        if (derivedValues.Length < extra || derivedContributions.Length < extra) throw new ArgumentException($"The derived spans need {extra} values each.");
        var width = dim + extra;
        var linear = new float[count];
        var wide = new float[count * width];
        var parts = new float[width];
        Base.Score(features, count, linear);
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
