using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Text;

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

/// <summary>
/// Training data from another domain's graded query–title pairs (QBQTC): <see cref="GradedPairGroups"/> over their own
/// in-memory index, with the features and window of the in-domain data, so a model trained on it reads the in-domain
/// rows (features the other domain lacks, such as deep scores of titles no tower knows, come out missing).
/// </summary>
public static class OutOfDomainData
{
    /// <summary>What was built, for logs and model cards.</summary>
    /// <param name="Titles">Distinct titles in the other domain's catalog.</param>
    /// <param name="Queries">Training queries used.</param>
    /// <param name="WithRelevant">Queries with a title graded 1 or more inside the window.</param>
    /// <param name="Rows">Rows of the dataset.</param>
    public sealed record Summary(int Titles, int Queries, int WithRelevant, int Rows);

    /// <summary>
    /// Reads <paramref name="trainingFile"/> (JSON Lines <c>{query, title, label}</c>) and <paramref name="catalogFiles"/>
    /// (titles only), takes the first <paramref name="maxQueries"/> queries with a relevant title, and extracts
    /// <paramref name="extractor"/>'s features over each query's recall window of <paramref name="window"/>.
    /// </summary>
    public static (RankingDataset Data, Summary Summary) Build(string trainingFile, IEnumerable<string> catalogFiles, int maxQueries,
        ITokenizer tokenizer, FeatureExtractor extractor, int window, IProgress<int>? progress = null)
    {
        Guard.NotNull(trainingFile);
        return Build([trainingFile], catalogFiles, maxQueries, tokenizer, extractor, window, progress);
    }

    /// <summary>
    /// As <see cref="Build(string, IEnumerable{string}, int, ITokenizer, FeatureExtractor, int, IProgress{int}?)"/> over
    /// several training files read in turn, as one: a query text in two files is one query with both files' judgments.
    /// </summary>
    public static (RankingDataset Data, Summary Summary) Build(IReadOnlyList<string> trainingFiles, IEnumerable<string> catalogFiles, int maxQueries,
        ITokenizer tokenizer, FeatureExtractor extractor, int window, IProgress<int>? progress = null)
    {
        Guard.NotNull(trainingFiles);
        Guard.NotNull(catalogFiles);
        Guard.Positive(maxQueries);
        if (trainingFiles.Count == 0) throw new ArgumentException("give at least one training file of graded pairs", nameof(trainingFiles));
        var pairs = trainingFiles.SelectMany(JudgmentFiles.ReadGradedPairs).ToList();
        var groups = GradedPairGroups.Build(pairs, catalogFiles.SelectMany(JudgmentFiles.ReadGradedPairs), maxQueries, "ood:");
        using var index = ProductIndex.Build(groups.Catalog, new IndexOptions());
        var data = SearchTrainingData.Build(index, tokenizer, extractor, groups.Queries, groups.Qrels, window, progress: progress);
        var withRelevant = 0;
        foreach (var g in data.Groups)
            for (var r = g.Start; r < g.Start + g.Count; r++)
                if (data.Labels[r] >= 1) { withRelevant++; break; }
        return (data, new Summary(groups.Catalog.Count, data.Groups.Count, withRelevant, data.Rows));
    }
}
