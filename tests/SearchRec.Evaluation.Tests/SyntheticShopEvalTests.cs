using SearchRec.Core;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using SearchRec.Synthetic;
using Xunit;

namespace SearchRec.Evaluation.Tests;

/// <summary>The synthetic shop's point: personal history predicts purchases that BM25 alone cannot.</summary>
public sealed class SyntheticShopEvalTests
{
    [Fact]
    public void Reranking_bm25_by_brands_from_the_users_earlier_history_beats_plain_bm25_significantly()
    {
        var generator = new ShopGenerator(new ShopOptions { Products = 12_000, Users = 200, SessionsPerUser = 14, Seed = 11 });
        var products = generator.Products().ToList();
        var events = generator.Events().ToList();
        var queries = generator.Queries().ToList();
        var qrels = new Qrels();
        foreach (var q in queries)
            foreach (var j in q.Judgments) qrels.Set(q.QueryId, j.ItemId, j.Grade);
        var evalQueries = queries.Take(1_000).Select(q => new EvalQuery(q.QueryId, q.Text) { UserId = q.UserId, Timestamp = q.Timestamp }).ToList();

        using var index = ProductIndex.Build(products, new IndexOptions());
        var context = new EvalContext(index, products, evalQueries, qrels) { Seed = 1 };
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.Register("history", c => new HistoryBrandRanker(c, products, events));

        var outcome = EvalRunner.Run(registry, context, ["bm25", "history"], new EvalRunOptions { Depth = 100, Permutations = 2_000, Resamples = 200 });

        var bm25 = outcome.Rankers[0].Metrics.Mean("ndcg@10");
        var history = outcome.Rankers[1].Metrics.Mean("ndcg@10");
        Assert.True(history > bm25 * 1.1, $"nDCG@10: bm25 {bm25:F4}, history {history:F4}");
        Assert.True(outcome.Rankers[1].PValueVsFirst["ndcg@10"] < 0.01, $"p = {outcome.Rankers[1].PValueVsFirst["ndcg@10"]}");
    }

    /// <summary>BM25's top 200, re-ordered by how often the user touched each brand before the query.</summary>
    private sealed class HistoryBrandRanker(EvalContext context, List<Product> products, List<Core.Events.UserEvent> events) : IEvalRanker
    {
        private readonly ILookup<long, Core.Events.UserEvent> _byUser = events.ToLookup(e => e.UserId);

        public string Name => "history";

        public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
        {
            var q = context.Query(queryId)!;
            var brands = _byUser[q.UserId!.Value].Where(e => e.Timestamp < q.Timestamp)
                .GroupBy(e => products[(int)e.ItemId - 1].Brand).ToDictionary(g => g.Key ?? "", g => g.Count());
            var total = Math.Max(1, brands.Values.Sum());
            var hits = context.Index.Recall(new RecallRequest(query) { TopN = depth });
            var top = hits.Count > 0 ? hits[0].Score : 1;
            return hits
                .Select(h => (h.ProductId, Score: h.Score / top + 2f * brands.GetValueOrDefault(products[int.Parse(h.ProductId) - 1].Brand ?? "") / total))
                .OrderByDescending(x => x.Score).ToList();
        }
    }
}
