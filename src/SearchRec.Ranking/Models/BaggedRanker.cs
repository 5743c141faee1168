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
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores) => MemberAverage.Score(_members, Schema.Count, features, count, scores);

    /// <inheritdoc />
    /// <remarks>The members' contributions and remainders averaged, so the parts still add up to the score.</remarks>
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions) =>
        MemberAverage.Explain(_members, Schema.Count, features, count, row, contributions);
}

/// <summary>How one member of a <see cref="BaggedRanker"/> was trained.</summary>
/// <param name="Seed">The member's tree seed.</param>
/// <param name="Queries">Query groups drawn (with replacement) for it.</param>
/// <param name="DistinctQueries">Distinct queries among them.</param>
/// <param name="Trees">Its number of trees.</param>
public sealed record BagMemberInfo(int Seed, int Queries, int DistinctQueries, int Trees);
