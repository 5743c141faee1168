using System.Buffers;
using SearchRec.Core;
using SearchRec.Deep.Scoring;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Two-tower scores: query–item cosine from the text towers (one tower or the mean of an ensemble's) and, when a behaviour model and a user history exist,
/// user–item from the behaviour towers. Items without a vector are NaN with a <c>has_*</c> column.
/// </summary>
public sealed class DeepFeatures : IFeatureGroup
{
    private readonly IDenseScorer[] _texts; // none or the one text scorer, as TowerDeepFeatures holds its towers
    private readonly BehaviourScorer? _behaviour;
    private readonly string[] _names;

    /// <summary>Creates the group from either or both scorers (at least one).</summary>
    public DeepFeatures(IDenseScorer? text, BehaviourScorer? behaviour)
    {
        if (text is null && behaviour is null) throw new ArgumentException("DeepFeatures needs a text scorer, a behaviour scorer or both.");
        _texts = text is null ? [] : [text];
        _behaviour = behaviour;
        var names = new List<string>();
        if (text is not null) names.AddRange(TowerDeepFeatures.TextNames);
        if (behaviour is not null) names.AddRange(["has_deep_user", "deep_user_item"]);
        _names = names.ToArray();
    }

    /// <inheritdoc />
    public string Name => "deep";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => _names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output) =>
        ComputeColumns(_texts, _behaviour, query, candidates, output);

    // The columns of both deep groups: the query–item columns once per text scorer, in order, then the user–item
    // columns when `behaviour` is given (TowerDeepFeatures passes one text scorer per tower).
    internal static void ComputeColumns(IDenseScorer[] texts, BehaviourScorer? behaviour, RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var n = candidates.Length;
        if (n == 0) return;
        var ids = new string[n]; // the scorers take a list of ids: one array per request
        for (var i = 0; i < n; i++) ids[i] = candidates[i].Recall.ProductId;
        var scores = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var col = 0;
            foreach (var text in texts)
            {
                WriteText(text, query, ids, scores, output, col);
                col += TowerDeepFeatures.TextNames.Length;
            }
            if (behaviour is not null) WriteBehaviour(behaviour, query, ids, scores, output, col);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    // The query–item columns (has_deep_item, deep_query_item, deep_query_item_rel) at group column `col`; `scores` is scratch of at least ids.Length.
    private static void WriteText(IDenseScorer text, RankingQuery query, string[] ids, float[] scores, FeatureWriter output, int col)
    {
        var n = ids.Length;
        var q = ArrayPool<float>.Shared.Rent(text.Dimension);
        try
        {
            var qv = q.AsSpan(0, text.Dimension);
            text.EncodeQuery(query.Text, qv);
            text.Score(qv, ids, scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(q);
        }
        var max = float.NegativeInfinity;
        for (var i = 0; i < n; i++) if (text.Contains(ids[i])) max = MathF.Max(max, scores[i]);
        for (var i = 0; i < n; i++)
        {
            var known = text.Contains(ids[i]);
            output.Set(i, col, known ? 1 : 0);
            output.Set(i, col + 1, known ? scores[i] : float.NaN);
            output.Set(i, col + 2, known ? scores[i] - max : float.NaN);
        }
    }

    // The user–item columns (has_deep_user, deep_user_item) at group column `col`; `scores` is scratch of at least ids.Length.
    private static void WriteBehaviour(BehaviourScorer behaviour, RankingQuery query, string[] ids, float[] scores, FeatureWriter output, int col)
    {
        var n = ids.Length;
        var history = query.History;
        if (history is { Count: > 0 })
        {
            // UserHistory is most recent first; the tower reads oldest first.
            var events = history.Events.ToArray();
            Array.Reverse(events);
            Span<float> u = stackalloc float[behaviour.Dimension];
            behaviour.EncodeUser(events, u);
            behaviour.Score(u, ids, scores);
            for (var i = 0; i < n; i++)
            {
                output.Set(i, col, 1);
                output.Set(i, col + 1, scores[i]);
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                output.Set(i, col, 0);
                output.Set(i, col + 1, float.NaN);
            }
        }
    }
}
