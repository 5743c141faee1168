using System.Security.Cryptography;
using System.Text;
using SearchRec.Core;

namespace SearchRec.Ranking.Features;

/// <summary>
/// The ordered, named feature columns a ranker reads, with a version and a hash of both. A model saved with one
/// schema refuses to load against another (see <see cref="Models.RankerStore"/>). Immutable.
/// </summary>
public sealed class FeatureSchema : IEquatable<FeatureSchema>
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a schema from ordered feature names (unique, non-empty) and a version.</summary>
    public FeatureSchema(IEnumerable<string> names, int version)
    {
        Guard.NotNull(names);
        _names = names.ToArray();
        _index = new Dictionary<string, int>(_names.Length, StringComparer.Ordinal);
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(_names[i])) throw new ArgumentException($"Feature name at position {i} is empty.", nameof(names));
            if (!_index.TryAdd(_names[i], i)) throw new ArgumentException($"Feature name '{_names[i]}' appears twice.", nameof(names));
        }
        Version = version;
        Hash = ComputeHash(_names, version);
    }

    /// <summary>The feature names in column order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Number of features (columns).</summary>
    public int Count => _names.Length;

    /// <summary>The schema version: the sum of the versions of the feature groups that make it up.</summary>
    public int Version { get; }

    /// <summary>A short hex hash of the names, their order and the version.</summary>
    public string Hash { get; }

    /// <summary>The column of a feature, or -1 when the schema has no such feature.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;

    /// <summary>
    /// A sentence saying how <paramref name="other"/> differs from this schema (missing and extra features,
    /// version), or null when they are equal.
    /// </summary>
    public string? DescribeDifference(FeatureSchema other)
    {
        Guard.NotNull(other);
        if (Equals(other)) return null;
        var parts = new List<string>();
        var missing = other._names.Where(n => !_index.ContainsKey(n)).ToList();
        var extra = _names.Where(n => !other._index.ContainsKey(n)).ToList();
        if (missing.Count > 0) parts.Add($"features not computed here: {string.Join(", ", missing)}");
        if (extra.Count > 0) parts.Add($"features the model does not know: {string.Join(", ", extra)}");
        if (missing.Count == 0 && extra.Count == 0 && other.Version == Version) parts.Add("same features in a different order");
        if (other.Version != Version) parts.Add($"feature version {other.Version} against {Version} here");
        return string.Join("; ", parts);
    }

    /// <inheritdoc />
    public bool Equals(FeatureSchema? other) => other is not null && other.Hash == Hash && other.Version == Version && other._names.AsSpan().SequenceEqual(_names);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FeatureSchema);

    /// <inheritdoc />
    public override int GetHashCode() => Hash.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => $"v{Version} #{Hash} ({Count} features)";

    private static string ComputeHash(string[] names, int version)
    {
        var text = version.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n" + string.Join('\n', names);
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(bytes, 0, 6);
    }
}
