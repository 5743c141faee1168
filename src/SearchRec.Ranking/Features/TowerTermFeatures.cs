using SearchRec.Deep.Scoring;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Group <c>deep-terms</c> (v1, ranking round 10): <c>deep_terms#k</c>, tower k's term-level score
/// (<see cref="TermMatchScorer"/>: the mean over the query's words of the best cosine with a title word), one column
/// per tower so the tower-averaged LambdaMART's member k reads its own tower's (as <c>deep_terms</c>). 0 for a
/// candidate without a stored title.
/// </summary>
public sealed class TowerTermFeatures : IFeatureGroup
{
    /// <summary>The single-tower name of the column (<c>deep_terms</c>); tower k's is <c>deep_terms#k</c>.</summary>
    public const string BaseName = "deep_terms";

    private readonly TermMatchScorer[] _towers;
    private readonly string[] _names;

    /// <summary>Creates the group over one term scorer per tower, in ensemble order. It does not own them.</summary>
    public TowerTermFeatures(IReadOnlyList<TermMatchScorer> towers)
    {
        ArgumentNullException.ThrowIfNull(towers);
        if (towers.Count == 0) throw new ArgumentException("TowerTermFeatures needs at least one tower.", nameof(towers));
        _towers = [.. towers];
        _names = new string[_towers.Length];
        for (var k = 0; k < _names.Length; k++) _names[k] = TowerDeepFeatures.ColumnName(BaseName, k + 1);
    }

    /// <inheritdoc />
    public string Name => "deep-terms";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => _names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var n = candidates.Length;
        if (n == 0) return;
        var ids = new string[n];
        for (var i = 0; i < n; i++) ids[i] = candidates[i].Recall.ProductId;
        for (var k = 0; k < _towers.Length; k++)
        {
            var scores = _towers[k].Score(query.Text, ids);
            for (var i = 0; i < n; i++) output.Set(i, k, scores[i]);
        }
    }
}
