using System.Text.Json;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class SortTests(TinyShop shop) : IClassFixture<TinyShop>
{
    private static List<(string Id, double? Price)> Results(JsonElement answer) =>
        answer.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("id").GetString()!, r.TryGetProperty("price", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : (double?)null)).ToList();

    private async Task<(string Query, int Window)> BusyQueryAsync(TestServer s)
    {
        foreach (var q in (await s.GetJsonAsync("/samples")).GetProperty("queries").EnumerateArray().Select(e => e.GetString()!))
        {
            var w = (await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(q)}&k=5")).GetProperty("window").GetInt32();
            if (w >= 12) return (q, w);
        }
        throw new InvalidOperationException("no sample query recalls 12 products");
    }

    [Fact]
    public async Task Price_sorts_every_re_ranked_candidate_across_pages_and_relevance_keeps_the_ranker_order()
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        var (query, window) = await BusyQueryAsync(s);
        var q = Uri.EscapeDataString(query);

        var relevance = Results(await s.GetJsonAsync($"/search?q={q}&k={window}"));
        var ascending = new List<(string Id, double? Price)>();
        for (var offset = 0; offset < window; offset += 5)
            ascending.AddRange(Results(await s.GetJsonAsync($"/search?q={q}&k=5&offset={offset}&sort=price_asc")));
        var descending = Results(await s.GetJsonAsync($"/search?q={q}&k={window}&sort=price_desc"));

        var about = relevance.Where(r => About(r.Id, query)).Select(r => r.Id).ToList();
        Assert.Equal((about.Count > 0 ? about : relevance.Select(r => r.Id)).Order(), ascending.Select(r => r.Id).Order());
        var priced = ascending.TakeWhile(r => r.Price is not null).Select(r => r.Price!.Value).ToList();
        Assert.True(priced.Count > 1);
        Assert.Equal(priced.Order(), priced);
        Assert.All(ascending.Skip(priced.Count), r => Assert.Null(r.Price));
        Assert.Equal(priced.OrderDescending(), descending.TakeWhile(r => r.Price is not null).Select(r => r.Price!.Value));
        Assert.Equal(relevance, Results(await s.GetJsonAsync($"/search?q={q}&k={window}&sort=relevance")));
    }

    // What the service's sorted views keep: products holding every whole word of the query somewhere.
    private bool About(string id, string query)
    {
        var p = Catalog()[id];
        string[] fields = [p.Title, p.Brand ?? "", .. p.Category, .. p.Attributes.Values.SelectMany(v => v)];
        return Text.TextHighlighter.HoldsEvery(string.Join(' ', fields), Text.TextHighlighter.WholeWordsOf(query));
    }

    private Dictionary<string, Core.Product> Catalog() => shop.Products().ToDictionary(p => p.Id);

    [Fact]
    public async Task A_price_order_keeps_the_products_about_the_whole_query_not_the_cheapest_partial_match()
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        // A brand and a category: BM25 recalls every product of either; few are both.
        var catalog = Catalog().Values.ToList();
        var pair = catalog.Where(p => p.Brand is not null && p.Category.Count > 0)
            .GroupBy(p => (Brand: p.Brand!, Leaf: p.Category[^1])).OrderBy(g => g.Count()).First(g => g.Count() >= 2).Key;
        var query = Uri.EscapeDataString(pair.Brand + " " + pair.Leaf);

        var relevance = Results(await s.GetJsonAsync($"/search?q={query}&k=100"));
        var cheapest = Results(await s.GetJsonAsync($"/search?q={query}&k=100&sort=price_asc"));

        Assert.Contains(relevance, r => !About(r.Id, pair.Brand + " " + pair.Leaf));
        Assert.NotEmpty(cheapest);
        Assert.All(cheapest, r => Assert.True(About(r.Id, pair.Brand + " " + pair.Leaf), r.Id));
        Assert.Equal(relevance.Where(r => About(r.Id, pair.Brand + " " + pair.Leaf)).Select(r => r.Id).Order(), cheapest.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task Popular_puts_first_what_shoppers_just_bought()
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        var (query, window) = await BusyQueryAsync(s);
        var q = Uri.EscapeDataString(query);
        var before = Results(await s.GetJsonAsync($"/search?q={q}&k={window}&sort=popular"));
        var last = before[^1].Id;

        for (var user = 1; user <= 30; user++)
            Assert.Equal(200, (int)(await s.PostEventsAsync($$"""{"user":{{user}},"item":"{{last}}","behavior":"buy"}""")).StatusCode);

        var after = Results(await s.GetJsonAsync($"/search?q={q}&k=3&sort=popular"));
        Assert.Equal(last, after[0].Id);
    }

    [Fact]
    public async Task With_a_ranker_a_sort_over_more_than_a_thousand_candidates_and_a_page_past_the_thousandth_answer_instead_of_failing()
    {
        // The ranker returns at most 1,000 hits; a window above that (serve --window) asked it for all of them.
        using var dir = new TempDir();
        var products = Enumerable.Range(1, 1_200).Select(i => SearchRec.Core.Product.Of(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"陶瓷 杯子 {i}") with { Price = 2_000 - i }).ToList();
        var index = dir.File("index");
        using (SearchRec.Index.ProductIndex.Build(products, new SearchRec.Index.IndexOptions(), index)) { }
        var (s, store) = await shop.StartAsync(withRanker: true, indexPath: index, recallWindow: 2_000);
        await using var server = s;
        using var _ = store;
        var q = Uri.EscapeDataString("杯子");

        var sorted = await TestServer.ReadAsync(await s.Client.GetAsync($"/search?q={q}&k=5&sort=price_asc"));
        var late = await TestServer.ReadAsync(await s.Client.GetAsync($"/search?q={q}&k=10&offset=995"));
        var past = await TestServer.ReadAsync(await s.Client.GetAsync($"/search?q={q}&k=10&offset=1500&window=100"));

        Assert.Equal(200, sorted.Status);
        Assert.Equal(1_200, sorted.Body.GetProperty("window").GetInt32());
        var prices = Results(sorted.Body).Select(r => r.Price!.Value).ToList();
        Assert.Equal(5, prices.Count);
        Assert.Equal(prices.Order(), prices);
        Assert.Equal(200, late.Status);
        Assert.Equal(5, late.Body.GetProperty("results").GetArrayLength());
        Assert.Equal(200, past.Status);
        Assert.Equal(0, past.Body.GetProperty("results").GetArrayLength());
    }

    [Theory]
    [InlineData("cheap")]
    [InlineData("PRICE_ASC")]
    public async Task An_unknown_sort_is_refused_naming_the_choices(string sort)
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync($"/search?q=a&sort={sort}"));
        Assert.Equal(400, status);
        Assert.Equal("sort", body.GetProperty("field").GetString());
        Assert.Contains("relevance, price_asc, price_desc or popular", body.GetProperty("error").GetString());
    }
}
