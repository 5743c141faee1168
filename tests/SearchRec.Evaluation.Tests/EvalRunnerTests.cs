using System.Collections.Concurrent;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Reports;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class EvalRunnerTests
{
    [Fact]
    public void Folds_cover_every_query_once_with_sizes_within_one_and_depend_on_the_seed()
    {
        var folds = EvalRunner.AssignFolds(103, 5, 42);
        var sizes = folds.GroupBy(f => f).Select(g => g.Count()).ToList();
        Assert.Equal(5, sizes.Count);
        Assert.True(sizes.Max() - sizes.Min() <= 1);
        Assert.Equal(folds, EvalRunner.AssignFolds(103, 5, 42));
        Assert.NotEqual(folds, EvalRunner.AssignFolds(103, 5, 43));
    }

    [Fact]
    public void The_builtin_bm25_rankers_ask_the_index_for_their_fields()
    {
        var (context, _) = Shop.Tiny();
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        var outcome = EvalRunner.Run(registry, context, registry.Resolve("all"), new EvalRunOptions { Depth = 5 });

        Assert.Equal(["bm25-title", "bm25-bigram", "bm25"], outcome.Rankers.Select(r => r.Name));
        var fake = (FakeRecall)context.Index;
        Assert.Equal(10, fake.FieldsAsked.Count(f => f == RecallFields.Title));
        Assert.Equal(10, fake.FieldsAsked.Count(f => f == RecallFields.Bigram));
        Assert.Equal(10, fake.FieldsAsked.Count(f => f == RecallFields.All));
        // The fake returns d1..d5 for every query: q1..q5 find their document at ranks 1..5.
        var r = outcome.Rankers[0];
        Assert.Equal((1 + 1 / 2.0 + 1 / 3.0 + 1 / 4.0 + 1 / 5.0) / 10, r.Metrics.Mean("mrr@10"), 12);
        Assert.Equal(0.5, r.Metrics.Mean("recall@100"), 12);
        Assert.Equal(["d1", "d2", "d3", "d4", "d5"], r.Run.DocIds("q7"));
    }

    [Fact]
    public void Queries_without_a_relevant_judgment_are_skipped_and_counted()
    {
        var (context, qrels) = Shop.Tiny();
        qrels.Set("q3", "d3", 0);
        var registry = new EvalRankerRegistry();
        registry.Register("perfect", _ => new FixedRanker("perfect", q => ["d" + q[1..]]));
        var outcome = EvalRunner.Run(registry, context, ["perfect"], new EvalRunOptions());
        Assert.Equal(9, outcome.QueryIds.Count);
        Assert.Equal(1, outcome.SkippedQueries);
        Assert.DoesNotContain("q3", outcome.QueryIds);
        Assert.Equal(1, outcome.Rankers[0].Metrics.Mean("ndcg@10"), 12);
    }

    [Fact]
    public void Later_rankers_get_p_values_against_the_first_and_confidence_intervals()
    {
        var (context, _) = Shop.Tiny(40);
        var registry = new EvalRankerRegistry();
        registry.Register("nothing", _ => new FixedRanker("nothing", _ => ["none"]));
        registry.Register("perfect", _ => new FixedRanker("perfect", q => ["d" + q[1..]]));
        registry.Register("same", _ => new FixedRanker("same", _ => ["none"]));
        var outcome = EvalRunner.Run(registry, context, registry.Resolve("nothing,perfect,same"), new EvalRunOptions { Permutations = 2000 });

        Assert.Empty(outcome.Rankers[0].PValueVsFirst);
        Assert.True(outcome.Rankers[1].PValueVsFirst["mrr@10"] < 0.001);
        Assert.Equal(1, outcome.Rankers[2].PValueVsFirst["mrr@10"]);
        Assert.Equal((1.0, 1.0), outcome.Rankers[1].Ci95["ndcg@10"]);
    }

    [Fact]
    public void A_cross_validated_ranker_is_trained_per_fold_and_never_ranks_a_query_it_was_trained_on()
    {
        var (context, _) = Shop.Tiny(23);
        var factory = new RecordingFactory();
        var registry = new EvalRankerRegistry();
        registry.Register(factory);
        var outcome = EvalRunner.Run(registry, context, ["learned"], new EvalRunOptions());

        Assert.Equal(5, factory.Trained);
        Assert.Equal(23, factory.RankedBy.Count);
        foreach (var (query, trainedOn) in factory.RankedBy) Assert.DoesNotContain(query, trainedOn);
        // Each query was held out exactly once, so training sets are the other 4 folds: 23 - |fold| queries.
        Assert.All(factory.RankedBy.Values, t => Assert.InRange(t.Count, 18, 19));
        Assert.Equal(5, outcome.Rankers[0].Sections.Count);
        Assert.EndsWith("(fold 5)", outcome.Rankers[0].Sections[4].Title, StringComparison.Ordinal);
    }

    [Fact]
    public void An_evaluation_without_a_trained_ranker_reports_no_folds()
    {
        var products = Enumerable.Range(1, 6).Select(i => SearchRec.Core.Product.Of("d" + i, "红色 连衣裙 " + i)).ToList();
        var queries = Enumerable.Range(1, 6).Select(i => new SearchRec.Evaluation.Trec.EvalQuery("q" + i, "连衣裙 " + i)).ToList();
        var qrels = new Qrels();
        for (var i = 1; i <= 6; i++) qrels.Set("q" + i, "d" + i, 1);
        var context = new EvalContext(new FakeRecall(products), products, queries, qrels) { Folds = 5, Seed = 3 };
        var registry = new EvalRankerRegistry();
        var factory = new RecordingFactory();
        registry.Register(factory);
        registry.Register("plain", _ => new FixedRanker("plain", q => ["d" + q[1..]]), "nothing trained");

        var plain = EvalRunner.Run(registry, context, ["plain"], new EvalRunOptions { Permutations = 200, Resamples = 200 });
        var both = EvalRunner.Run(registry, context, ["plain", "learned"], new EvalRunOptions { Permutations = 200, Resamples = 200 });

        // The report's header said "5 folds for trained rankers" of a run that trained none.
        Assert.Equal(0, plain.Folds);
        Assert.Equal(5, both.Folds);
    }

    [Fact]
    public void Queries_of_one_text_under_several_ids_share_a_fold_so_none_is_ranked_by_a_ranker_trained_on_its_text()
    {
        // 24 ids over 8 texts, each text written three ways (as typed, full-width with spaces, traditional where it has
        // such characters): a shop's repeated searches, or one query filed twice.
        string[] texts = ["连衣裙", "华为 手机", "运动鞋", "羽绒服", "无线耳机", "保温杯", "书包", "电风扇"];
        string[] Variants(string t) => [t, " " + t.Replace(" ", "　", StringComparison.Ordinal) + " ", t.Replace("华", "華", StringComparison.Ordinal).Replace("线", "線", StringComparison.Ordinal).Replace("风", "風", StringComparison.Ordinal)];
        var queries = texts.SelectMany(Variants).Select((t, i) => new SearchRec.Evaluation.Trec.EvalQuery("q" + (i + 1), t)).ToList();
        var products = queries.Select((_, i) => SearchRec.Core.Product.Of("d" + (i + 1), "item")).ToList();
        var qrels = new Qrels();
        for (var i = 1; i <= queries.Count; i++) qrels.Set("q" + i, "d" + i, 1);
        var context = new EvalContext(new FakeRecall(products), products, queries, qrels) { Folds = 5, Seed = 3 };
        var factory = new RecordingFactory();
        var registry = new EvalRankerRegistry();
        registry.Register(factory);

        var outcome = EvalRunner.Run(registry, context, ["learned"], new EvalRunOptions { Permutations = 200, Resamples = 200 });

        var textOf = queries.ToDictionary(q => q.Id, q => SearchRec.Text.QueryTextComparer.Key(q.Text));
        Assert.Equal(8, textOf.Values.Distinct().Count());
        Assert.Equal(5, outcome.Folds);
        // More folds than texts leave the extra ones empty: the outcome says how many were used, not how many were asked.
        Assert.Equal(8, EvalRunner.Run(registry, new EvalContext(new FakeRecall(products), products, queries, qrels) { Folds = 20, Seed = 3 }, ["learned"], new EvalRunOptions { Permutations = 200, Resamples = 200 }).Folds);
        Assert.Equal(24, factory.RankedBy.Count);
        foreach (var (query, trainedOn) in factory.RankedBy)
            Assert.DoesNotContain(textOf[query], trainedOn.Select(t => textOf[t]));
    }

    [Fact]
    public void Folds_of_distinct_texts_are_those_of_the_count_so_a_set_without_repeats_keeps_its_folds()
    {
        Assert.Equal(EvalRunner.AssignFolds(103, 5, 42), EvalRunner.AssignFolds(Enumerable.Range(0, 103).Select(i => "query " + i).ToList(), 5, 42));
        var withRepeats = EvalRunner.AssignFolds(["鞋", "鞋 ", "包", "帽", "衣", "裤"], 5, 42);
        Assert.Equal(withRepeats[0], withRepeats[1]);
    }

    [Fact]
    public void With_several_fold_seeds_a_trained_ranker_is_cross_validated_at_each_and_every_query_averaged()
    {
        var (context, _) = Shop.Tiny(20);
        var registry = new EvalRankerRegistry();
        registry.Register("fixed", _ => new FixedRanker("fixed", q => ["d" + q[1..]]));
        var seeded = new SeedDependentFactory();
        registry.Register(seeded);

        var outcome = EvalRunner.Run(registry, context, ["fixed", "seeded"], new EvalRunOptions { FoldSeeds = [3, 8], Permutations = 200, Resamples = 200 });

        Assert.Equal([3, 8], outcome.FoldSeeds);
        Assert.Equal([3, 3, 3, 3, 3, 8, 8, 8, 8, 8], seeded.SeedsTrained);
        Assert.Empty(outcome.Rankers[0].BySeed);
        var r = outcome.Rankers[1];
        Assert.Equal([3, 8], r.BySeed.Select(s => s.Seed));
        var alone = new[] { 3, 8 }.Select(s => EvalRunner.Run(registry, context.WithSeed(s), ["seeded"], new EvalRunOptions { Permutations = 200, Resamples = 200 }).Rankers[0]).ToArray();
        Assert.NotEqual(alone[0].Metrics.PerQuery("ndcg@10"), alone[1].Metrics.PerQuery("ndcg@10"));
        for (var k = 0; k < 2; k++) Assert.Equal(alone[k].Metrics.PerQuery("ndcg@10"), r.BySeed[k].Metrics.PerQuery("ndcg@10"));
        for (var i = 0; i < outcome.QueryIds.Count; i++)
            Assert.Equal((alone[0].Metrics.PerQuery("mrr@10")[i] + alone[1].Metrics.PerQuery("mrr@10")[i]) / 2, r.Metrics.PerQuery("mrr@10")[i], 12);
        foreach (var q in outcome.QueryIds) Assert.Equal(alone[0].Run.DocIds(q), r.Run.DocIds(q));

        // The report shows each seed's nDCG@10 beside the mean, as the console table does; it showed the mean alone.
        var html = EvalReport.Render(outcome, new EvalReportInfo("q.tsv", "qrels.tsv", "catalog.jsonl"));
        Assert.Contains("<th>ndcg@10 at seeds 3 / 8</th>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>{alone[0].Metrics.Mean("ndcg@10").ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} / {alone[1].Metrics.Mean("ndcg@10").ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}</td>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"ns\">(no training)</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_or_too_many_fold_seeds_are_refused_naming_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() => new EvalRunOptions { FoldSeeds = [1, 2, 1] }.Validate());
        Assert.Contains("FoldSeeds repeats a seed", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new EvalRunOptions { FoldSeeds = Enumerable.Range(0, 21).ToArray() }.Validate());
        Assert.Contains("at most 20", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_with_another_seed_keeps_everything_else()
    {
        var (context, _) = Shop.Tiny(5);
        var original = new EvalContext(context.Index, context.Catalog, context.Queries, context.Qrels)
        {
            ModelsDirectory = "m", EventFiles = ["e.csv"], Folds = 3, Seed = 1, OutOfDomainTraining = "o.jsonl",
            OutOfDomainCatalog = ["c.jsonl"], OutOfDomainQueries = 7,
        };
        var copy = original.WithSeed(9).WithSeed(11);
        Assert.Equal(11, copy.Seed);
        Assert.Equal((original.ModelsDirectory, original.EventFiles, original.Folds, original.OutOfDomainTraining, original.OutOfDomainCatalog, original.OutOfDomainQueries),
            (copy.ModelsDirectory, copy.EventFiles, copy.Folds, copy.OutOfDomainTraining, copy.OutOfDomainCatalog, copy.OutOfDomainQueries));
        Assert.Same(original, copy.Root);
    }

    [Fact]
    public void All_leaves_out_a_ranker_its_inputs_cannot_feed_and_naming_it_is_refused_with_what_it_needs()
    {
        var (context, _) = Shop.Tiny(6);
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.Register("needs-models", _ => new FixedRanker("needs-models", _ => []), unavailable: c => c.ModelsDirectory is null ? "needs --models" : null);
        var skipped = new List<string>();
        Assert.Equal(["bm25-title", "bm25-bigram", "bm25"], registry.Resolve("all", context, skipped.Add));
        Assert.Equal(["needs-models: needs --models"], skipped);
        var e = Assert.Throws<ArgumentException>(() => registry.Resolve("bm25,needs-models", context));
        Assert.Equal("ranker 'needs-models' needs --models", e.Message);
        var withModels = new EvalContext(context.Index, context.Catalog, context.Queries, context.Qrels) { ModelsDirectory = "m" };
        Assert.Equal(["bm25-title", "bm25-bigram", "bm25", "needs-models"], registry.Resolve("all", withModels));
    }

    [Fact]
    public void The_registry_resolves_lists_and_all_and_names_known_rankers_when_one_is_unknown()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        Assert.Equal(["bm25", "bm25-title"], registry.Resolve("BM25, bm25-title,bm25"));
        var e = Assert.Throws<ArgumentException>(() => registry.Resolve("bm25,lambdamart"));
        Assert.Contains("unknown ranker 'lambdamart'", e.Message, StringComparison.Ordinal);
        Assert.Contains("bm25-bigram", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => registry.Register("bm25", _ => new FixedRanker("x", _ => [])));
        Assert.Throws<ArgumentException>(() => registry.Register("all", _ => new FixedRanker("x", _ => [])));
    }

    [Fact]
    public void An_experimental_ranker_runs_when_named_but_is_not_part_of_all()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.RegisterExperimental(new RecordingFactory(), "ablation");
        Assert.Equal(["bm25-title", "bm25-bigram", "bm25"], registry.Resolve("all"));
        Assert.Equal(["learned"], registry.Resolve("learned"));
        Assert.True(registry.IsCrossValidated("learned"));
    }

    [Fact]
    public void An_unknown_ranker_gets_the_nearest_name_and_the_main_rankers_and_only_a_count_of_the_experimental_ones()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.RegisterExperimental(new RecordingFactory(), "ablation");

        var typo = Assert.Throws<ArgumentException>(() => registry.Resolve("bm52-title"));
        Assert.Equal("unknown ranker 'bm52-title' (did you mean 'bm25-title'?); known: bm25-title, bm25-bigram, bm25, and 1 experimental one ('--ranker list' describes them all)", typo.Message);
        Assert.True(registry.IsExperimental("learned"));
        Assert.False(registry.IsExperimental("bm25"));

        var far = Assert.Throws<ArgumentException>(() => registry.Resolve("word2vec"));
        Assert.DoesNotContain("did you mean", far.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("learned", far.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ranker_reads_the_optional_inputs_it_was_registered_with_and_none_by_default()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.Register("personal", _ => new FixedRanker("personal", _ => []), reads: EvalRankerInputs.Events);
        registry.RegisterExperimental(new RecordingFactory(), "transfer", EvalRankerInputs.Events | EvalRankerInputs.OutOfDomainTraining);
        Assert.Equal(EvalRankerInputs.None, registry.Reads("bm25"));
        Assert.Equal(EvalRankerInputs.Events, registry.Reads("PERSONAL"));
        Assert.Equal(EvalRankerInputs.Events | EvalRankerInputs.OutOfDomainTraining, registry.Reads("learned"));
    }

    [Fact]
    public void Modules_in_an_assembly_register_their_rankers_once()
    {
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        registry.AddModules([typeof(EvalRunnerTests).Assembly]);
        registry.AddModules([typeof(EvalRunnerTests).Assembly]);
        Assert.Equal(["bm25-title", "bm25-bigram", "bm25", "test-module-ranker"], registry.Names);
        Assert.Equal("from a module", registry.Describe("test-module-ranker"));
    }

    [Fact]
    public void The_report_embeds_charts_escapes_names_and_includes_ranker_sections()
    {
        var (context, _) = Shop.Tiny(12);
        var registry = new EvalRankerRegistry();
        registry.Register("base<1>", _ => new FixedRanker("base<1>", _ => ["none"]));
        registry.Register(new RecordingFactory());
        var outcome = EvalRunner.Run(registry, context, ["base<1>", "learned"], new EvalRunOptions());
        var html = EvalReport.Render(outcome, new EvalReportInfo("q.tsv", "qrels.tsv", "catalog.jsonl"));

        Assert.Equal(4, CountOf(html, "src=\"data:image/png;base64,"));
        Assert.Contains("base&lt;1&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("base<1>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>learned: weights (fold 1)</h2><p>w</p>", html, StringComparison.Ordinal);
        Assert.Contains("wins", html, StringComparison.Ordinal);
        Assert.DoesNotContain("saved ranker", html, StringComparison.Ordinal);
        // Nothing was skipped (compare's reports never skip): no "0 without were skipped".
        Assert.Equal(0, outcome.SkippedQueries);
        Assert.DoesNotContain("without were skipped", html, StringComparison.Ordinal);
        HtmlFooterTests.AssertFooter(html);
    }

    [Fact]
    public void The_report_gives_each_later_ranker_its_signed_difference_from_the_first_and_a_lone_ranker_none()
    {
        var (context, _) = Shop.Tiny(10);
        var registry = new EvalRankerRegistry();
        registry.Register("perfect", _ => new FixedRanker("perfect", q => ["d" + q[1..]]));
        registry.Register("nothing", _ => new FixedRanker("nothing", _ => ["none"]));
        registry.Register("also-perfect", _ => new FixedRanker("also-perfect", q => ["d" + q[1..]]));
        var info = new EvalReportInfo("q.tsv", "qrels.tsv", "catalog.jsonl");

        var html = EvalReport.Render(EvalRunner.Run(registry, context, registry.Resolve("perfect,nothing,also-perfect"), new EvalRunOptions()), info);

        Assert.Contains("<tr><td>nothing − perfect</td>" + string.Concat(Enumerable.Repeat("<td class=\"loss\">-1.0000</td>", 4)) + "</tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>also-perfect − perfect</td>" + string.Concat(Enumerable.Repeat("<td>0.0000</td>", 4)) + "</tr>", html, StringComparison.Ordinal);
        var alone = EvalReport.Render(EvalRunner.Run(registry, context, ["perfect"], new EvalRunOptions()), info);
        Assert.DoesNotContain("mean minus", alone, StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_per_query_changes_name_each_query_by_its_text_as_well_as_its_id()
    {
        var products = new[] { SearchRec.Core.Product.Of("d1", "连衣裙 夏"), SearchRec.Core.Product.Of("d2", "手机") };
        EvalQuery[] queries = [new("200030", "连衣裙 <夏季>"), new("200042", "手机")];
        var qrels = new Qrels();
        qrels.Set("200030", "d1", 1);
        qrels.Set("200042", "d2", 1);
        var context = new EvalContext(new FakeRecall(products), products, queries, qrels) { Folds = 2, Seed = 3 };
        var registry = new EvalRankerRegistry();
        registry.Register("a", _ => new FixedRanker("a", q => q == "200030" ? ["d2", "d1"] : ["d2"]));
        registry.Register("b", _ => new FixedRanker("b", _ => ["d1", "d2"]));

        var outcome = EvalRunner.Run(registry, context, ["a", "b"], new EvalRunOptions());
        var html = EvalReport.Render(outcome, new EvalReportInfo("q.tsv", "qrels.tsv", "catalog.jsonl"));

        Assert.Equal(["连衣裙 <夏季>", "手机"], outcome.QueryTexts);
        // "200030" alone did not say which query moved.
        Assert.Contains("<tr><td>200030</td><td class=\"text\">连衣裙 &lt;夏季&gt;</td><td>0.631</td><td>1.000</td>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>200042</td><td class=\"text\">手机</td><td>1.000</td><td>0.631</td>", html, StringComparison.Ordinal);
        // Runs read from files (compare) have no texts: the table keeps its qid column alone.
        var fromFiles = EvalReport.Render(outcome with { QueryTexts = [] }, new EvalReportInfo("q.tsv", "qrels.tsv", "catalog.jsonl"));
        Assert.DoesNotContain("<th class=\"text\">query</th>", fromFiles, StringComparison.Ordinal);
        Assert.Contains("<tr><td>200030</td><td>0.631</td>", fromFiles, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_says_when_fused_is_a_saved_ranker_the_same_at_every_fold()
    {
        var (context, _) = Shop.Tiny(12);
        var registry = new EvalRankerRegistry();
        registry.Register("fused", _ => new FixedRanker("fused", _ => ["none"]));
        var outcome = EvalRunner.Run(registry, context, ["fused"], new EvalRunOptions());
        var html = EvalReport.Render(outcome, new EvalReportInfo("q.tsv", "qrels.tsv", "catalog.jsonl") { SavedRanker = "models/<k>" });
        Assert.Contains("<b>fused</b> is the saved ranker in <code>models/&lt;k&gt;</code>", html, StringComparison.Ordinal);
    }

    private static int CountOf(string s, string part)
    {
        var n = 0;
        for (var i = s.IndexOf(part, StringComparison.Ordinal); i >= 0; i = s.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    // Ranks a query's document first or second depending on the training seed and the query, so seeds differ.
    private sealed class SeedDependentFactory : ICrossValidatedRankerFactory
    {
        public List<int> SeedsTrained { get; } = [];

        public string Name => "seeded";

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            SeedsTrained.Add(context.Seed);
            var seed = context.Seed;
            return new FixedRanker("seeded", q => (int.Parse(q[1..], System.Globalization.CultureInfo.InvariantCulture) + seed) % 3 == 0 ? ["x", "d" + q[1..]] : ["d" + q[1..]]);
        }
    }

    [Fact]
    public void A_ranker_handed_to_every_fold_is_reported_once_without_a_fold_number()
    {
        var (context, _) = Shop.Tiny(12);
        var registry = new EvalRankerRegistry();
        registry.Register(new SavedFactory());
        registry.Register(new RecordingFactory());
        var outcome = EvalRunner.Run(registry, context, ["saved", "learned"], new EvalRunOptions());
        Assert.Equal(["weights"], outcome.Rankers[0].Sections.Select(s => s.Title));
        Assert.Equal(Enumerable.Range(1, context.Folds).Select(f => $"weights (fold {f})"), outcome.Rankers[1].Sections.Select(s => s.Title));
    }

    // Hands every fold the same ranker, as eval's fused does with a saved model.
    private sealed class SavedFactory : ICrossValidatedRankerFactory
    {
        private readonly Saved _saved = new();

        public string Name => "saved";

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries) => _saved;

        private sealed class Saved : IEvalRanker, IReportSectionSource
        {
            public string Name => "saved";

            public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth) => [("d" + queryId[1..], 1f)];

            public IReadOnlyList<ReportSection> GetReportSections() => [new ReportSection("weights", "<p>w</p>")];
        }
    }

    private sealed class RecordingFactory : ICrossValidatedRankerFactory
    {
        public int Trained;
        public ConcurrentDictionary<string, HashSet<string>> RankedBy { get; } = new();

        public string Name => "learned";

        public IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries)
        {
            Trained++;
            return new TrainedRanker(this, trainQueries.Select(q => q.Id).ToHashSet());
        }

        private sealed class TrainedRanker(RecordingFactory owner, HashSet<string> trainedOn) : IEvalRanker, IReportSectionSource
        {
            public string Name => "learned";

            public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
            {
                owner.RankedBy[queryId] = trainedOn;
                return [("d" + queryId[1..], 1f)];
            }

            public IReadOnlyList<ReportSection> GetReportSections() => [new ReportSection("weights", "<p>w</p>")];
        }
    }
}

public sealed class TestRankerModule : IEvalRankerModule
{
    public void Register(EvalRankerRegistry registry) =>
        registry.Register("test-module-ranker", _ => new FixedRanker("test-module-ranker", _ => []), "from a module");
}
