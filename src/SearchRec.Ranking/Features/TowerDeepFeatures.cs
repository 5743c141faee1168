using SearchRec.Deep.Scoring;

namespace SearchRec.Ranking.Features;

/// <summary>
/// The deep query–item columns once per text tower of an ensemble, for the tower-averaged LambdaMART
/// (<see cref="Models.TowerAveragedRanker"/>): <c>has_deep_item#k</c>, <c>deep_query_item#k</c>,
/// <c>deep_query_item_rel#k</c> for k = 1..K, each computed exactly as <see cref="DeepFeatures"/> computes them from
/// that one tower (the query is encoded once per tower), then the user–item columns when a behaviour scorer is given.
/// Group name <c>deep</c>, version 1, as the single-tower group, so a member's view of the matrix
/// (<see cref="Training.TowerAveragedTrainer.MemberView"/>) is the schema a single-tower ranker reads.
/// </summary>
public sealed class TowerDeepFeatures : IFeatureGroup
{
    /// <summary>The single-tower text columns, in the order written per tower.</summary>
    internal static readonly string[] TextNames = ["has_deep_item", "deep_query_item", "deep_query_item_rel"];

    private readonly DeepScorer[] _towers;
    private readonly BehaviourScorer? _behaviour;
    private readonly string[] _names;

    /// <summary>Creates the group over the towers (at least one, in ensemble order) and an optional behaviour scorer. It does not own them.</summary>
    public TowerDeepFeatures(IReadOnlyList<DeepScorer> towers, BehaviourScorer? behaviour = null)
    {
        ArgumentNullException.ThrowIfNull(towers);
        if (towers.Count == 0) throw new ArgumentException("TowerDeepFeatures needs at least one tower.", nameof(towers));
        _towers = new DeepScorer[towers.Count];
        for (var k = 0; k < _towers.Length; k++) _towers[k] = towers[k] ?? throw new ArgumentException($"towers[{k}] is null.", nameof(towers));
        _behaviour = behaviour;
        var names = new List<string>(_towers.Length * TextNames.Length + 2);
        for (var k = 1; k <= _towers.Length; k++)
            foreach (var n in TextNames) names.Add(ColumnName(n, k));
        if (behaviour is not null) names.AddRange(["has_deep_user", "deep_user_item"]);
        _names = [.. names];
    }

    /// <summary>The column name of single-tower feature <paramref name="name"/> for tower <paramref name="tower"/> (1-based): <c>name#tower</c>.</summary>
    public static string ColumnName(string name, int tower) => name + "#" + tower.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The number of towers whose columns <paramref name="schema"/> holds (0 for a schema without per-tower columns).</summary>
    public static int TowerCount(FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var k = 0;
        while (schema.IndexOf(ColumnName("deep_query_item", k + 1)) >= 0) k++;
        return k;
    }

    /// <summary>Number of towers.</summary>
    public int Towers => _towers.Length;

    /// <inheritdoc />
    public string Name => "deep";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => _names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output) =>
        DeepFeatures.ComputeColumns(_towers, _behaviour, query, candidates, output);
}
