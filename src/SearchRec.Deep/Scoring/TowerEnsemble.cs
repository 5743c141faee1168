using System.Numerics.Tensors;
using SearchRec.Core;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// Several text towers as one score: the <b>mean of the members' cosines</b>. The query vector is the members'
/// unit query vectors side by side and each item vector the members' item vectors side by side, every part scaled
/// by 1/√K, so one inner product is (1/K)·Σ cos_k and exact recall needs no merge. An item a member lacks counts
/// 0 for that member, as in <see cref="DeepScorer.Score(ReadOnlySpan{float}, IReadOnlyList{string}, Span{float})"/>.
/// Serving cost: K query towers per request and K·d floats per item. Members with a hubness correction
/// (<see cref="DeepScorer.Hubness"/>) give the mean of their corrected scores: the item's penalty is the mean of
/// the members' penalties (0 for a member lacking it). Mixing corrected and uncorrected members is refused.
/// Owns (and disposes) its members; thread-safe.
/// </summary>
public sealed class TowerEnsemble : IDenseScorer, IDisposable
{
    private readonly DeepScorer[] _members;
    private readonly ItemVectors _items;

    /// <summary>The members' items with their titles (the same items in every member).</summary>
    internal ItemVectors Items => _items;
    private readonly float _scale;
    private readonly string[] _names;

    private TowerEnsemble(DeepScorer[] members, ItemVectors items, float scale, string[] names)
    {
        _members = members; _items = items; _scale = scale; _names = names;
    }

    /// <summary>Builds the ensemble of <paramref name="members"/> (at least one); it takes ownership of them.</summary>
    public static TowerEnsemble Create(IReadOnlyList<DeepScorer> members) => Create(members, null);

    /// <summary>
    /// Builds the ensemble of <paramref name="members"/> (at least one), named by <paramref name="names"/> (e.g. their
    /// folders; "member 1", … when null); it takes ownership of them.
    /// </summary>
    public static TowerEnsemble Create(IReadOnlyList<DeepScorer> members, IReadOnlyList<string>? names)
    {
        Guard.NotNull(members);
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one tower.", nameof(members));
        if (names is not null && names.Count != members.Count) throw new ArgumentException($"names has {names.Count} entries for {members.Count} members.", nameof(names));
        var m = new DeepScorer[members.Count];
        for (var i = 0; i < m.Length; i++) m[i] = members[i] ?? throw new ArgumentException($"members[{i}] is null.", nameof(members));
        var scale = 1f / MathF.Sqrt(m.Length);
        // Ids: the first member's order, then ids only later members have.
        var ids = new List<string>(m[0].ItemCount);
        var texts = new List<string>(m[0].ItemCount);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in m)
        {
            var items = member.Items;
            for (var i = 0; i < items.Count; i++)
                if (seen.Add(items.Ids[i])) { ids.Add(items.Ids[i]); texts.Add(items.Texts[i]); }
        }
        var dim = 0;
        foreach (var member in m) dim += member.Dimension;
        var data = new float[(long)ids.Count * dim];
        var offset = 0;
        foreach (var member in m)
        {
            var items = member.Items;
            for (var r = 0; r < ids.Count; r++)
                if (items.Index.TryGetValue(ids[r], out var row))
                    TensorPrimitives.Multiply(items.Row(row), scale, data.AsSpan(r * dim + offset, member.Dimension));
            offset += member.Dimension;
        }
        var n = new string[m.Length];
        for (var i = 0; i < n.Length; i++) n[i] = names?[i] ?? $"member {i + 1}";
        var vectors = new ItemVectors([.. ids], [.. texts], data, dim);
        return new TowerEnsemble(m, vectors.WithPenalty(MeanPenalty(m, n, ids)), scale, n);
    }

    // The mean of the members' penalties per item (each already factor · r); null when no member is corrected.
    private static float[]? MeanPenalty(DeepScorer[] members, string[] names, List<string> ids)
    {
        var corrected = Array.FindIndex(members, x => x.Hubness is not null);
        if (corrected < 0) return null;
        var plain = Array.FindIndex(members, x => x.Hubness is null);
        if (plain >= 0)
            throw new ArgumentException($"ensemble member '{names[corrected]}' has a hubness correction ({HubnessCorrection.FileName}) but '{names[plain]}' has none; " +
                "run `searchrec hubness` on every member or remove it from all (`--remove`).", nameof(members));
        var penalty = new float[ids.Count];
        foreach (var member in members)
        {
            var items = member.Items;
            var p = items.Penalty!;
            for (var r = 0; r < ids.Count; r++)
                if (items.Index.TryGetValue(ids[r], out var row)) penalty[r] += p[row] / members.Length;
        }
        return penalty;
    }

    /// <summary>The members' names (their folders when opened by <see cref="DenseModels.Open"/>), in order.</summary>
    public IReadOnlyList<string> MemberNames => _names;

    /// <inheritdoc />
    public bool Contains(string productId) => _items.Index.ContainsKey(productId);

    /// <summary>True when every member carries a hubness correction (the ensemble subtracts their mean penalty).</summary>
    public bool HubnessCorrected => _items.Penalty is not null;

    /// <summary>Each member's hubness correction, in order (empty when uncorrected).</summary>
    internal IEnumerable<HubnessInfo> MemberHubness
    {
        get { foreach (var m in _members) if (m.Hubness is { } h) yield return h; }
    }

    /// <summary>Number of towers.</summary>
    public int Count => _members.Length;

    /// <summary>Sum of the members' dimensions (the query vector's length).</summary>
    public int Dimension => _items.Dim;

    /// <summary>Number of items with a vector in any member.</summary>
    public int ItemCount => _items.Count;

    /// <inheritdoc />
    public float[] EncodeQuery(string query)
    {
        var v = new float[Dimension];
        EncodeQuery(query, v);
        return v;
    }

    /// <inheritdoc />
    public void EncodeQuery(string query, Span<float> vector)
    {
        if (vector.Length < Dimension) throw new ArgumentException($"vector has length {vector.Length}; need {Dimension}.", nameof(vector));
        var offset = 0;
        foreach (var member in _members)
        {
            var part = vector.Slice(offset, member.Dimension);
            member.EncodeQuery(query, part);
            TensorPrimitives.Multiply(part, _scale, part);
            offset += member.Dimension;
        }
    }

    /// <summary>
    /// Scores candidates against an ensemble query vector: <c>scores[i]</c> = the mean of the members' cosines for
    /// item i (0 for a member without it), less the mean of their hubness penalties when they have them.
    /// </summary>
    public void Score(ReadOnlySpan<float> queryVector, IReadOnlyList<string> productIds, Span<float> scores)
        => _items.Score(queryVector, productIds, scores);

    /// <inheritdoc />
    public float[] Score(string query, IReadOnlyList<string> productIds)
        => _items.Score(this, query, productIds);

    /// <inheritdoc />
    public IReadOnlyList<(string ProductId, float Score)> Nearest(string query, int k)
        => _items.Nearest(this, query, k);

    /// <inheritdoc />
    public IReadOnlyList<(string ProductId, float Score)> Nearest(ReadOnlySpan<float> queryVector, int k)
        => _items.NearestChecked(queryVector, k);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var member in _members) member.Dispose();
    }
}
