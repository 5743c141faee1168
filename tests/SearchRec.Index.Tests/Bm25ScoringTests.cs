using SearchRec.Core;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class Bm25ScoringTests
{
    private static double Bm25(double tf, double len, double avg, int n, int df, double k1 = 1.2, double b = 0.75) =>
        Math.Log(1 + (n - df + 0.5) / (df + 0.5)) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg));

    [Fact]
    public void Title_scores_are_plain_BM25_with_exact_lengths()
    {
        Product[] products = [Product.Of("1", "a b"), Product.Of("2", "a c c d"), Product.Of("3", "e"), Product.Of("4", "c f g h i j k l m")];
        using var index = ProductIndex.Build(products, new IndexOptions { TitleAnalyzer = "whitespace" });
        var avg = (2 + 4 + 1 + 9) / 4.0;
        var hits = index.Recall(new RecallRequest("c") { Fields = RecallFields.Title });
        Assert.Equal(["2", "4"], hits.Select(h => h.ProductId));
        Assert.Equal(Bm25(2, 4, avg, 4, 2), hits[0].Score, 4);
        Assert.Equal(Bm25(1, 9, avg, 4, 2), hits[1].Score, 4);
    }

    [Fact]
    public void A_repeated_query_word_counts_as_often_as_it_appears()
    {
        Product[] products = [Product.Of("1", "a b"), Product.Of("2", "c d"), Product.Of("3", "a c")];
        using var index = ProductIndex.Build(products, new IndexOptions { TitleAnalyzer = "whitespace" });
        var once = index.Recall(new RecallRequest("a") { Fields = RecallFields.Title })[0].Score;
        var twice = index.Recall(new RecallRequest("a a") { Fields = RecallFields.Title })[0].Score;
        Assert.Equal(2 * once, twice, 4);
    }

    [Fact]
    public void A_tie_breaker_of_one_sums_the_field_scores()
    {
        Product[] products = [Product.Of("1", "红色 苹果"), Product.Of("2", "香蕉"), Product.Of("3", "青苹果 苹果")];
        using var index = ProductIndex.Build(products, new IndexOptions { TieBreaker = 1f });
        var hit = index.Recall(new RecallRequest("苹果"))[0];
        var f = hit.Fields;
        Assert.Equal(hit.Score, f.Title + f.Bigram + f.Brand + f.Category + f.Attributes, 3);
    }

    [Fact]
    public void Mixed_letter_and_digit_words_match_their_parts()
    {
        Product[] products = [Product.Of("1", "松下 XQB65-TW6321 洗衣机 6.5公斤"), Product.Of("2", "海尔 洗衣机 8公斤")];
        using var index = ProductIndex.Build(products, new IndexOptions());
        Assert.Equal("1", index.Recall(new RecallRequest("xqb65") { Fields = RecallFields.Title })[0].ProductId);
        Assert.Equal("1", index.Recall(new RecallRequest("tw6321") { Fields = RecallFields.Title })[0].ProductId);
        Assert.Equal("1", index.Recall(new RecallRequest("6.5kg 公斤") { Fields = RecallFields.Title })[0].ProductId);
    }

    [Fact]
    public void A_long_query_scores_its_matches_with_full_BM25()
    {
        // 200 products share the common word "x"; one also has the rare words. A long query (past the common-terms
        // threshold) must still give that product the same score a short query of all its words gives.
        var products = new List<Product>();
        for (var i = 0; i < 200; i++) products.Add(Product.Of($"c{i}", $"x filler{i}"));
        products.Add(Product.Of("r", "x a b c d e f g"));
        using var index = ProductIndex.Build(products, new IndexOptions { TitleAnalyzer = "whitespace" });
        var longQuery = index.Recall(new RecallRequest("x a b c d e f g") { Fields = RecallFields.Title });
        Assert.Equal("r", longQuery[0].ProductId);
        var parts = 0f;
        foreach (var w in "x a b c d e f g".Split(' '))
            parts += index.Recall(new RecallRequest(w) { Fields = RecallFields.Title, TopN = 1000 }).Single(h => h.ProductId == "r").Score;
        Assert.Equal(parts, longQuery[0].Score, 3);
    }

    [Fact]
    public void Dropped_punctuation_counts_toward_the_title_length()
    {
        // "华为,手机" is three positions long (华为 , 手机), as jieba counts it; "华为 手机" is two.
        Product[] products = [Product.Of("1", "华为,手机"), Product.Of("2", "华为 手机"), Product.Of("3", "苹果")];
        using var index = ProductIndex.Build(products, new IndexOptions());
        var avg = (3 + 2 + 1) / 3.0;
        var hits = index.Recall(new RecallRequest("华为") { Fields = RecallFields.Title });
        Assert.Equal(["2", "1"], hits.Select(h => h.ProductId));
        Assert.Equal(Bm25(1, 2, avg, 3, 2), hits[0].Score, 4);
        Assert.Equal(Bm25(1, 3, avg, 3, 2), hits[1].Score, 4);
    }

    [Fact]
    public void A_long_query_scores_every_term_as_plain_BM25()
    {
        // 19 characters in a row: 18 bigrams and 19 characters, every one a SHOULD term; products matching only
        // characters are found too, below those matching a bigram.
        Product[] products = [Product.Of("1", "手机壳"), Product.Of("2", "手表"), Product.Of("3", "机器"), Product.Of("4", "红色")];
        using var index = ProductIndex.Build(products, new IndexOptions());
        var hits = index.Recall(new RecallRequest("红色手机壳一二三四五六七八九十百千万亿") { Fields = RecallFields.Bigram });
        Assert.Equal(["1", "2", "3", "4"], hits.Select(h => h.ProductId).Order());
        Assert.Equal("1", hits[0].ProductId);
        Assert.True(hits.Single(h => h.ProductId == "4").Score > hits.Single(h => h.ProductId == "2").Score);
        Assert.Equal(index.RecallWithLucene(new RecallRequest("红色手机壳一二三四五六七八九十百千万亿") { Fields = RecallFields.Bigram }), hits);
    }

    [Fact]
    public void In_a_search_bar_length_query_a_product_matching_only_characters_is_still_found()
    {
        Product[] products = [Product.Of("1", "手机壳"), Product.Of("2", "手表"), Product.Of("3", "机器")];
        using var index = ProductIndex.Build(products, new IndexOptions());
        Assert.Equal(["1", "2", "3"], index.Recall(new RecallRequest("手机") { Fields = RecallFields.Bigram }).Select(h => h.ProductId).Order());
    }

    [Fact]
    public void A_character_no_query_bigram_covers_still_matches_on_its_own()
    {
        Product[] products = [Product.Of("1", "手机壳"), Product.Of("2", "手表"), Product.Of("3", "机器")];
        using var index = ProductIndex.Build(products, new IndexOptions());
        Assert.Equal(["1", "2"], index.Recall(new RecallRequest("手") { Fields = RecallFields.Bigram }).Select(h => h.ProductId).Order());
        Assert.Contains("2", index.Recall(new RecallRequest("表 机壳") { Fields = RecallFields.Bigram }).Select(h => h.ProductId));
    }
}
