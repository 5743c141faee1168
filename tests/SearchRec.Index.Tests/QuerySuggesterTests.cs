using SearchRec.Core;
using SearchRec.Synthetic;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class QuerySuggesterTests
{
    private static readonly ProductIndex Index = Fixture.InMemory();

    private static QuerySuggester Build(params string[] log) => QuerySuggester.Build(Fixture.Products, Index, log);

    private static List<string> Texts(IReadOnlyList<Suggestion> s) => s.Select(x => x.Text).ToList();

    [Fact]
    public void A_prefix_completes_to_the_catalogs_categories_brands_and_their_pairs_heaviest_first()
    {
        var suggester = Build();

        var huawei = suggester.Suggest("华为", 10);

        // 华为 has two products (手机, 耳机): the brand first, then its pairs, one product each, in key order.
        Assert.Equal(["华为", "华为 手机", "华为 耳机"], Texts(huawei));
        Assert.Equal(("brand", 2L), (huawei[0].Kind, huawei[0].Weight));
        Assert.Equal(("brand+category", 1L), (huawei[1].Kind, huawei[1].Weight));
        Assert.Equal("手机", suggester.Suggest("手", 1)[0].Text);
        Assert.Equal(("category", 3L), (suggester.Suggest("手机", 1)[0].Kind, suggester.Suggest("手机", 1)[0].Weight));
    }

    [Theory]
    [InlineData("华为手", "华为 手机")]
    [InlineData("華為 手", "华为 手机")]
    [InlineData("ａｐｐ", "Apple")]
    [InlineData("APPLE，手", "Apple 手机")]
    public void Spaces_punctuation_width_case_and_traditional_characters_do_not_matter(string typed, string expected)
    {
        Assert.Equal(expected, Build().Suggest(typed, 5)[0].Text);
    }

    [Fact]
    public void A_log_query_is_offered_only_when_the_index_holds_every_word_of_it_and_repeats_add_up()
    {
        var suggester = Build("碎花连衣裙", "碎花连衣裙", "碎花 連衣裙", "碎花 外星人", "碎花 雪纺", new string('碎', 41));

        var found = suggester.Suggest("碎花", 10);

        Assert.Equal(["碎花连衣裙", "碎花 雪纺"], Texts(found));
        Assert.Equal(("query", 3L), (found[0].Kind, found[0].Weight));
    }

    [Fact]
    public void Among_log_queries_asked_as_often_the_one_whose_rarest_word_more_products_hold_comes_first()
    {
        Product[] products = [Product.Of("1", "蓝色 杯子"), Product.Of("2", "蓝色 杯子 大号"), Product.Of("3", "蓝色 杯子 小号"), Product.Of("4", "红色 杯子")];
        using var index = ProductIndex.Build(products, new IndexOptions());

        var found = QuerySuggester.Build(products, index, ["杯子 红色", "杯子 蓝色"]).Suggest("杯子", 5);

        Assert.Equal(["杯子 蓝色", "杯子 红色"], Texts(found));
    }

    [Fact]
    public void A_log_query_that_is_also_a_catalog_phrase_is_offered_once_with_both_weights()
    {
        // One product in 坚果, two log queries: the heavier source names it.
        var suggester = Build("坚果", "坚果");
        var nuts = suggester.Suggest("坚果", 10);
        Assert.Single(nuts);
        Assert.Equal(("query", 3L), (nuts[0].Kind, nuts[0].Weight));
    }

    [Fact]
    public void Nothing_completes_an_unknown_prefix_or_text_without_letters_and_k_is_bounded()
    {
        var suggester = Build();
        Assert.Empty(suggester.Suggest("外星人", 5));
        Assert.Empty(suggester.Suggest(" ，。", 5));
        Assert.Empty(suggester.Suggest("", 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => suggester.Suggest("华为", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => suggester.Suggest("华为", QuerySuggester.MaxK + 1));
    }

    [Fact]
    public void Long_ranges_give_the_same_completions_as_a_full_scan()
    {
        var products = new ShopGenerator(new ShopOptions { Products = 5_000, Users = 1, Seed = 9 }).Products().ToList();
        using var index = ProductIndex.Build(products, new IndexOptions());
        var log = products.Take(3_000).Select(p => p.Title.Length > 12 ? p.Title[..12] : p.Title).ToList();
        var suggester = QuerySuggester.Build(products, index, log);
        Assert.True(suggester.Count > 1_000);

        foreach (var typed in products.Take(200).Select(p => p.Title).SelectMany(t => new[] { t[..1], t[..Math.Min(2, t.Length)], t[..Math.Min(4, t.Length)] }).Distinct())
        {
            var key = SearchRec.Text.QueryTextComparer.Key(typed);
            var expected = suggester.Entries().Where(e => e.Key.StartsWith(key, StringComparison.Ordinal))
                .OrderByDescending(e => e.Entry.Weight).ThenByDescending(e => e.Reach).ThenBy(e => e.Key.Length).ThenBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => e.Entry.Text).Take(7).ToList();
            Assert.Equal(expected, suggester.Suggest(typed, 7).Select(s => s.Text).ToList());
        }
    }
}
