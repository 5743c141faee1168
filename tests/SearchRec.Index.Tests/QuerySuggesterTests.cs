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

    [Theory]
    [InlineData("shouji", "手机")]
    [InlineData("sj", "手机")]
    [InlineData("huaweis", "华为 手机")]
    [InlineData("hwsj", "华为 手机")]
    [InlineData("华为sj", "华为 手机")]
    [InlineData("HUAWEI", "华为")]
    [InlineData("ｊｇ", "坚果")]
    [InlineData("nvz", "女装")]
    public void Typed_pinyin_completes_to_chinese_text_whole_or_by_initials(string typed, string expected)
    {
        Assert.Equal(expected, Build().Suggest(typed, 5)[0].Text);
    }

    [Fact]
    public void Completions_beginning_with_the_typed_letters_come_before_pinyin_ones_and_whole_readings_before_initials()
    {
        // 沙鸥酒 is the heaviest, but "shouj" spells it only with an initial (sh- of sha, ou, j-); 手机 as shou + j-.
        Product[] products =
        [
            Product.Of("1", "沙鸥酒 白酒") with { Category = ["沙鸥酒"] }, Product.Of("2", "沙鸥酒 礼盒") with { Category = ["沙鸥酒"] },
            Product.Of("3", "沙鸥酒 小瓶") with { Category = ["沙鸥酒"] }, Product.Of("4", "智能 手机") with { Category = ["手机"] },
            Product.Of("5", "Shoujia 茶杯") with { Brand = "Shoujia" },
        ];
        using var index = ProductIndex.Build(products, new IndexOptions());

        var found = QuerySuggester.Build(products, index).Suggest("shouj", 5);

        Assert.Equal(["Shoujia", "手机", "沙鸥酒"], Texts(found));
    }

    [Theory]
    [InlineData("shouji", "手机")]
    [InlineData("SHOU JI", "手机")]
    [InlineData("jianguo", "坚果")]
    [InlineData("huaweishouji", "华为 手机")]
    [InlineData("shouj", null)]
    [InlineData("sj", null)]
    [InlineData("apple", null)]
    [InlineData("手机", null)]
    public void Latin_letters_are_respelled_as_the_heaviest_completion_they_spell_whole(string typed, string? expected)
    {
        Assert.Equal(expected, Build().Respell(typed));
    }

    [Theory]
    [InlineData("首机", "手机")]
    [InlineData("碎花连衣群", "碎花连衣裙")]
    [InlineData("碎花 連衣群", "碎花连衣裙")]
    [InlineData("手机", null)]
    [InlineData("华为手", null)]
    [InlineData("外星人", null)]
    [InlineData("shouji", null)]
    [InlineData("首", null)]
    public void A_search_that_is_no_completion_gets_the_heaviest_completion_that_reads_alike(string typed, string? expected)
    {
        Assert.Equal(expected, Build("碎花连衣裙").DidYouMean(typed));
    }

    [Fact]
    public void Only_short_all_letter_pinyin_prefixes_are_cached_so_typed_text_cannot_grow_the_cache_without_bound()
    {
        var suggester = Build();
        Assert.Equal("手机", suggester.Suggest("sj", 5)[0].Text);
        Assert.Equal(1, suggester.CachedPinyinPrefixes);

        // A letter then any two characters (Chinese, emoji halves, other scripts): billions of texts a client can send.
        var rng = new Random(3);
        for (var i = 0; i < 2_000; i++)
            suggester.Suggest("s" + (char)rng.Next(0x4E00, 0x9FA5) + (char)rng.Next(0x4E00, 0x9FA5), 5);
        suggester.Suggest("s😀", 5);
        suggester.Suggest("sй", 5);

        Assert.Equal(1, suggester.CachedPinyinPrefixes);
        Assert.Equal("华为 手机", suggester.Suggest("华为sj", 5)[0].Text);
        Assert.Equal("华为", suggester.Suggest("hw", 5)[0].Text);
        Assert.Equal(2, suggester.CachedPinyinPrefixes);
    }

    [Fact]
    public void Long_ranges_give_the_same_completions_as_a_full_scan()
    {
        var products = new ShopGenerator(new ShopOptions { Products = 5_000, Users = 1, Seed = 9 }).Products().ToList();
        using var index = ProductIndex.Build(products, new IndexOptions());
        var log = products.Take(3_000).Select(p => p.Title.Length > 12 ? p.Title[..12] : p.Title).ToList();
        var suggester = QuerySuggester.Build(products, index, log);
        Assert.True(suggester.Count > 1_000);

        var typedTexts = products.Take(200).Select(p => p.Title).SelectMany(t => new[] { t[..1], t[..Math.Min(2, t.Length)], t[..Math.Min(4, t.Length)] })
            .Concat(products.Take(300).SelectMany(p => Spellings(p.Title)))
            .Distinct().ToList();
        Assert.Contains(typedTexts, t => t.All(char.IsAsciiLetterLower) && t.Length > 3);
        foreach (var typed in typedTexts)
            foreach (var k in new[] { 7, QuerySuggester.MaxK })
                Assert.Equal(FullScan(suggester, typed, k), suggester.Suggest(typed, k).Select(s => s.Text).ToList());
    }

    // What Suggest promises, by brute force: literal prefix matches, then pinyin ones typed whole, then by initials.
    private static List<string> FullScan(QuerySuggester suggester, string typed, int k)
    {
        var key = SearchRec.Text.QueryTextComparer.Key(typed);
        IEnumerable<(string Key, Suggestion Entry, long Reach)> Ranked(Func<string, bool> match) => suggester.Entries().Where(e => match(e.Key))
            .OrderByDescending(e => e.Entry.Weight).ThenByDescending(e => e.Reach).ThenBy(e => e.Key.Length).ThenBy(e => e.Key, StringComparer.Ordinal);
        var literal = Ranked(e => e.StartsWith(key, StringComparison.Ordinal)).Take(k);
        if (!key.Any(char.IsAsciiLetterLower)) return literal.Select(e => e.Entry.Text).ToList();
        var spelled = Ranked(e => SearchRec.Text.Pinyin.MatchPrefix(e, key) == SearchRec.Text.PinyinMatch.Full).Take(QuerySuggester.MaxK)
            .Concat(Ranked(e => SearchRec.Text.Pinyin.MatchPrefix(e, key) == SearchRec.Text.PinyinMatch.Abbreviated)).Take(QuerySuggester.MaxK);
        return literal.Concat(spelled.Where(e => !literal.Contains(e))).Take(k).Select(e => e.Entry.Text).ToList();
    }

    // A title's first characters typed in pinyin: whole readings, initials, and Chinese then initials.
    private static IEnumerable<string> Spellings(string title)
    {
        var key = SearchRec.Text.QueryTextComparer.Key(title);
        var han = key.TakeWhile(c => !SearchRec.Text.Pinyin.ReadingsOf(c).IsEmpty).Take(3).ToArray();
        if (han.Length < 2) yield break;
        var readings = han.Select(c => SearchRec.Text.Pinyin.ReadingsOf(c)[0]).ToArray();
        yield return string.Concat(readings);
        yield return string.Concat(readings.Select(r => r[0]));
        yield return readings[0][..1];
        yield return readings[0] + readings[1][..1];
        yield return han[0] + string.Concat(readings.Skip(1).Select(r => r[0]));
    }
}
