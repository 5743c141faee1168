using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class ListAndIdfFeatureTests
{
    // "手机" is in most titles, "华为" in one: missing 华为 should cost more than missing 手机.
    private static readonly string[] Titles = ["手机壳 防摔", "手机 支架", "手机 贴膜", "手机 充电器", "华为 Mate60 手机", "连衣裙 夏季"];

    private static RankingCandidate Candidate(string id, string title, int rank = 0, float score = 1) =>
        new(new RecallCandidate(rank, id, score, new FieldScores(score, score, 0, 0, 0)), Product.Of(id, title));

    private static float Get(FeatureExtractor fx, float[] m, int row, string name) => m[row * fx.Schema.Count + fx.Schema.IndexOf(name)];

    [Fact]
    public void A_title_missing_a_rare_query_bigram_scores_lower_idf_coverage_than_one_missing_a_common_bigram()
    {
        var fx = new FeatureExtractor([new IdfFeatures(TitleBigramStats.Build(Titles))]);
        // "手机壳" = 手机 (in five titles) + 机壳 (in one).
        RankingCandidate[] cands = [Candidate("a", "手机 支架"), Candidate("b", "机壳 配件")];
        var m = fx.Extract(RankingQuery.Create("手机壳", new SpaceTokenizer()), cands);
        Assert.Equal(TextFeatures.BigramShare("手机壳", "手机支架"), TextFeatures.BigramShare("手机壳", "机壳配件"));
        Assert.True(Get(fx, m, 1, "idf_coverage") > Get(fx, m, 0, "idf_coverage"));
        Assert.True(Get(fx, m, 0, "idf_missing_max") > Get(fx, m, 1, "idf_missing_max"));
        Assert.Equal(0f, Get(fx, m, 0, "idf_rarest_found"));
        Assert.Equal(1f, Get(fx, m, 1, "idf_rarest_found"));
        Assert.Equal(Get(fx, m, 0, "idf_query_mean"), Get(fx, m, 1, "idf_query_mean"));
        Assert.Equal(1f, Get(fx, m, 0, "has_idf"));
    }

    [Fact]
    public void A_title_holding_every_query_bigram_has_full_idf_coverage_and_nothing_missing()
    {
        var fx = new FeatureExtractor([new IdfFeatures(TitleBigramStats.Build(Titles))]);
        var m = fx.Extract(RankingQuery.Create("华为手机", new SpaceTokenizer()), [Candidate("a", "新款 华为手机 5G")]);
        Assert.Equal(1f, Get(fx, m, 0, "idf_coverage"), 5);
        Assert.Equal(0f, Get(fx, m, 0, "idf_missing_max"));
        Assert.Equal(1f, Get(fx, m, 0, "idf_rarest_found"));
    }

    [Fact]
    public void A_one_character_query_has_no_idf_features_and_a_zero_indicator()
    {
        var fx = new FeatureExtractor([new IdfFeatures(TitleBigramStats.Build(Titles))]);
        var m = fx.Extract(RankingQuery.Create("壳", new SpaceTokenizer()), [Candidate("a", "手机壳 防摔")]);
        Assert.Equal(0f, Get(fx, m, 0, "has_idf"));
        Assert.True(float.IsNaN(Get(fx, m, 0, "idf_coverage")));
    }

    [Fact]
    public void Bigram_idf_falls_with_document_frequency_and_survives_a_save_and_load()
    {
        using var dir = new TempDir();
        var stats = TitleBigramStats.Build(Titles);
        Assert.Equal(Titles.Length, stats.Documents);
        Assert.True(stats.Idf('华', '为') > stats.Idf('手', '机'));
        Assert.True(stats.Idf('无', '有') > stats.Idf('华', '为')); // unseen
        var path = Path.Combine(dir.Path, TitleBigramStats.FileName);
        stats.Save(path);
        var loaded = TitleBigramStats.Load(path);
        Assert.Equal(stats.Bigrams, loaded.Bigrams);
        Assert.Equal(stats.Idf('手', '机'), loaded.Idf('手', '机'));
        Assert.Equal(stats.Idf('华', '为'), loaded.Idf('华', '为'));
    }

    [Fact]
    public void A_malformed_bigram_table_line_is_reported_with_its_line_number()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "df.tsv");
        File.WriteAllLines(path, ["#documents\t3", "手机\t2", "华为 1"]);
        var e = Assert.Throws<InvalidDataException>(() => TitleBigramStats.Load(path));
        Assert.Contains(":3:", e.Message);
    }

    [Fact]
    public void List_features_put_the_best_covering_title_at_gap_zero_and_rank_one()
    {
        var fx = new FeatureExtractor([new ListFeatures()]);
        RankingCandidate[] cands = [Candidate("a", "手机 支架", 0), Candidate("b", "华为手机 Mate60", 1), Candidate("c", "华为 平板", 2)];
        var m = fx.Extract(RankingQuery.Create("华为手机", new SpaceTokenizer()), cands);
        Assert.Equal(0f, Get(fx, m, 1, "list_cov_gap"));
        Assert.Equal(1f, Get(fx, m, 1, "list_cov_rank")); // log2(2 + 0)
        Assert.Equal(0f, Get(fx, m, 1, "list_lcs_gap"));
        Assert.True(Get(fx, m, 0, "list_cov_gap") > 0);
        Assert.True(Get(fx, m, 0, "list_lcs_gap") > 0);
        Assert.True(Get(fx, m, 0, "list_lcs_rank") > 1f);
        // Titles of 4, 10 and 4 folded characters: median 4, so the long one is above 0 and the others at 0.
        Assert.Equal(0f, Get(fx, m, 0, "list_len_rel"), 5);
        Assert.True(Get(fx, m, 1, "list_len_rel") > 0);
    }

    [Fact]
    public void A_ranker_saved_before_the_list_and_idf_groups_still_loads()
    {
        var old = new FeatureExtractor([new RecallFeatures(), new TextFeatures()]).Schema;
        var fx = StandardFeatures.ForSchema(old, new FeatureSources());
        Assert.Equal(old, fx.Schema);
    }

    [Fact]
    public void List_and_head_groups_are_left_out_unless_asked_for_and_then_load_back_in_the_same_order()
    {
        var plain = StandardFeatures.ForSearch(new FeatureSources()).Schema;
        Assert.True(plain.IndexOf("list_cov_gap") < 0);
        Assert.True(plain.IndexOf("head_match") < 0);
        var asked = StandardFeatures.ForSearch(new FeatureSources { ListAndHead = true }).Schema;
        Assert.True(asked.IndexOf("list_cov_gap") > asked.IndexOf("bm25"));
        Assert.True(asked.IndexOf("head_match") > asked.IndexOf("list_cov_gap"));
        Assert.Equal(asked, StandardFeatures.ForSchema(asked, new FeatureSources()).Schema);
    }

    [Fact]
    public void A_ranker_with_idf_features_is_refused_without_the_bigram_table_naming_it()
    {
        var schema = StandardFeatures.ForSearch(new FeatureSources { TitleStats = TitleBigramStats.Build(Titles), ListAndHead = true }).Schema;
        Assert.True(schema.IndexOf("idf_coverage") >= 0);
        Assert.True(schema.IndexOf("list_cov_gap") >= 0);
        var e = Assert.Throws<ArgumentException>(() => StandardFeatures.ForSchema(schema, new FeatureSources()));
        Assert.Contains(TitleBigramStats.FileName, e.Message);
        var fx = StandardFeatures.ForSchema(schema, new FeatureSources { TitleStats = TitleBigramStats.Build(Titles) });
        Assert.Equal(schema, fx.Schema);
    }

    [Fact]
    public void Model_locations_load_the_bigram_table_saved_beside_the_ranker()
    {
        using var dir = new TempDir();
        var stats = TitleBigramStats.Build(Titles);
        var schema = StandardFeatures.ForSearch(new FeatureSources { TitleStats = stats }).Schema;
        RankerStore.Save(new LinearRanker(schema, new float[schema.Count], Enumerable.Repeat(1f, schema.Count).ToArray(), new float[schema.Count], 0), dir.Path, new ModelCard { Kind = "linear" });
        var missing = Assert.Throws<FileNotFoundException>(() => ModelLocations.LoadSources(dir.Path, schema, _ => null));
        Assert.Contains(TitleBigramStats.FileName, missing.Message);
        stats.Save(Path.Combine(dir.Path, TitleBigramStats.FileName));
        var sources = ModelLocations.LoadSources(dir.Path, schema, _ => null);
        Assert.Equal(stats.Idf('华', '为'), sources.TitleStats!.Idf('华', '为'));
    }

    [Fact]
    public void Nested_selection_prefers_the_setting_that_validates_better_on_inner_folds()
    {
        var data = SyntheticData.Make(30, 20, seed: 11);
        LambdaMartOptions stump = new() { Trees = 1, Leaves = 2, MinRowsPerLeaf = 5 };
        LambdaMartOptions forest = new() { Trees = 60, Leaves = 8, MinRowsPerLeaf = 5, LearningRate = 0.2 };
        var (best, ndcg) = LambdaMartSelection.Choose(data, [stump, forest], 3, seed: 5);
        Assert.Same(forest, best);
        Assert.Equal(2, ndcg.Length);
        Assert.True(ndcg[1] > ndcg[0]);
    }
    [Fact]
    public void The_query_log_prior_counts_log_queries_recalling_each_product_and_survives_a_save_and_load()
    {
        using var dir = new TempDir();
        var recall = new FakeRecall(Fixtures.Catalog);
        // FakeRecall matches any shared character: 华为 recalls 1 and 3 (1 first), 连衣裙 recalls 5 and 6.
        var prior = QueryLogPrior.Build(recall, ["华为", "华为", "连衣裙", " "], depth: 10);
        Assert.Equal(3, prior.Queries);
        Assert.Equal((2, 2), prior.For("1"));
        Assert.Equal((2, 0), prior.For("3"));
        Assert.Equal((0, 0), prior.For("2"));
        var path = Path.Combine(dir.Path, QueryLogPrior.FileName);
        prior.Save(path);
        var loaded = QueryLogPrior.Load(path);
        Assert.Equal(prior.For("1"), loaded.For("1"));
        Assert.Equal(prior.Products, loaded.Products);
        Assert.Equal(10, loaded.Depth);

        var fx = new FeatureExtractor([new PriorFeatures(loaded)]);
        var m = fx.Extract(RankingQuery.Create("华为", new SpaceTokenizer()), [Candidate("1", "华为 手机"), Candidate("2", "小米 手机")]);
        Assert.Equal(MathF.Log(3), Get(fx, m, 0, "prior_hits"), 5);
        Assert.Equal(0f, Get(fx, m, 1, "prior_hits"));
    }

    [Fact]
    public void A_malformed_prior_line_is_reported_with_its_line_number_and_a_missing_prior_is_named()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, QueryLogPrior.FileName);
        File.WriteAllLines(path, ["#queries\t5\tdepth\t10", "1\t3\t1", "2\tthree\t0"]);
        var e = Assert.Throws<InvalidDataException>(() => QueryLogPrior.Load(path));
        Assert.Contains(":3:", e.Message);
        var schema = StandardFeatures.ForSearch(new FeatureSources { Prior = QueryLogPrior.Build(new FakeRecall(Fixtures.Catalog), ["华为"]) }).Schema;
        var missing = Assert.Throws<ArgumentException>(() => StandardFeatures.ForSchema(schema, new FeatureSources()));
        Assert.Contains("build-prior", missing.Message);
    }
    [Fact]
    public void The_head_word_is_the_last_query_word_and_partial_matches_get_partial_credit()
    {
        var fx = new FeatureExtractor([new HeadFeatures()]);
        RankingCandidate[] cands = [Candidate("a", "背景墙 夹子灯 串灯"), Candidate("b", "北欧 吊灯 餐厅"), Candidate("c", "雪地靴 棉鞋")];
        var m = fx.Extract(RankingQuery.Create("背景墙 吊灯", new SpaceTokenizer()), cands);
        Assert.Equal(0f, Get(fx, m, 0, "head_match"));
        Assert.True(float.IsNaN(Get(fx, m, 0, "head_pos")));
        Assert.Equal(0.5f, Get(fx, m, 0, "head_char_share")); // 灯 but not 吊
        Assert.Equal(1f, Get(fx, m, 1, "head_match"));
        Assert.Equal(2f / 6, Get(fx, m, 1, "head_pos"), 5);
        Assert.Equal(0f, Get(fx, m, 2, "head_char_share"));
    }
    [Fact]
    public void List_features_read_from_the_text_group_equal_those_computed_alone()
    {
        var alone = new FeatureExtractor([new ListFeatures()]);
        var shared = new FeatureExtractor([new RecallFeatures(), new TextFeatures(), new ListFeatures()]);
        var cands = Fixtures.Candidates("华为 手机 黑色");
        var q = RankingQuery.Create("华为 手机 黑色", new SpaceTokenizer());
        var a = alone.Extract(q, cands);
        var b = shared.Extract(q, cands);
        Assert.True(cands.Length >= 3);
        for (var r = 0; r < cands.Length; r++)
            foreach (var name in alone.Schema.Names)
                Assert.Equal(Get(alone, a, r, name), Get(shared, b, r, name));
    }
}
