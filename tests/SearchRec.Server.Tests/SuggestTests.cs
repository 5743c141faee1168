using System.Text.Json;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class SuggestTests(TinyShop shop) : IClassFixture<TinyShop>
{
    private static string Q(string text) => Uri.EscapeDataString(text);

    private static List<string> Texts(JsonElement answer) =>
        answer.GetProperty("suggestions").EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToList();

    [Fact]
    public async Task The_search_bar_completes_to_the_catalogs_categories_and_brands_and_each_completion_finds_products()
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        var catalog = shop.Products();
        var leaf = catalog.GroupBy(p => p.Category[^1]).OrderByDescending(g => g.Count()).First().Key;
        var brand = catalog.First(p => p.Brand is not null).Brand!;

        var byCategory = await s.GetJsonAsync($"/suggest?q={Q(leaf[..1])}&k=20");
        var byBrand = await s.GetJsonAsync($"/suggest?q={Q(brand)}");

        Assert.Contains(leaf, Texts(byCategory));
        Assert.Equal(brand, Texts(byBrand)[0]);
        Assert.True(Texts(byBrand).Count is > 1 and <= 8, string.Join(", ", Texts(byBrand)));
        Assert.All(Texts(byBrand).Skip(1), t => Assert.StartsWith(brand + " ", t, StringComparison.Ordinal));
        foreach (var text in Texts(byCategory).Concat(Texts(byBrand)))
            Assert.NotEmpty((await s.GetJsonAsync($"/search?q={Q(text)}&k=1")).GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task Pinyin_typed_without_an_input_method_completes_and_searches_as_the_chinese_it_spells()
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        var leaf = shop.CommonChineseLeaf();
        var spelled = string.Concat(leaf.Select(c => Text.Pinyin.ReadingsOf(c)[0]));
        var initials = string.Concat(leaf.Select(c => Text.Pinyin.ReadingsOf(c)[0][0]));

        Assert.Contains(leaf, Texts(await s.GetJsonAsync($"/suggest?q={spelled}&k=20")));
        Assert.Contains(leaf, Texts(await s.GetJsonAsync($"/suggest?q={initials}&k=20")));

        // No title is written in pinyin, so the search runs for the Chinese the letters spell, and says which.
        var typed = await s.GetJsonAsync($"/search?q={spelled}&k=5");
        var spelledAs = typed.GetProperty("spelledAs").GetString()!;
        Assert.True(Text.Pinyin.Spells(Text.QueryTextComparer.Key(spelledAs), spelled), spelledAs);
        Assert.Equal(spelled, typed.GetProperty("query").GetString());
        var direct = await s.GetJsonAsync($"/search?q={Q(spelledAs)}&k=5");
        Assert.False(direct.TryGetProperty("spelledAs", out var none1));
        Assert.NotEmpty(Ids(direct));
        Assert.Equal(Ids(direct), Ids(typed));

        // A filter that leaves the spelled search nothing too: nothing is found, and nothing is said to be spelled.
        var filtered = await s.GetJsonAsync($"/search?q={spelled}&k=5&brand={Q("没有这个牌子")}");
        Assert.Empty(Ids(filtered));
        Assert.False(filtered.TryGetProperty("spelledAs", out var unsaid));

        // Letters that spell nothing find nothing, as before.
        var nothing = await s.GetJsonAsync("/search?q=qxzvq&k=5");
        Assert.Empty(Ids(nothing));
        Assert.False(nothing.TryGetProperty("spelledAs", out var none2));
    }

    [Fact]
    public async Task A_search_with_a_homophone_picked_by_mistake_is_offered_the_completion_it_reads_like()
    {
        var (s, store) = await shop.StartAsync();
        await using var server = s;
        using var _ = store;
        var leaf = shop.CommonChineseLeaf(minLength: 2);
        // The last character swapped for another read alike (a common one: the first such in the basic block).
        var alike = Enumerable.Range(0x4E00, 0x9FA5 - 0x4E00).Select(c => (char)c)
            .First(c => c != leaf[^1] && Text.Pinyin.SoundsAlike(c.ToString(), leaf[^1].ToString()));
        var typo = leaf[..^1] + alike;

        var answer = await s.GetJsonAsync($"/search?q={Q(typo)}&k=5");
        var meant = answer.GetProperty("didYouMean").GetString()!;

        Assert.True(Text.Pinyin.SoundsAlike(Text.QueryTextComparer.Key(meant), Text.QueryTextComparer.Key(typo)), meant);
        Assert.Equal(typo, answer.GetProperty("query").GetString());
        Assert.False((await s.GetJsonAsync($"/search?q={Q(meant)}&k=5")).TryGetProperty("didYouMean", out var none));
        Assert.False((await s.GetJsonAsync($"/search?q={Q(typo)}&k=5&offset=5")).TryGetProperty("didYouMean", out var later));
    }

    private static List<string> Ids(JsonElement answer) =>
        answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task A_query_log_adds_the_queries_the_index_can_answer_and_a_catalog_change_reaches_the_completions()
    {
        using var dir = new TempDir();
        var log = dir.Write("log.tsv", "1\t量子 斗篷\n2\t蓝牙 外星人超能\n3\tzzqx\n");
        var (s, store) = await shop.StartAsync(indexPath: shop.CopyIndex(), suggestLogPath: log);
        await using var server = s;
        using var _ = store;
        Assert.Empty(Texts(await s.GetJsonAsync($"/suggest?q={Q("量子")}")));

        using var req = new HttpRequestMessage(HttpMethod.Post, "/admin/products")
        {
            Content = new StringContent("""{"upsert": [{"id": "900001", "title": "量子 隐形 斗篷", "brand": "量子牌", "category": "服装/斗篷"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        req.Headers.Add("X-Api-Key", TestServer.ApiKey);
        Assert.Equal(200, (int)(await s.Client.SendAsync(req)).StatusCode);

        // The log query now finds a product; the brand and its pair come from the catalog.
        Assert.Equal(["量子牌", "量子 斗篷", "量子牌 斗篷"], Texts(await s.GetJsonAsync($"/suggest?q={Q("量子")}")));
        Assert.Empty(Texts(await s.GetJsonAsync("/suggest?q=zzq")));
    }

    [Fact]
    public async Task A_reload_over_the_same_index_keeps_the_completions_and_a_changed_index_builds_them_again()
    {
        var index = shop.CopyIndex();
        var (s, store) = await shop.StartAsync(indexPath: index);
        await using var server = s;
        using var _ = store;
        var loader = (SearchRec.Server.Adapters.ShopLoader)s.Loader;

        using var first = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        using var same = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
        loader.Apply(new CatalogUpdate([SearchRec.Core.Product.Of("900001", "量子 斗篷")], []));
        using var changed = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);

        Assert.NotNull(first.Suggester);
        Assert.Same(first.Suggester, same.Suggester);
        Assert.NotSame(first.Suggester, changed.Suggester);
    }

    [Theory]
    [InlineData("", "q")]
    [InlineData("?q=%20", "q")]
    [InlineData("?q=a&k=0", "k")]
    [InlineData("?q=a&k=21", "k")]
    [InlineData("?q=a&k=x", "k")]
    [InlineData("?q=a&user=1", "user")]
    public async Task A_bad_suggest_request_is_refused_naming_the_parameter(string query, string field)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync("/suggest" + query));
        Assert.Equal(400, status);
        Assert.Equal(field, body.GetProperty("field").GetString());
    }
}
