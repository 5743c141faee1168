using SearchRec.Core;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Computes every feature of a request in one place: the groups' columns side by side, one row per candidate.
/// The schema is the groups' names in order; its version is the sum of the group versions. Thread-safe when the
/// groups are.
/// </summary>
public sealed class FeatureExtractor
{
    private readonly IFeatureGroup[] _groups;
    private readonly int[] _offsets;

    /// <summary>Creates an extractor over the given groups (at least one; feature names must be unique across groups).</summary>
    public FeatureExtractor(IEnumerable<IFeatureGroup> groups)
    {
        Guard.NotNull(groups);
        _groups = groups.ToArray();
        if (_groups.Length == 0) throw new ArgumentException("At least one feature group is needed.", nameof(groups));
        _offsets = new int[_groups.Length];
        var names = new List<string>();
        var version = 0;
        for (var g = 0; g < _groups.Length; g++)
        {
            _offsets[g] = names.Count;
            names.AddRange(_groups[g].FeatureNames);
            version += _groups[g].Version;
        }
        Schema = new FeatureSchema(names, version);
    }

    /// <summary>The columns this extractor writes.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>The feature groups, in column order.</summary>
    public IReadOnlyList<IFeatureGroup> Groups => _groups;

    /// <summary>
    /// Writes the features of all candidates into <paramref name="matrix"/> (row-major, at least
    /// <c>candidates.Length × Schema.Count</c>). Unknown values are <see cref="float.NaN"/>.
    /// </summary>
    public void Extract(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, Span<float> matrix)
    {
        Guard.NotNull(query);
        var stride = Schema.Count;
        if (matrix.Length < candidates.Length * stride)
            throw new ArgumentException($"The matrix holds {matrix.Length} values; {candidates.Length} candidates × {stride} features are needed.", nameof(matrix));
        for (var g = 0; g < _groups.Length; g++)
            _groups[g].Compute(query, candidates, new FeatureWriter(matrix, stride, _offsets[g], Schema));
    }

    /// <summary>Allocates and returns the feature matrix of the candidates (for training and tools, not the hot path).</summary>
    public float[] Extract(RankingQuery query, IReadOnlyList<RankingCandidate> candidates)
    {
        Guard.NotNull(candidates);
        var array = candidates as RankingCandidate[] ?? candidates.ToArray();
        var matrix = new float[array.Length * Schema.Count];
        Extract(query, array, matrix);
        return matrix;
    }
}
