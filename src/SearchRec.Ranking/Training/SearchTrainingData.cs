using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Text;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Assembles learning-to-rank data from judged queries: each query's recall window becomes a group, labelled with
/// its judgments (unjudged candidates are grade 0, as in MS MARCO); the group keeps every judgment, so relevant
/// items that recall missed still count against the ranking.
/// </summary>
public static class SearchTrainingData
{
    /// <summary>Builds the dataset. Queries without any judgment are skipped. <paramref name="histories"/> feeds personal features.</summary>
    public static RankingDataset Build(IProductRecall recall, ITokenizer tokenizer, FeatureExtractor features, IReadOnlyList<JudgedQuery> queries,
        IReadOnlyDictionary<string, Dictionary<string, int>> qrels, int window, RecallFields fields = RecallFields.All, IProgress<int>? progress = null,
        UserHistories? histories = null)
    {
        Guard.NotNull(recall);
        Guard.NotNull(tokenizer);
        Guard.NotNull(features);
        Guard.NotNull(queries);
        Guard.NotNull(qrels);
        Guard.Positive(window);
        var builder = new RankingDatasetBuilder(features.Schema);
        var done = 0;
        foreach (var q in queries)
        {
            if (!qrels.TryGetValue(q.QueryId, out var judged) || judged.Count == 0) continue;
            var recalled = recall.Recall(new RecallRequest(q.Text) { TopN = window, Fields = fields });
            var candidates = new List<RankingCandidate>(recalled.Count);
            foreach (var c in recalled)
            {
                var p = recall.GetProduct(c.ProductId);
                if (p is not null) candidates.Add(new RankingCandidate(c, p));
            }
            // A query's history stops at its timestamp, so training never sees the purchase it is labelled with.
            var history = q.UserId is { } u && histories is not null ? histories.History(u, q.Timestamp) : null;
            var matrix = features.Extract(RankingQuery.Create(q.Text, tokenizer, q.UserId, history, q.Timestamp), candidates);
            var labels = new float[candidates.Count];
            var items = new string[candidates.Count];
            for (var i = 0; i < candidates.Count; i++)
            {
                items[i] = candidates[i].Recall.ProductId;
                labels[i] = judged.TryGetValue(items[i], out var g) ? Math.Max(0, g) : 0; // grade -1 (spam) is not relevant
            }
            builder.Add(q.QueryId, matrix, labels, items, judged, 1f, q.Text);
            progress?.Report(++done);
        }
        return builder.Build();
    }
}
