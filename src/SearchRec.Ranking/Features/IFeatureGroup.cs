namespace SearchRec.Ranking.Features;

/// <summary>
/// A named, versioned block of features computed together for all candidates of one request. Groups write
/// <see cref="float.NaN"/> for a value that is unknown (no user, no events for the item); a group whose values can
/// be unknown also writes a <c>has_*</c> column, so that missing is never a zero that means two things.
/// Implementations are thread-safe.
/// </summary>
public interface IFeatureGroup
{
    /// <summary>The group's name (a prefix of its feature names).</summary>
    string Name { get; }

    /// <summary>Bumped whenever the meaning of any of the group's features changes.</summary>
    int Version { get; }

    /// <summary>The group's feature names, in the order written.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Writes the group's features for every candidate into <paramref name="output"/>.</summary>
    void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output);
}

/// <summary>A window onto the feature matrix (row-major, one row per candidate) for one group's columns.</summary>
public readonly ref struct FeatureWriter
{
    private readonly Span<float> _matrix;
    private readonly int _stride;
    private readonly int _offset;
    private readonly FeatureSchema? _schema;

    /// <summary>Creates a writer over <paramref name="matrix"/> with <paramref name="stride"/> columns, starting at column <paramref name="offset"/>.</summary>
    public FeatureWriter(Span<float> matrix, int stride, int offset)
    {
        _matrix = matrix;
        _stride = stride;
        _offset = offset;
    }

    /// <summary>A writer that can also read the columns of groups computed before it (see <see cref="EarlierColumn"/>).</summary>
    internal FeatureWriter(Span<float> matrix, int stride, int offset, FeatureSchema schema)
        : this(matrix, stride, offset) => _schema = schema;

    /// <summary>The matrix column of an earlier group's feature <paramref name="name"/>, or -1 when no earlier group wrote it.</summary>
    internal int EarlierColumn(string name) => _schema?.IndexOf(name) is { } c && c >= 0 && c < _offset ? c : -1;

    /// <summary>The value an earlier group wrote in matrix column <paramref name="column"/> of <paramref name="row"/>.</summary>
    internal float Read(int row, int column) => _matrix[row * _stride + column];

    /// <summary>Sets the group's feature <paramref name="feature"/> (0-based within the group) of candidate <paramref name="row"/>.</summary>
    public void Set(int row, int feature, float value) => _matrix[row * _stride + _offset + feature] = value;
}
