using System.Text.Json;
using SearchRec.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SearchRec.Server.Tests;

/// <summary>The service over the real stages (Lucene index, SQLite event store, collaborative models) on a generated shop.</summary>
public sealed class RealShopTests(TinyShop shop, ITestOutputHelper output) : IClassFixture<TinyShop>
{
    private static List<string> Ids(JsonElement r) =>
        r.GetProperty("results").EnumerateArray().Select(x => x.GetProperty("id").GetString()!).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Search_over_the_real_index_returns_products_and_explains_them(bool withRanker)
    {
        var (s, store) = await shop.StartAsync(withRanker: withRanker);
        await using var _ = s;
        using var __ = store;
        var r = await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=5&explain=true");
        var results = r.GetProperty("results");
        Assert.True(results.GetArrayLength() > 0, r.ToString());
        Assert.False(string.IsNullOrEmpty(results[0].GetProperty("title").GetString()));
        Assert.True(results[0].GetProperty("explain").GetArrayLength() > 0);
        Assert.Equal(withRanker, r.GetProperty("stagesMs").TryGetProperty("rank.model", out var _model));
        var samples = await s.GetJsonAsync("/samples");
        Assert.True(samples.GetProperty("userIds").GetArrayLength() > 0);
        Assert.True(samples.GetProperty("queries").GetArrayLength() > 0);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Pages_of_results_are_slices_of_one_ranking(bool withRanker, bool personal)
    {
        var (s, store) = await shop.StartAsync(withRanker: withRanker);
        await using var _ = s;
        using var __ = store;
        var user = personal ? $"&user={(await s.GetJsonAsync("/samples")).GetProperty("userIds")[0].GetInt64()}" : "";
        var q = Uri.EscapeDataString(shop.Queries[0]);
        var ten = Ids(await s.GetJsonAsync($"/search?q={q}&k=10{user}"));
        Assert.Equal(10, ten.Count);

        var first = await s.GetJsonAsync($"/search?q={q}&k=5{user}");
        var second = await s.GetJsonAsync($"/search?q={q}&k=5&offset=5{user}");
        Assert.Equal(ten.Take(5), Ids(first));
        Assert.Equal(ten.Skip(5), Ids(second));
        Assert.Equal(5, second.GetProperty("offset").GetInt32());
        // Past the re-ranked candidates a page is empty, not an error.
        var window = second.GetProperty("window").GetInt32();
        Assert.Empty(Ids(await s.GetJsonAsync($"/search?q={q}&k=5&offset={window}{user}")));

        using var bad = await s.Client.GetAsync($"/search?q={q}&k=5&offset=-1");
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal("offset", JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_requests_window_re_ranks_only_that_many_of_bm25s_best(bool withRanker)
    {
        var (s, store) = await shop.StartAsync(withRanker: withRanker);
        await using var _ = s;
        using var __ = store;
        var q = Uri.EscapeDataString(shop.Queries[0]);
        var whole = await s.GetJsonAsync($"/search?q={q}&k=10");
        Assert.True(whole.GetProperty("window").GetInt32() > 3, whole.ToString());
        Assert.Equal(10, whole.GetProperty("results").GetArrayLength());

        var narrow = await s.GetJsonAsync($"/search?q={q}&k=10&window=3");
        Assert.Equal(3, narrow.GetProperty("window").GetInt32());
        using var index = SearchRec.Index.ProductIndex.Open(shop.IndexPath);
        var best3 = index.Recall(new SearchRec.Index.RecallRequest(shop.Queries[0]) { TopN = 3 }).Select(c => c.ProductId).Order();
        Assert.Equal(best3, Ids(narrow).Order());
    }

    private static List<(string, int)> FacetPairs(JsonElement facet) =>
        facet.EnumerateArray().Select(v => (v.GetProperty("value").GetString()!, v.GetProperty("count").GetInt32())).ToList();

    // The facets computed here from the index's own recall, as the docs define them.
    private static void AssertFacetsOf(SearchRec.Index.ProductIndex index, SearchRec.Index.RecallRequest request, JsonElement answer)
    {
        var products = index.Recall(request).Select(c => index.GetProduct(c.ProductId)!).ToList();
        Assert.Equal(products.Count, answer.GetProperty("window").GetInt32());
        static List<(string, int)> Top(IEnumerable<string?> values) => values.Where(v => !string.IsNullOrWhiteSpace(v)).GroupBy(v => v!, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count())).OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal).Take(10).ToList();
        var facets = answer.GetProperty("facets");
        Assert.Equal(Top(products.Select(p => p.Category.Count > 0 ? p.Category[^1] : null)), FacetPairs(facets.GetProperty("category")));
        Assert.Equal(Top(products.Select(p => p.Brand)), FacetPairs(facets.GetProperty("brand")));
        var prices = products.Where(p => p.Price is not null).Select(p => p.Price!.Value).ToList();
        Assert.Equal(prices.Min(), facets.GetProperty("price").GetProperty("min").GetDouble());
        Assert.Equal(prices.Max(), facets.GetProperty("price").GetProperty("max").GetDouble());
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task Facets_count_the_leaf_categories_brands_and_prices_of_the_recall_window_after_the_filters(bool withRanker, bool personal)
    {
        var (s, store) = await shop.StartAsync(withRanker: withRanker);
        await using var _ = s;
        using var __ = store;
        var user = personal ? $"&user={(await s.GetJsonAsync("/samples")).GetProperty("userIds")[0].GetInt64()}" : "";
        using var index = SearchRec.Index.ProductIndex.Open(shop.IndexPath);
        var q = Uri.EscapeDataString(shop.Queries[0]);

        var whole = await s.GetJsonAsync($"/search?q={q}&k=5&facets=true{user}");
        string text = whole.GetProperty("query").GetString()!;
        AssertFacetsOf(index, new SearchRec.Index.RecallRequest(text) { TopN = 200 }, whole);
        var categories = FacetPairs(whole.GetProperty("facets").GetProperty("category"));
        Assert.True(categories.Count > 1, $"the query should recall several categories: {whole}");

        // A chip's filter: the leaf category as the request's category; its counts are over the filtered window.
        string leaf = categories[1].Item1;
        var filtered = await s.GetJsonAsync($"/search?q={q}&k=20&category={Uri.EscapeDataString(leaf)}&facets=true{user}");
        AssertFacetsOf(index, new SearchRec.Index.RecallRequest(text) { TopN = 200, Category = leaf }, filtered);
        Assert.Contains((leaf, categories[1].Item2), FacetPairs(filtered.GetProperty("facets").GetProperty("category")));
        Assert.All(filtered.GetProperty("results").EnumerateArray(), r => Assert.Contains(leaf, r.GetProperty("category").GetString()!.Split('/')));

        var narrow = await s.GetJsonAsync($"/search?q={q}&k=5&window=30&facets=true{user}");
        AssertFacetsOf(index, new SearchRec.Index.RecallRequest(text) { TopN = 30 }, narrow);
    }

    [Fact]
    public async Task A_category_path_as_the_results_show_it_filters_as_its_leaf()
    {
        var (s, store) = await shop.StartAsync();
        await using var _ = s;
        using var __ = store;
        var q = Uri.EscapeDataString(shop.Queries[0]);
        var path = (await s.GetJsonAsync($"/search?q={q}&k=1")).GetProperty("results")[0].GetProperty("category").GetString()!;
        var leaf = path.Split('/')[^1];
        Assert.Contains('/', path);

        var byLeaf = await s.GetJsonAsync($"/search?q={q}&k=20&category={Uri.EscapeDataString(leaf)}");
        var byPath = await s.GetJsonAsync($"/search?q={q}&k=20&category={Uri.EscapeDataString(path)}");

        static List<string> Ids(System.Text.Json.JsonElement a) => a.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
        Assert.NotEmpty(Ids(byPath));
        Assert.Equal(Ids(byLeaf), Ids(byPath));
    }

    [Fact]
    public async Task A_search_with_a_bad_facets_value_gets_400_naming_facets()
    {
        var (s, store) = await shop.StartAsync(withRanker: true);
        await using var _ = s;
        using var __ = store;
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}&facets=maybe"));
        Assert.Equal(400, status);
        Assert.Equal("facets", body.GetProperty("field").GetString());
        // Refused for its value, as explain=maybe is, not as an unknown parameter.
        Assert.Equal("facets must be true or false (or 1/0, yes/no, in any case; a bare 'facets' is true), got 'maybe'", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_explained_features_unknown_value_is_json_null_not_the_string_NaN()
    {
        var (s, store) = await shop.StartAsync(withRanker: true);
        await using var _ = s;
        using var __ = store;
        // Anonymous: the user's features are unknown for every result.
        var r = await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=5&explain=true");
        var values = r.GetProperty("results").EnumerateArray().SelectMany(h => h.GetProperty("explain").EnumerateArray()).Select(f => f.GetProperty("value")).ToList();
        Assert.DoesNotContain(values, v => v.ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.Contains(values, v => v.ValueKind == System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task A_ranker_with_deep_features_scores_with_the_onnx_text_tower()
    {
        var (s, store) = await shop.StartAsync(withDeepRanker: true);
        await using var _ = s;
        using var __ = store;
        var r = await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(shop.Queries[2])}&k=3&explain=true");
        var explain = r.GetProperty("results")[0].GetProperty("explain");
        var deep = explain.EnumerateArray().Single(f => f.GetProperty("feature").GetString() == "deep_query_item");
        Assert.NotEqual(0, deep.GetProperty("value").GetDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_users_purchase_shows_in_their_next_search_but_not_in_anyone_elses(bool withRanker)
    {
        var (s, store) = await shop.StartAsync(withRanker: withRanker);
        await using var _ = s;
        using var __ = store;
        const long user = 900_001;   // no history yet
        string q = Uri.EscapeDataString(shop.Queries[1]);
        var before = Ids(await s.GetJsonAsync($"/search?q={q}&k=20&user={user}"));
        Assert.True(before.Count >= 5, "the query should find several products");
        string target = before[^1];   // the lowest-ranked of the twenty

        var post = await s.PostEventsAsync($$"""[{"user":{{user}},"item":"{{target}}","behavior":"buy"},{"user":{{user}},"item":"{{target}}","behavior":"cart","timestamp":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5}}}]""");
        Assert.Equal(200, (int)post.StatusCode);

        var after = Ids(await s.GetJsonAsync($"/search?q={q}&k=20&user={user}"));
        output.WriteLine($"target {target}: rank {before.IndexOf(target)} -> {after.IndexOf(target)}");
        Assert.True(after.IndexOf(target) < before.IndexOf(target), $"{target} did not move up: {string.Join(",", after)}");
        var someoneElse = Ids(await s.GetJsonAsync($"/search?q={q}&k=20&user=900002"));
        Assert.Equal(before, someoneElse);
    }

    [Fact]
    public async Task A_users_events_reach_their_similar_items_answer_at_once()
    {
        var (s, store) = await shop.StartAsync();
        await using var _ = s;
        using var __ = store;
        const long user = 900_003;
        var anon = await s.GetJsonAsync("/items/5/similar?k=10");
        Assert.True(anon.GetProperty("results").GetArrayLength() > 0);
        Assert.All(anon.GetProperty("results").EnumerateArray(), r => Assert.False(string.IsNullOrEmpty(r.GetProperty("source").GetString())));
        var before = await s.GetJsonAsync($"/items/5/similar?k=10&user={user}");
        // The user buys the similar item whose category differs most from the rest: their taste now leans to it.
        var list = before.GetProperty("results").EnumerateArray().ToList();
        string sourceCategory = (await s.GetJsonAsync("/items/5")).GetProperty("category").GetString()!;
        var pick = list.LastOrDefault(r => r.GetProperty("category").GetString() != sourceCategory);
        string target = (pick.ValueKind == JsonValueKind.Object ? pick : list[^1]).GetProperty("id").GetString()!;
        Assert.Equal(200, (int)(await s.PostEventsAsync($$"""{"user":{{user}},"item":"{{target}}","behavior":"buy"}""")).StatusCode);
        var after = await s.GetJsonAsync($"/items/5/similar?k=10&user={user}");
        output.WriteLine(before.GetProperty("results").ToString());
        output.WriteLine(after.GetProperty("results").ToString());
        Assert.NotEqual(before.GetProperty("results").ToString(), after.GetProperty("results").ToString());
    }

    [Fact]
    public async Task Every_acknowledged_event_is_in_the_store_and_a_retrain_swaps_in_new_models()
    {
        var (s, store) = await shop.StartAsync();
        await using var _ = s;
        using var __ = store;
        long start = store.Count;
        int acked = 0;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tasks = Enumerable.Range(0, 8).Select(async c =>
        {
            for (int i = 0; i < 10; i++)
            {
                var r = await s.PostEventsAsync($$"""{"user":{{800_000 + c}},"item":"{{1 + i}}","behavior":"pv","timestamp":{{now - i}}}""");
                if (r.IsSuccessStatusCode) Interlocked.Add(ref acked, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("accepted").GetInt32());
            }
        });
        await Task.WhenAll(tasks);
        Assert.Equal(80, acked);
        Assert.Equal(start + acked, store.Count);
        using var req = new HttpRequestMessage(HttpMethod.Get, "/admin/events/count");
        req.Headers.Add("X-Api-Key", TestServer.ApiKey);
        var count = JsonDocument.Parse(await (await s.Client.SendAsync(req)).Content.ReadAsStringAsync()).RootElement.GetProperty("count").GetInt64();
        Assert.Equal(start + acked, count);

        var (status, body) = await TestServer.ReadAsync(await s.ReloadAsync(retrain: true));
        Assert.Equal(200, status);
        Assert.NotEqual(body.GetProperty("previous").GetString(), body.GetProperty("generation").GetString());
        Assert.NotEmpty(Ids(await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}")));
    }

    [Fact]
    public async Task The_event_count_includes_events_another_program_wrote_into_the_store()
    {
        var (s, store) = await shop.StartAsync();
        await using var _ = s;
        using var __ = store;
        long start = await EventCountAsync(s);
        Assert.Equal(start, store.Count);

        // As `searchrec import-events --store` into the served file does: its own connection, its own commits.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using (var importer = new SearchRec.Collab.Events.SqliteEventStore(store.Path))
            importer.AppendBatch([.. Enumerable.Range(0, 500).Select(i => new SearchRec.Core.Events.UserEvent(900_000 + i % 7, 1 + i % 50, 0, SearchRec.Core.Events.Behavior.View, now - i))]);
        Assert.Equal(start + 500, await EventCountAsync(s));

        var (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync("""{"user":5,"item":"1","behavior":"buy"}"""));
        Assert.Equal(200, status);
        Assert.Equal(start + 501, body.GetProperty("stored").GetInt64());
        Assert.Equal(200, (int)(await s.ReloadAsync(retrain: true)).StatusCode);
        Assert.Equal(start + 501, await EventCountAsync(s));
    }

    [Fact]
    public async Task A_reload_that_fails_on_bad_files_names_them_and_the_old_generation_keeps_serving()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        Directory.CreateDirectory(ranker);
        foreach (var f in Directory.GetFiles(shop.RankerPath)) File.Copy(f, Path.Combine(ranker, Path.GetFileName(f)));
        var (s, store) = await shop.StartAsync(rankerPath: ranker);
        await using var _ = s;
        using var __ = store;
        var query = $"/search?q={Uri.EscapeDataString(shop.Queries[0])}";
        var generation = (await s.GetJsonAsync(query)).GetProperty("generation").GetString();

        var json = File.ReadAllText(Path.Combine(ranker, "ranker.json"));
        File.WriteAllText(Path.Combine(ranker, "ranker.json"), json[..(json.Length / 2)]);
        var (status, body) = await TestServer.ReadAsync(await s.ReloadAsync(retrain: false));
        Assert.Equal(500, status);
        var error = body.GetProperty("error").GetString()!;
        Assert.StartsWith($"reload failed, still serving generation {generation}: ", error, StringComparison.Ordinal);
        Assert.Contains("ranker.json", error, StringComparison.Ordinal);
        Assert.Equal(generation, (await s.GetJsonAsync(query)).GetProperty("generation").GetString());
    }

    [Fact]
    public async Task A_retrain_refuses_a_store_holding_fewer_events_than_the_models_learnt_from_and_leaves_them_alone()
    {
        string collab = "";
        var (s, store) = await shop.StartAsync(collabCopied: c => collab = c);
        await using var _ = s;
        using var __ = store;
        var before = File.ReadAllBytes(Path.Combine(collab, "collab.bin"));
        // As a new or mistyped --events would be: far fewer events than the models were trained on.
        using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.Path}"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "DELETE FROM events WHERE ts % 2 = 0;";
            cmd.ExecuteNonQuery();
        }
        var (status, body) = await TestServer.ReadAsync(await s.ReloadAsync(retrain: true));
        Assert.Equal(500, status);
        Assert.Contains($"the models in {collab} were trained on, so they were not retrained", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(collab, "collab.bin")));
    }

    [Fact]
    public async Task A_retrain_mends_collaborative_models_whose_file_was_damaged()
    {
        string collab = "";
        var (s, store) = await shop.StartAsync(collabCopied: c => collab = c);
        await using var _ = s;
        using var __ = store;
        File.WriteAllBytes(Path.Combine(collab, "collab.bin"), [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal(500, (int)(await s.ReloadAsync(retrain: false)).StatusCode);
        var (status, _) = await TestServer.ReadAsync(await s.ReloadAsync(retrain: true));
        Assert.Equal(200, status);
        Assert.True(SearchRec.Collab.Models.CollabModels.Load(collab).Card.Events > 0);
    }

    private static async Task<long> EventCountAsync(TestServer s)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/admin/events/count");
        req.Headers.Add("X-Api-Key", TestServer.ApiKey);
        using var r = await s.Client.SendAsync(req);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("count").GetInt64();
    }

    [BrowserFact]
    public async Task The_page_works_in_a_real_browser_over_a_generated_shop()
    {
        var (s, store) = await shop.StartAsync();
        await using var _ = s;
        using var __ = store;
        long start = store.Count;
        var shot = PageBrowserTests.ScreenshotPath("page-generated-shop.png");
        var (exit, text) = await PageBrowserTests.RunPageTestAsync(s.Url + "/", shot, output);
        Assert.True(exit == 0, text);
        output.WriteLine("screenshot: " + shot);
        Assert.True(store.Count >= start + 2);
    }
}
