using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// The tower-averaged LambdaMART (ranking round 8 A): one tree ensemble per text tower of an ensemble, member k
/// trained on the shared columns plus tower k's deep columns (<see cref="TowerDeepFeatures"/>), its split features
/// remapped into the combined schema; a candidate's score is the <b>mean of the members' raw scores</b>. Serving
/// cost: K query-tower runs (in the features) and K × trees per candidate. Immutable and thread-safe.
/// </summary>
public sealed class TowerAveragedRanker : IRankerModel
{
    private readonly TreeEnsembleRanker[] _members;

    /// <summary>
    /// Creates the model from its members (one per tower, in ensemble order), each a tree ensemble over
    /// <paramref name="schema"/>, and the towers they were trained with. The schema must hold the deep columns of
    /// exactly as many towers as there are members.
    /// </summary>
    public TowerAveragedRanker(FeatureSchema schema, IReadOnlyList<TreeEnsembleRanker> members, IReadOnlyList<TowerInfo> towers)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(towers);
        if (members.Count == 0) throw new ArgumentException("A tower-averaged ranker needs at least one member.", nameof(members));
        var k = TowerDeepFeatures.TowerCount(schema);
        if (k != members.Count) throw new InvalidDataException($"The schema holds the deep columns of {k} towers, but the ranker has {members.Count} members.");
        if (towers.Count != members.Count) throw new InvalidDataException($"{towers.Count} tower descriptions for {members.Count} members.");
        for (var i = 0; i < members.Count; i++)
        {
            var diff = schema.DescribeDifference(members[i].Schema);
            if (diff is not null) throw new RankerSchemaMismatchException($"Member {i + 1} reads {members[i].Schema}, not the ranker's {schema}: {diff}.");
        }
        Schema = schema;
        _members = [.. members];
        Towers = [.. towers];
    }

    /// <summary>The kind name used in <c>ranker.json</c>.</summary>
    public const string KindName = "lambdamart-towers";

    /// <summary>
    /// The tower-averaged ranker <paramref name="model"/> is or scores with (the upper model of a
    /// <see cref="StackedRanker"/>), whose towers must be checked at load; null for any other model or none.
    /// </summary>
    public static TowerAveragedRanker? In(IRankerModel? model) => model switch
    {
        TowerAveragedRanker t => t,
        StackedRanker { Upper: TowerAveragedRanker t } => t,
        _ => null,
    };

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public FeatureSchema Schema { get; }

    /// <summary>The member ensembles (over the combined schema), member k for tower k.</summary>
    public IReadOnlyList<TreeEnsembleRanker> Members => _members;

    /// <summary>The towers the members were trained with, in order.</summary>
    public IReadOnlyList<TowerInfo> Towers { get; }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores) => MemberAverage.Score(_members, Schema.Count, features, count, scores);

    /// <inheritdoc />
    /// <remarks>The members' contributions and remainders averaged, so the parts still add up to the score.</remarks>
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions) =>
        MemberAverage.Explain(_members, Schema.Count, features, count, row, contributions);
}

/// <summary>A text tower a <see cref="TowerAveragedRanker"/> member was trained with.</summary>
/// <param name="Name">Its folder when trained (informative; folders may move).</param>
/// <param name="Fingerprint">A hash of its item vectors, checked at load so that tower k of the ensemble is the one member k was trained with.</param>
public sealed record TowerInfo(string Name, string Fingerprint);
