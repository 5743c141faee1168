using SearchRec.Ranking.Features;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class FeatureTests
{
    private static float Get(FeatureExtractor fx, float[] m, int row, string name) => m[row * fx.Schema.Count + fx.Schema.IndexOf(name)];

    [Fact]
    public void Schema_hash_changes_with_names_order_and_version()
    {
        var a = new FeatureSchema(["x", "y"], 1);
        Assert.Equal(a, new FeatureSchema(["x", "y"], 1));
        Assert.NotEqual(a.Hash, new FeatureSchema(["y", "x"], 1).Hash);
        Assert.NotEqual(a.Hash, new FeatureSchema(["x", "y"], 2).Hash);
        Assert.NotEqual(a.Hash, new FeatureSchema(["x", "z"], 1).Hash);
    }

    [Fact]
    public void Schema_difference_names_missing_and_extra_features()
    {
        var here = new FeatureSchema(["bm25", "coverage"], 2);
        var model = new FeatureSchema(["bm25", "deep_query_item"], 3);
        var diff = here.DescribeDifference(model)!;
        Assert.Contains("deep_query_item", diff);
        Assert.Contains("coverage", diff);
        Assert.Contains("version 3", diff);
        Assert.Null(here.DescribeDifference(new FeatureSchema(["bm25", "coverage"], 2)));
    }

    [Fact]
    public void Schema_refuses_duplicate_names()
    {
        var e = Assert.Throws<ArgumentException>(() => new FeatureSchema(["a", "b", "a"], 1));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void Extractor_schema_is_the_groups_names_in_order_with_summed_versions()
    {
        var fx = Fixtures.Extractor();
        Assert.Equal("bm25", fx.Schema.Names[0]);
        Assert.Equal(new RecallFeatures().FeatureNames.Count + new TextFeatures().FeatureNames.Count, fx.Schema.Count);
        Assert.Equal(2, fx.Schema.Version);
    }

    [Fact]
    public void Exact_phrase_and_full_coverage_are_seen_in_the_matching_title()
    {
        var fx = Fixtures.Extractor();
        var cands = Fixtures.Candidates("华为 手机");
        var q = RankingQuery.Create("华为 手机", new SpaceTokenizer());
        var m = fx.Extract(q, cands);
        var row = Array.FindIndex(cands, c => c.Product.Id == "1");
        var other = Array.FindIndex(cands, c => c.Product.Id == "3");
        Assert.Equal(1f, Get(fx, m, row, "term_coverage"));
        Assert.Equal(1f, Get(fx, m, row, "exact_phrase"));
        Assert.Equal(1f, Get(fx, m, row, "prefix_match"));
        Assert.Equal(1f, Get(fx, m, row, "lcs_ratio"));
        Assert.Equal(0.5f, Get(fx, m, other, "term_coverage"));
        Assert.Equal(0f, Get(fx, m, other, "exact_phrase"));
        Assert.Equal(1f, Get(fx, m, row, "brand_match"));
    }

    [Fact]
    public void Unknown_brand_category_price_and_proximity_are_NaN_with_a_zero_indicator()
    {
        var fx = Fixtures.Extractor();
        var cands = Fixtures.Candidates("手机壳");
        var q = RankingQuery.Create("手机壳", new SpaceTokenizer());
        var m = fx.Extract(q, cands);
        var row = Array.FindIndex(cands, c => c.Product.Id == "4");
        Assert.Equal(0f, Get(fx, m, row, "has_brand"));
        Assert.True(float.IsNaN(Get(fx, m, row, "brand_match")));
        Assert.Equal(0f, Get(fx, m, row, "has_category"));
        Assert.True(float.IsNaN(Get(fx, m, row, "category_match")));
        Assert.Equal(0f, Get(fx, m, row, "has_price"));
        Assert.True(float.IsNaN(Get(fx, m, row, "log_price")));
        Assert.Equal(0f, Get(fx, m, row, "has_proximity"));
        Assert.True(float.IsNaN(Get(fx, m, row, "proximity")));
        var branded = Array.FindIndex(cands, c => c.Product.Id == "1");
        Assert.Equal(1f, Get(fx, m, branded, "has_brand"));
        Assert.Equal(0f, Get(fx, m, branded, "brand_match"));
    }

    [Fact]
    public void Proximity_is_one_for_adjacent_words_and_lower_when_apart()
    {
        var fx = Fixtures.Extractor();
        var q = RankingQuery.Create("黑色 连衣裙", new SpaceTokenizer());
        var cands = Fixtures.Candidates("黑色 连衣裙");
        var m = fx.Extract(q, cands);
        var adjacent = Array.FindIndex(cands, c => c.Product.Id == "6");
        Assert.Equal(1f, Get(fx, m, adjacent, "proximity"));
        Assert.Equal(1f, Get(fx, m, adjacent, "terms_in_order"));
    }

    [Fact]
    public void Recall_features_are_relative_to_the_best_in_the_window()
    {
        var fx = Fixtures.Extractor();
        var cands = Fixtures.Candidates("华为 手机");
        var m = fx.Extract(RankingQuery.Create("华为 手机", new SpaceTokenizer()), cands);
        Assert.Equal(1f, Get(fx, m, 0, "bm25_rel"));
        for (var r = 1; r < cands.Length; r++) Assert.True(Get(fx, m, r, "bm25_rel") <= 1f);
        Assert.Equal(1f, Get(fx, m, 0, "recall_rank")); // log2(2 + 0)
    }

    [Fact]
    public void Attribute_match_is_the_share_of_query_words_in_any_value_whatever_dictionary_holds_the_attributes()
    {
        // The feature walks a Dictionary without its boxed enumerator and marks the words found in one pass; any
        // other dictionary type is walked through the interface. Both must count as the plain definition does.
        var rng = new Random(7);
        string[] words = ["红色", "xl", "棉", "夏季", "spf50", "24-70mm", "黑", "连衣裙", "A", "b"];
        var fx = Fixtures.Extractor();
        for (var trial = 0; trial < 200; trial++)
        {
            var values = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            for (var a = rng.Next(4); a > 0; a--)
                values["attr" + a] = [.. Enumerable.Range(0, rng.Next(3)).Select(_ => words[rng.Next(words.Length)] + (rng.Next(2) == 0 ? "款" : ""))];
            // up to 40 words: the text features read the first 32 (TextFeatures.MaxTokens)
            var query = string.Join(' ', Enumerable.Range(0, 1 + rng.Next(trial % 10 == 0 ? 40 : 5)).Select(i => words[rng.Next(words.Length)] + (i >= words.Length ? i : "")));
            var q = RankingQuery.Create(query, new SpaceTokenizer());
            var tokens = q.Tokens.Take(32).ToList();
            var expected = values.Count == 0 ? float.NaN
                : tokens.Count == 0 ? 0f
                : (float)tokens.Count(t => values.Values.Any(v => v.Any(x => x.Contains(t, StringComparison.OrdinalIgnoreCase)))) / tokens.Count;
            foreach (IReadOnlyDictionary<string, IReadOnlyList<string>> attributes in new IReadOnlyDictionary<string, IReadOnlyList<string>>[] { values, new SortedDictionary<string, IReadOnlyList<string>>(values, StringComparer.Ordinal) })
            {
                var product = new Core.Product("p", "标题", null, [], attributes, null);
                var m = fx.Extract(q, [new RankingCandidate(new Index.RecallCandidate(0, "p", 1f, default), product)]);
                Assert.Equal(expected, Get(fx, m, 0, "attribute_match"));
            }
        }
    }

    [Theory]
    [InlineData("abcde", "xxbcdyy", 3)]
    [InlineData("华为手机", "华为平板手机", 2)]
    [InlineData("", "abc", 0)]
    public void Longest_common_substring(string a, string b, int expected) =>
        Assert.Equal(expected, TextFeatures.LongestCommonSubstring(a, b));

    [Fact]
    public void Normalisation_folds_full_width_and_case_and_drops_punctuation() =>
        Assert.Equal("iphone15pro", TextNorm.Normalize("ＩＰｈｏｎｅ 15，Pro!"));

    [Fact]
    public void Normalisation_folds_traditional_characters_to_simplified() =>
        Assert.Equal("华为手机壳", TextNorm.Normalize("華為 手機殼"));

    [Fact]
    public void A_traditional_query_covers_the_simplified_title_as_its_simplified_twin_does()
    {
        var fx = Fixtures.Extractor();
        var cands = Fixtures.Candidates("华为 手机");
        var row = Array.FindIndex(cands, c => c.Product.Id == "1");
        var simplified = fx.Extract(RankingQuery.Create("华为 手机", new SpaceTokenizer()), cands);
        var traditional = fx.Extract(RankingQuery.Create("華為 手機", new SpaceTokenizer()), cands);
        Assert.Equal(1f, Get(fx, traditional, row, "term_coverage"));
        Assert.Equal(1f, Get(fx, traditional, row, "exact_phrase"));
        Assert.Equal(simplified, traditional);
    }
}
