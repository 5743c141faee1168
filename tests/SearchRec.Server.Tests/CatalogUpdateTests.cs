using System.Text.Json;
using SearchRec.Core.Catalog;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class CatalogUpdateTests(TinyShop shop) : IClassFixture<TinyShop>
{
    private static async Task<(int Status, JsonElement Body)> PostProductsAsync(TestServer s, string json, string? key = TestServer.ApiKey)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/admin/products") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (key is not null) req.Headers.Add("X-Api-Key", key);
        return await TestServer.ReadAsync(await s.Client.SendAsync(req));
    }

    private static string Q(string text) => Uri.EscapeDataString(text);

    private static List<string> Ids(JsonElement answer) =>
        answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task Posted_products_are_added_replaced_and_removed_and_the_next_answers_serve_them()
    {
        var index = shop.CopyIndex();
        var (s, store) = await shop.StartAsync(withDeepRanker: true, indexPath: index);
        await using var server = s;
        using var _ = store;
        var catalog = File.ReadLines(shop.Files.Catalog).Select(l => CatalogReader.ParseJson(l, out var _)!).ToList();
        var (changed, gone) = (catalog[3], catalog[5]);
        var products = (await s.GetJsonAsync("/healthz")).GetProperty("products").GetInt32();
        // Answers cached before the change must not outlive it.
        Assert.Contains(gone.Id, Ids(await s.GetJsonAsync($"/search?q={Q(gone.Title)}&k=20")));
        Assert.Equal(changed.Title, (await s.GetJsonAsync($"/items/{changed.Id}")).GetProperty("title").GetString());

        var (status, body) = await PostProductsAsync(s, $$"""
            {"upsert": [
                {"id": "900001", "title": "量子隐形斗篷 测试款 防水", "brand": "测试牌", "category": "服装/外套", "price": 88},
                {"id": "{{changed.Id}}", "title": "{{changed.Title}} 升级版", "price": 1.5}
             ],
             "delete": ["{{gone.Id}}", "no-such-item"]}
            """);

        Assert.True(status == 200, body.ToString());
        Assert.Equal((1, 1, 1, products), (body.GetProperty("added").GetInt32(), body.GetProperty("replaced").GetInt32(), body.GetProperty("deleted").GetInt32(), body.GetProperty("products").GetInt32()));
        Assert.Equal(["no-such-item"], body.GetProperty("notFound").EnumerateArray().Select(e => e.GetString()));
        Assert.NotEqual(body.GetProperty("previous").GetString(), body.GetProperty("generation").GetString());
        Assert.Equal("900001", Ids(await s.GetJsonAsync($"/search?q={Q("量子隐形斗篷")}"))[0]);
        Assert.Equal("900001", Ids(await s.GetJsonAsync($"/search?q={Q("隐形斗篷")}&user=1&explain=true"))[0]);
        var item = await s.GetJsonAsync($"/items/{changed.Id}");
        Assert.Equal(changed.Title + " 升级版", item.GetProperty("title").GetString());
        Assert.Equal(1.5, item.GetProperty("price").GetDouble());
        Assert.DoesNotContain(gone.Id, Ids(await s.GetJsonAsync($"/search?q={Q(gone.Title)}&k=20")));
        Assert.Equal(404, (int)(await s.Client.GetAsync($"/items/{gone.Id}")).StatusCode);
        // The new product takes events, and has neighbours.
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":1,"item":"900001","behavior":"buy"}""")).StatusCode);
        Assert.Equal(200, (int)(await s.Client.GetAsync("/items/900001/similar?user=1")).StatusCode);
        Assert.Equal(products, (await s.GetJsonAsync("/healthz")).GetProperty("products").GetInt32());
    }

    [Fact]
    public async Task A_product_whose_id_holds_a_slash_is_looked_up_by_its_escaped_id()
    {
        var index = shop.CopyIndex();
        var (s, store) = await shop.StartAsync(indexPath: index);
        await using var server = s;
        using var _ = store;
        const string id = "SKU/2025/连衣裙";
        var (status, body) = await PostProductsAsync(s, $$"""{"upsert": [{"id": "{{id}}", "title": "碎花连衣裙 测试款", "brand": "测试牌", "category": "服装/连衣裙", "price": 99}]}""");
        Assert.True(status == 200, body.ToString());

        // The page asks for /items/{encodeURIComponent(id)}; ASP.NET leaves %2F escaped in a route value.
        Assert.Equal(id, (await s.GetJsonAsync($"/items/{Q(id)}")).GetProperty("id").GetString());
        Assert.Equal(200, (int)(await s.Client.GetAsync($"/items/{Q(id)}/similar")).StatusCode);
    }

    [Fact]
    public async Task Products_taken_off_sale_leave_feeds_and_similar_items_and_the_lists_stay_full()
    {
        var (s, store) = await shop.StartAsync(indexPath: shop.CopyIndex());
        await using var server = s;
        using var _ = store;
        var feed = Ids(await s.GetJsonAsync("/users/1/recommendations?k=10"));
        var source = feed[^1];
        var similar = Ids(await s.GetJsonAsync($"/items/{source}/similar?k=10"));
        Assert.Equal(10, feed.Count);
        Assert.Equal(10, similar.Count);
        // The collaborative models still hold these: only the catalog lost them.
        var gone = feed.Take(3).Concat(similar.Take(3)).Where(id => id != source).Distinct().ToList();

        var (status, body) = await PostProductsAsync(s, JsonSerializer.Serialize(new { delete = gone }));

        Assert.True(status == 200, body.ToString());
        var feedAfter = Ids(await s.GetJsonAsync("/users/1/recommendations?k=10"));
        var similarAfter = Ids(await s.GetJsonAsync($"/items/{source}/similar?k=10"));
        Assert.Equal(10, feedAfter.Count);
        Assert.Equal(10, similarAfter.Count);
        Assert.Empty(feedAfter.Intersect(gone));
        Assert.Empty(similarAfter.Intersect(gone));
        Assert.Equal(feed.Except(gone), feedAfter.Take(feed.Except(gone).Count()));
        // A purchase on a page shown before the removal is still behaviour; an id never seen is still refused.
        Assert.Equal(200, (int)(await s.PostEventsAsync($$"""{"user":1,"item":"{{gone[0]}}","behavior":"buy"}""")).StatusCode);
        var (refused, why) = await TestServer.ReadAsync(await s.PostEventsAsync("""{"user":1,"item":"987654321","behavior":"buy"}"""));
        Assert.Equal(400, refused);
        Assert.Contains("unknown product id '987654321'", why.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_product_change_is_refused_naming_what_is_wrong_and_changes_nothing()
    {
        var index = shop.CopyIndex();
        var files = Directory.GetFiles(index).ToDictionary(f => f, File.ReadAllBytes);
        var (s, store) = await shop.StartAsync(indexPath: index);
        await using var server = s;
        using var _ = store;
        var generation = (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString();
        var many = string.Join(',', Enumerable.Range(0, 1001).Select(i => $"\"{i}\""));

        (string Body, string Problem)[] cases =
        [
            ("""{"upsert": [{"id": "a", "title": "好"}, {"id": "b", "title": ""}]}""", "upsert[1]: field 'title' is empty"),
            ("""{"upsert": [{"id": "a", "title": "好"}, {"id": "a", "title": "坏"}]}""", "upsert[1]: product 'a' is given twice"),
            ("""{"upsert": [{"id": "a", "title": "好"}], "delete": ["a"]}""", "delete[0]: product 'a' is also in 'upsert'"),
            ("""{"upsert": [{"id": "a", "title": "好", "price": -3}]}""", "upsert[0]: field 'price' must be a finite non-negative number"),
            ("""{"delete": ["x", ""]}""", "delete[1]: the id is empty"),
            ("""{"upsert": [{"id": "a", "title": "好", "price": 1, "price": 2}]}""", "upsert[0].price: given more than once"),
            ("""{"delete": [true]}""", "delete[0]: must be a product id"),
            ("""{"upsert": [{"id": "a", "title": "好"}], "products": []}""", "unknown field 'products'"),
            ("""{"delete": ["x"], "delete": ["y"]}""", "delete: given more than once"),
            ("""{"upsert": {"id": "a", "title": "好"}}""", "'upsert' must be an array"),
            ("""{}""", "nothing to change"),
            ("""[{"id": "a", "title": "好"}]""", "the body must be {\"upsert\""),
            ($$"""{"delete": [{{many}}]}""", "at most 1000 are accepted per request"),
            ("""{"upsert": [""", "malformed JSON at line 1"),
            // An escaped lone surrogate passed the parse and reading the string threw: a 500.
            ("""{"upsert": [{"id": "a", "title": "\ud800"}]}""", "the string at line 1, byte 34 has an escape that is no character"),
            ("""{"delete": ["\udc00"]}""", "the string at line 1, byte 13 has an escape that is no character"),
            // Lucene refuses a term over 32,766 bytes: its message (the field 'brand_k', the analyzer) named no row.
            ($$"""{"upsert": [{"id": "a", "title": "好"}, {"id": "b", "title": "好", "brand": "{{new string('b', 40_000)}}"}]}""", "upsert[1]: field 'brand' is 40,000 bytes in UTF-8; the index keeps at most 32,766"),
            ($$"""{"upsert": [{"id": "{{new string('7', 40_000)}}", "title": "好"}]}""", "upsert[0]: field 'id' is 40,000 bytes in UTF-8"),
            ($$"""{"upsert": [{"id": "a", "title": "好", "category": "女装/{{new string('连', 11_000)}}"}]}""", "upsert[0]: field 'category' has a level of 33,000 bytes in UTF-8"),
            // An id with a line break or a space would break the TREC run and TSV lines it is written into.
            ("""{"upsert": [{"id": "a", "title": "好"}, {"id": "b\nc", "title": "好"}]}""", "upsert[1]: field 'id' holds U+000A"),
            ("""{"upsert": [{"id": "b c", "title": "好"}]}""", "upsert[0]: field 'id' holds U+0020 (white space) at character 2"),
        ];
        foreach (var (json, problem) in cases)
        {
            var (status, body) = await PostProductsAsync(s, json);
            Assert.True(status == 400, $"{json[..Math.Min(60, json.Length)]} -> {status} {body}");
            var said = body.GetProperty("error").GetString() + "\n" + string.Join("\n", body.TryGetProperty("problems", out var p) && p.ValueKind == JsonValueKind.Array ? p.EnumerateArray().Select(e => e.GetString()) : []);
            Assert.Contains(problem, said, StringComparison.Ordinal);
        }
        // A title saved as GBK (中 is D6 D0): before, the parse passed and reading the title threw, a 500.
        using (var gbk = new HttpRequestMessage(HttpMethod.Post, "/admin/products") { Content = new ByteArrayContent([.. """{"upsert": [{"id": "a", "title": """u8, (byte)'"', 0xD6, 0xD0, (byte)'"', .. "}]}"u8]) })
        {
            gbk.Content.Headers.ContentType = new("application/json");
            gbk.Headers.Add("X-Api-Key", TestServer.ApiKey);
            var (status, body) = await TestServer.ReadAsync(await s.Client.SendAsync(gbk));
            Assert.True(status == 400, $"GBK title -> {status} {body}");
            Assert.StartsWith("the body is not UTF-8 at line 1, byte 35", body.GetProperty("error").GetString());
        }
        Assert.Equal(401, (await PostProductsAsync(s, """{"delete": ["1"]}""", key: null)).Status);
        Assert.Equal(403, (await PostProductsAsync(s, """{"delete": ["1"]}""", key: TestServer.EventsKey)).Status);

        Assert.Equal(generation, (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString());
        Assert.Equal(files.Keys.Order(), Directory.GetFiles(index).Where(f => !f.EndsWith("write.lock", StringComparison.Ordinal)).Order());
        foreach (var (file, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(file));
    }

    [Fact]
    public async Task A_change_while_another_program_writes_the_index_is_a_409_that_changes_nothing()
    {
        var index = shop.CopyIndex();
        var (s, store) = await shop.StartAsync(indexPath: index);
        await using var server = s;
        using var _ = store;
        var generation = (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString();
        using (var lucene = Lucene.Net.Store.FSDirectory.Open(index))
        using (new Lucene.Net.Index.IndexWriter(lucene, new Lucene.Net.Index.IndexWriterConfig(Lucene.Net.Util.LuceneVersion.LUCENE_48, null) { OpenMode = Lucene.Net.Index.OpenMode.APPEND }))
        {
            var (status, body) = await PostProductsAsync(s, """{"upsert": [{"id": "900001", "title": "量子 斗篷"}]}""");
            Assert.Equal(409, status);
            Assert.Contains("is being written by another program", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(generation, (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString());
        Assert.DoesNotContain("900001", Ids(await s.GetJsonAsync($"/search?q={Q("量子斗篷")}")));
        // Once the other writer is done, the same change goes through.
        Assert.Equal(200, (await PostProductsAsync(s, """{"upsert": [{"id": "900001", "title": "量子 斗篷"}]}""")).Status);
    }

    [Fact]
    public async Task A_change_that_changes_nothing_keeps_the_generation_serving()
    {
        var (s, store) = await shop.StartAsync(indexPath: shop.CopyIndex());
        await using var server = s;
        using var _ = store;
        var generation = (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString();

        var (status, body) = await PostProductsAsync(s, """{"delete": ["987654321"]}""");

        Assert.Equal(200, status);
        Assert.Equal(["987654321"], body.GetProperty("notFound").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, body.GetProperty("deleted").GetInt32());
        Assert.Equal(generation, body.GetProperty("generation").GetString());
        Assert.Equal(generation, (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString());
    }

    [Fact]
    public async Task A_service_whose_loader_cannot_change_its_catalog_has_no_products_endpoint()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (status, body) = await PostProductsAsync(s, """{"delete": ["1"]}""");
        Assert.Equal(404, status);
        Assert.Equal("path", body.GetProperty("field").GetString());
    }
}
