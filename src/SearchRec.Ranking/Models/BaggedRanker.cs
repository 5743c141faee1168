using System.Buffers;
using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// Query-bagged LambdaMART: several tree ensembles, each trained on a bootstrap sample of the training queries,
/// whose raw scores are averaged (no per-query standardisation, so the average and its explanation stay linear in
/// the members). All members read the same feature schema.
/// </summary>
public sealed class BaggedRanker : IRankerModel
{
    private readonly TreeEnsembleRanker[] _members;

    /// <summary>Creates the bag from its members (at least one), which must all read <paramref name="schema"/>.</summary>
    public BaggedRanker(FeatureSchema schema, IReadOnlyList<TreeEnsembleRanker> members, IReadOnlyList<BagMemberInfo>? info = null)
    {
        Schema = Guard.NotNull(schema);
        Guard.NotNull(members);
        if (members.Count == 0) throw new ArgumentException("A bagged ranker needs at least one member.", nameof(members));
        for (var i = 0; i < members.Count; i++)
        {
            var diff = schema.DescribeDifference(members[i].Schema);
            if (diff is not null) throw new RankerSchemaMismatchException($"Bag member {i} reads {members[i].Schema}, not the bag's {schema}: {diff}.");
        }
        if (info is not null && info.Count != members.Count) throw new ArgumentException($"{info.Count} member descriptions for {members.Count} members.", nameof(info));
        _members = [.. members];
        Info = info ?? [];
    }

    /// <summary>The kind name used in <c>ranker.json</c>.</summary>
    public const string KindName = "lambdamart-bag";

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public FeatureSchema Schema { get; }

    /// <summary>The member ensembles.</summary>
    public IReadOnlyList<TreeEnsembleRanker> Members => _members;

    /// <summary>How each member was trained (seed, queries drawn); empty when unknown.</summary>
    public IReadOnlyList<BagMemberInfo> Info { get; }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        TreeEnsembleRanker.CheckSizes(features, count, scores.Length, Schema.Count);
        var buffer = ArrayPool<float>.Shared.Rent(Math.Max(1, count));
        try
        {
            var part = buffer.AsSpan(0, count);
            var sum = scores[..count];
            sum.Clear();
            foreach (var m in _members)
            {
                m.Score(features, count, part);
                System.Numerics.Tensors.TensorPrimitives.Add(sum, part, sum);
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(sum, 1f / _members.Length, sum);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    /// <remarks>The members' contributions and remainders averaged, so the parts still add up to the score.</remarks>
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions)
    {
        var stride = Schema.Count;
        if (contributions.Length < stride) throw new ArgumentException($"contributions must hold {stride} values.", nameof(contributions));
        var target = contributions[..stride];
        target.Clear();
        Span<float> part = stackalloc float[stride];
        float rest = 0;
        foreach (var m in _members)
        {
            rest += m.Explain(features, count, row, part);
            System.Numerics.Tensors.TensorPrimitives.Add(target, part, target);
        }
        var scale = 1f / _members.Length;
        System.Numerics.Tensors.TensorPrimitives.Multiply(target, scale, target);
        return rest * scale;
    }
}

/// <summary>How one member of a <see cref="BaggedRanker"/> was trained.</summary>
/// <param name="Seed">The member's tree seed.</param>
/// <param name="Queries">Query groups drawn (with replacement) for it.</param>
/// <param name="DistinctQueries">Distinct queries among them.</param>
/// <param name="Trees">Its number of trees.</param>
public sealed record BagMemberInfo(int Seed, int Queries, int DistinctQueries, int Trees);
