using SearchRec.Evaluation;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class EvalModuleTests
{
    // 30 queries over the fixture catalog; the relevant product is not BM25's first choice for half of them.
    private static EvalContext Context()
    {
        var queries = new List<EvalQuery>();
        var qrels = new Qrels();
        for (var i = 0; i < 30; i++)
        {
            var (text, doc) = (i % 3) switch { 0 => ("华为 手机", "1"), 1 => ("黑色 连衣裙", "6"), _ => ("手机壳", "4") };
            queries.Add(new EvalQuery("q" + i, text));
            qrels.Set("q" + i, doc, 1 + i % 2);
        }
        return new EvalContext(new FakeRecall(Fixtures.Catalog), Fixtures.Catalog, queries, qrels) { Folds = 5, Seed = 1 };
    }

    [Fact]
    public void The_module_registers_the_three_combiners_and_fused_as_cross_validated_rankers()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        foreach (var name in new[] { "weighted", "linear", "lambdamart", "fused" })
            Assert.True(registry.IsCrossValidated(name), name);
    }

    [Fact]
    public void Cross_validated_combiners_rank_every_query_and_report_importance()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        var outcome = EvalRunner.Run(registry, Context(), ["bm25", "weighted", "linear", "lambdamart"], new EvalRunOptions { Depth = 10, Parallelism = 1 });
        Assert.Equal(30, outcome.QueryIds.Count);
        foreach (var r in outcome.Rankers)
        {
            Assert.Equal(30, r.Run.QueryIds.Count);
            Assert.InRange(r.Metrics.Mean("ndcg@10"), 0.3, 1.0);
        }
        Assert.Contains(outcome.Rankers.Single(r => r.Name == "lambdamart").Sections, s => s.Title.Contains("importance", StringComparison.Ordinal));
    }
}
