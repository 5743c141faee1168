using System.Globalization;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary><c>facets=true</c>: leaf-category and brand counts and the price range over a search's recall window.</summary>
public sealed class FacetTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoAttributes = new Dictionary<string, IReadOnlyList<string>>();

    private sealed class ListCatalog(IEnumerable<Product> products) : ICatalog
    {
        private readonly Dictionary<string, Product> _byId = products.ToDictionary(p => p.Id, StringComparer.Ordinal);
        public int Count => _byId.Count;
        public Product? Get(string productId) => _byId.GetValueOrDefault(productId);
        public long CategoryIdOf(Product product) => 1;
    }

    private static Product P(int id, string? brand, string[] category, double? price) =>
        new(id.ToString(CultureInfo.InvariantCulture), "t" + id, brand, category, NoAttributes, price);

    private static RecallCandidate[] Candidates(IEnumerable<Product> products) =>
        products.Select((p, i) => new RecallCandidate(i, p.Id, 1f, default)).ToArray();

    private static List<(string, int)> Pairs(IReadOnlyList<FacetValue> values) => values.Select(v => (v.Value, v.Count)).ToList();

    [Fact]
    public void A_facet_lists_the_ten_most_common_values_by_count_then_by_value()
    {
        // Brand b00 once, b01 twice, ..., b11 twelve times; categories: 3 each of x/L1, y/L2, and a/L0 once.
        var products = new List<Product>();
        int id = 0;
        for (int b = 0; b < 12; b++)
            for (int n = 0; n <= b; n++) products.Add(P(id++, $"b{b:00}", ["top", $"L{id % 2 + 1}"], 10));
        products.Add(P(id++, "b00", ["a", "L0"], 10));
        var facets = SearchFacets.Count(new ListCatalog(products), Candidates(products));

        Assert.Equal(10, facets.Brand.Count);
        Assert.Equal([("b11", 12), ("b10", 11), ("b09", 10), ("b08", 9), ("b07", 8), ("b06", 7), ("b05", 6), ("b04", 5), ("b03", 4), ("b02", 3)], Pairs(facets.Brand));
        // 78 products alternate between L1 and L2; ties go by value, ordinal.
        Assert.Equal([("L1", 39), ("L2", 39), ("L0", 1)], Pairs(facets.Category));

        var tied = new[] { P(1, "b", ["Z"], null), P(2, "a", ["a"], null), P(3, "B", ["z"], null) };
        var byValue = SearchFacets.Count(new ListCatalog(tied), Candidates(tied));
        Assert.Equal([("B", 1), ("a", 1), ("b", 1)], Pairs(byValue.Brand));
        Assert.Equal([("Z", 1), ("a", 1), ("z", 1)], Pairs(byValue.Category));
    }

    [Fact]
    public void A_product_without_a_brand_category_or_price_is_left_out_of_that_facet_only()
    {
        var products = new[]
        {
            P(1, null, ["女装", "连衣裙"], null),
            P(2, "  ", [], 30),
            P(3, "ONLY", ["女装", " "], 12.5),
            P(4, "ONLY", ["女装", "连衣裙"], 99),
        };
        var facets = SearchFacets.Count(new ListCatalog(products), Candidates(products));
        Assert.Equal([("连衣裙", 2)], Pairs(facets.Category));
        Assert.Equal([("ONLY", 2)], Pairs(facets.Brand));
        Assert.Equal(new PriceRange(12.5, 99), facets.Price);

        var unpriced = new[] { P(1, null, [], null) };
        var none = SearchFacets.Count(new ListCatalog(unpriced), Candidates(unpriced));
        Assert.Empty(none.Category);
        Assert.Empty(none.Brand);
        Assert.Null(none.Price);
    }

    [Fact]
    public void Candidates_the_catalog_no_longer_holds_are_not_counted()
    {
        var held = new[] { P(1, "A", ["c"], 5) };
        var gone = P(2, "B", ["d"], 500);
        var facets = SearchFacets.Count(new ListCatalog(held), Candidates([.. held, gone]));
        Assert.Equal([("A", 1)], Pairs(facets.Brand));
        Assert.Equal([("c", 1)], Pairs(facets.Category));
        Assert.Equal(new PriceRange(5, 5), facets.Price);
    }

    [Fact]
    public void Counting_again_on_the_same_thread_starts_from_zero()
    {
        var products = new[] { P(1, "A", ["c"], 5), P(2, "A", ["c"], 6) };
        var catalog = new ListCatalog(products);
        SearchFacets.Count(catalog, Candidates(products));
        var again = SearchFacets.Count(catalog, Candidates(products));
        Assert.Equal([("A", 2)], Pairs(again.Brand));
        Assert.Equal([("c", 2)], Pairs(again.Category));
    }

    private static List<(string, int)> Pairs(JsonElement facet) =>
        facet.EnumerateArray().Select(v => (v.GetProperty("value").GetString()!, v.GetProperty("count").GetInt32())).ToList();

    [Fact]
    public async Task Search_with_facets_counts_the_recall_windows_categories_brands_and_prices_after_the_filters()
    {
        // The fake shop: 新款 recalls all 40 products, ids 1-40 in that order; ten per category, brand 品牌(i % 3), price 10 + i.
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var all = (await s.GetJsonAsync("/search?q=新款&k=3&facets=true")).GetProperty("facets");
        Assert.Equal([("女装", 10), ("手机", 10), ("运动鞋", 10), ("零食", 10)], Pairs(all.GetProperty("category")));
        Assert.Equal([("品牌0", 16), ("品牌1", 12), ("品牌2", 12)], Pairs(all.GetProperty("brand")));
        Assert.Equal(10, all.GetProperty("price").GetProperty("min").GetDouble());
        Assert.Equal(19, all.GetProperty("price").GetProperty("max").GetDouble());

        // A request's window counts only the candidates it re-ranks: products 1-5.
        var five = (await s.GetJsonAsync("/search?q=新款&k=3&window=5&facets=true")).GetProperty("facets");
        Assert.Equal([("女装", 5)], Pairs(five.GetProperty("category")));
        Assert.Equal([("品牌0", 2), ("品牌1", 2), ("品牌2", 1)], Pairs(five.GetProperty("brand")));
        Assert.Equal(14, five.GetProperty("price").GetProperty("max").GetDouble());

        // The request's own filters come first.
        var phones = (await s.GetJsonAsync("/search?q=新款&k=3&category=手机&priceMax=15&facets=true")).GetProperty("facets");
        Assert.Equal([("手机", 6)], Pairs(phones.GetProperty("category")));
        Assert.Equal([("品牌0", 2), ("品牌1", 2), ("品牌2", 2)], Pairs(phones.GetProperty("brand")));
        Assert.Equal(15, phones.GetProperty("price").GetProperty("max").GetDouble());

        var nothing = await s.GetJsonAsync("/search?q=不存在的词&facets=true");
        Assert.Equal(0, nothing.GetProperty("facets").GetProperty("category").GetArrayLength());
        Assert.False(nothing.GetProperty("facets").TryGetProperty("price", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("&facets=false")]
    [InlineData("&facets=0")]
    public async Task A_search_without_facets_true_has_no_facets(string flag)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync($"/search?q=新款&k=3{flag}");
        Assert.False(r.TryGetProperty("facets", out _), r.ToString());
        Assert.False(r.GetProperty("stagesMs").TryGetProperty("facets", out _));
    }

    [Fact]
    public async Task Searches_with_and_without_facets_share_one_cached_recall_and_each_gets_its_own_answer()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out _);
        Assert.False((await s.GetJsonAsync("/search?q=新款&k=3")).TryGetProperty("facets", out _));
        int recalls = loader.Latest.Recalls;
        var with = await s.GetJsonAsync("/search?q=新款&k=3&facets=true");
        Assert.Equal(4, with.GetProperty("facets").GetProperty("category").GetArrayLength());
        Assert.True(with.GetProperty("stagesMs").TryGetProperty("facets", out _));
        Assert.False((await s.GetJsonAsync("/search?q=新款&k=3")).TryGetProperty("facets", out _));
        Assert.Equal(4, (await s.GetJsonAsync("/search?q=新款&k=3&facets=true")).GetProperty("facets").GetProperty("category").GetArrayLength());
        // No recall beyond the first: the facets are counted from the cached candidates.
        Assert.Equal(recalls, loader.Latest.Recalls);
    }
}
