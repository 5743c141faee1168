using SearchRec.Core;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Query groups built from graded query–title pairs (QBQTC's <c>{query, title, label}</c> lines), to be used as extra
/// (out-of-domain) training data: one product per distinct title, one query per distinct query text, the pairs'
/// grades as judgments. Ids carry a prefix so they cannot collide with the in-domain ones.
/// </summary>
public sealed class GradedPairGroups
{
    private GradedPairGroups(List<Product> catalog, List<JudgedQuery> queries, Dictionary<string, Dictionary<string, int>> qrels)
    {
        Catalog = catalog;
        Queries = queries;
        Qrels = qrels;
    }

    /// <summary>The catalog: every distinct title of the training and catalog-only pairs.</summary>
    public IReadOnlyList<Product> Catalog { get; }

    /// <summary>The chosen training queries, in file order.</summary>
    public IReadOnlyList<JudgedQuery> Queries { get; }

    /// <summary>Judgments of the chosen queries: title id to grade.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, int>> Qrels { get; }

    /// <summary>
    /// Takes the first <paramref name="maxQueries"/> distinct queries of <paramref name="training"/> (in file order)
    /// that have a pair graded 1 or more (a group with no relevant title gives LambdaMART no gradient);
    /// <paramref name="catalogOnly"/> pairs add titles to the catalog but no judgments.
    /// </summary>
    public static GradedPairGroups Build(IReadOnlyList<JudgmentFiles.GradedPair> training, IEnumerable<JudgmentFiles.GradedPair> catalogOnly, int maxQueries, string prefix = "ood:")
    {
        Guard.NotNull(training);
        Guard.NotNull(catalogOnly);
        Guard.NotNull(prefix);
        Guard.Positive(maxQueries, "maxQueries");
        var titleIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var catalog = new List<Product>();
        string TitleId(string title)
        {
            if (!titleIds.TryGetValue(title, out var id))
            {
                titleIds[title] = id = prefix + "t" + titleIds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                catalog.Add(Product.Of(id, title));
            }
            return id;
        }
        var byQuery = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var p in training)
        {
            if (string.IsNullOrWhiteSpace(p.Query) || string.IsNullOrWhiteSpace(p.Title)) continue;
            var tid = TitleId(p.Title);
            if (!byQuery.TryGetValue(p.Query, out var judged))
            {
                byQuery[p.Query] = judged = new Dictionary<string, int>(StringComparer.Ordinal);
                order.Add(p.Query);
            }
            judged[tid] = Math.Max(judged.GetValueOrDefault(tid, int.MinValue), p.Label);
        }
        foreach (var p in catalogOnly)
            if (!string.IsNullOrWhiteSpace(p.Title)) TitleId(p.Title);
        var queries = new List<JudgedQuery>();
        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        for (var i = 0; i < order.Count && queries.Count < maxQueries; i++)
        {
            var judged = byQuery[order[i]];
            if (!judged.Values.Any(g => g >= 1)) continue;
            var qid = prefix + "q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            queries.Add(new JudgedQuery(qid, order[i], null));
            qrels[qid] = judged;
        }
        return new GradedPairGroups(catalog, queries, qrels);
    }
}
