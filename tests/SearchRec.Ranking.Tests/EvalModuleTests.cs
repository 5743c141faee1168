using SearchRec.Evaluation;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Testing;
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

    [Fact]
    public void The_round_five_variants_are_experimental_and_the_out_of_domain_ones_rank_with_qbqtc_style_groups()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        var all = registry.Resolve("all");
        foreach (var name in new[] { "lambdamart-bag", "lambdamart-qbqtc", "lambdamart-qbqtc-only", "lambdamart-bag-qbqtc" })
            Assert.DoesNotContain(name, all);
        var e = Assert.Throws<ArgumentException>(() => registry.Train("lambdamart-qbqtc", Context(), Context().Queries));
        Assert.Contains("--ood-train", e.Message, StringComparison.Ordinal);

        using var dir = new SearchRec.Testing.TempDir();
        var lines = new List<string>();
        for (var i = 0; i < 12; i++)
            lines.Add($"{{\"id\": {i}, \"query\": \"{(i % 2 == 0 ? "黑色 手机" : "碎花 连衣裙")}{i}\", \"title\": \"{(i % 2 == 0 ? "黑色 手机 套" : "碎花 连衣裙 夏")}{i}\", \"label\": \"{1 + i % 2}\"}}");
        File.WriteAllLines(dir.File("dev.jsonl"), lines);
        var ctx = Context();
        ctx = new EvalContext(ctx.Index, ctx.Catalog, ctx.Queries, ctx.Qrels) { Folds = 5, Seed = 1, OutOfDomainTraining = dir.File("dev.jsonl"), OutOfDomainQueries = 10 };
        var outcome = EvalRunner.Run(registry, ctx, ["bm25", "lambdamart-qbqtc", "lambdamart-qbqtc-only"], new EvalRunOptions { Depth = 10, Parallelism = 1 });
        foreach (var r in outcome.Rankers) Assert.Equal(30, r.Run.QueryIds.Count);
    }

    [Fact]
    public void Every_ranking_ranker_declares_it_reads_the_histories_and_only_the_transfer_ones_the_out_of_domain_judgments()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        // eval refuses --events and --ood-train by these declarations, so a ranker that reads one must say so.
        Assert.Equal(["lambdamart-qbqtc", "lambdamart-qbqtc-only", "lambdamart-bag-qbqtc", "lambdamart-towers-transfer"],
            registry.Names.Where(n => (registry.Reads(n) & EvalRankerInputs.OutOfDomainTraining) != 0));
        foreach (var name in registry.Names)
            Assert.True(name.StartsWith("bm25", StringComparison.Ordinal) == (registry.Reads(name) == EvalRankerInputs.None), name);
        Assert.All(registry.Names.Where(n => !n.StartsWith("bm25", StringComparison.Ordinal)), n => Assert.True((registry.Reads(n) & EvalRankerInputs.Events) != 0, n));
    }

    [Fact]
    public void The_transfer_only_ranker_is_trained_once_for_every_fold_and_seed()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(RankingEvalModule).Assembly]);
        using var dir = new SearchRec.Testing.TempDir();
        var lines = new List<string>();
        for (var i = 0; i < 12; i++)
            lines.Add($"{{\"id\": {i}, \"query\": \"{(i % 2 == 0 ? "黑色 手机" : "碎花 连衣裙")}{i}\", \"title\": \"{(i % 2 == 0 ? "黑色 手机 套" : "碎花 连衣裙 夏")}{i}\", \"label\": \"{1 + i % 2}\"}}");
        File.WriteAllLines(dir.File("dev.jsonl"), lines);
        var log = new List<string>();
        var ctx = Context();
        ctx = new EvalContext(ctx.Index, ctx.Catalog, ctx.Queries, ctx.Qrels)
        {
            Folds = 5, Seed = 1, OutOfDomainTraining = dir.File("dev.jsonl"), OutOfDomainQueries = 10, Log = new ListProgress(log),
        };
        var outcome = EvalRunner.Run(registry, ctx, ["bm25", "lambdamart-qbqtc-only"], new EvalRunOptions { Depth = 10, Parallelism = 1, FoldSeeds = [1, 2] });
        Assert.Equal(30, outcome.Rankers.Single(r => r.Name == "lambdamart-qbqtc-only").Run.QueryIds.Count);
        Assert.Single(log, l => l.StartsWith("transfer model:", StringComparison.Ordinal));
    }
}
