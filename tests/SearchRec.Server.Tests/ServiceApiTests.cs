using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SearchRec.Server;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class ServiceApiTests
{
    [Fact]
    public async Task Search_returns_products_with_display_fields_and_scores()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync("/search?q=连衣裙&k=3");
        var results = r.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        var first = results[0];
        Assert.Contains("连衣裙", first.GetProperty("title").GetString());
        Assert.StartsWith("品牌", first.GetProperty("brand").GetString());
        Assert.True(first.GetProperty("price").GetDouble() >= 10);
        Assert.True(first.GetProperty("score").GetDouble() > 0);
        Assert.False(first.TryGetProperty("explain", out _));
        Assert.True(r.GetProperty("stagesMs").TryGetProperty("rank.model", out _));
    }

    [Fact]
    public async Task An_item_look_up_carries_the_product_and_no_score()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var id = (await s.GetJsonAsync("/search?q=连衣裙&k=1")).GetProperty("results")[0].GetProperty("id").GetString()!;

        var item = await s.GetJsonAsync($"/items/{id}");

        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(item.GetProperty("title").GetString()));
        Assert.False(item.TryGetProperty("score", out var none), "a look-up ranks nothing, so it has no score (it said 0)");
    }

    [Fact]
    public async Task The_openapi_answer_of_an_item_look_up_has_no_score()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var openapi = await s.GetJsonAsync("/openapi/v1.json");
        var reference = openapi.GetProperty("paths").GetProperty("/items/{id}").GetProperty("get").GetProperty("responses")
            .GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
        var schema = openapi.GetProperty("components").GetProperty("schemas").GetProperty(reference.Split('/')[^1]);

        var properties = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()).ToList() : [];

        Assert.Equal(["id", "title", "brand", "price", "category"], properties);
        Assert.DoesNotContain("score", required);
    }

    [Fact]
    public async Task Search_with_explain_lists_feature_contributions()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync("/search?q=手机壳&k=2&explain=true");
        var explain = r.GetProperty("results")[0].GetProperty("explain");
        Assert.Equal("bm25", explain[0].GetProperty("feature").GetString());
        Assert.True(explain[0].GetProperty("contribution").GetDouble() > 0);
    }

    [Fact]
    public async Task Search_filters_by_brand_and_price()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync("/search?q=新款&k=50&brand=品牌1&priceMin=12&priceMax=15");
        var results = r.GetProperty("results");
        Assert.NotEqual(0, results.GetArrayLength());
        foreach (var item in results.EnumerateArray())
        {
            Assert.Equal("品牌1", item.GetProperty("brand").GetString());
            Assert.InRange(item.GetProperty("price").GetDouble(), 12, 15);
        }
    }

    [Theory]
    [InlineData("/search?q=连衣裙&k=-1", "k")]
    [InlineData("/search?q=连衣裙&k=100000", "k")]
    [InlineData("/search?q=连衣裙&k=ten", "k")]
    [InlineData("/search?k=5", "q")]
    [InlineData("/search?q=%20%20", "q")]
    [InlineData("/search?q=a&user=-3", "user")]
    [InlineData("/search?q=a&priceMin=9&priceMax=2", "priceMin")]
    [InlineData("/search?q=a&priceMax=NaN", "priceMax")]
    [InlineData("/search?q=a&explain=maybe", "explain")]
    [InlineData("/search?q=a&facets=maybe", "facets")]
    [InlineData("/search?q=a&highlight=maybe", "highlight")]
    [InlineData("/search?q=a&kk=3", "kk")]
    [InlineData("/search?q=a&window=0", "window")]
    [InlineData("/search?q=a&window=many", "window")]
    [InlineData("/search?q=a&window=10001", "window")]
    [InlineData("/items/1/similar?k=0", "k")]
    [InlineData("/users/abc/recommendations", "id")]
    // .NET's number parse skips trailing NULs: these were read as 1, 2, 5 (a %01 was refused).
    [InlineData("/search?q=a&k=1%00", "k")]
    [InlineData("/search?q=a&user=1%00", "user")]
    [InlineData("/search?q=a&offset=1%00", "offset")]
    [InlineData("/search?q=a&window=5%00", "window")]
    [InlineData("/search?q=a&priceMin=5%00", "priceMin")]
    [InlineData("/suggest?q=a&k=2%00", "k")]
    [InlineData("/items/1/similar?user=2%00", "user")]
    public async Task Bad_parameters_get_400_naming_the_parameter(string path, string field)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync(path));
        Assert.Equal(400, status);
        Assert.Equal(field, body.GetProperty("field").GetString());
        Assert.Contains(field, body.GetProperty("error").GetString());
        // The service keeps serving.
        Assert.NotEqual(0, (await s.GetJsonAsync("/search?q=连衣裙")).GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Highlights_mark_where_the_search_words_occur_in_each_title_and_only_when_asked()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var words = SearchRec.Text.TextHighlighter.Words("连衣裙");

        var marked = await s.GetJsonAsync("/search?q=连衣裙&k=5&highlight=true");
        var plain = await s.GetJsonAsync("/search?q=连衣裙&k=5");

        var results = marked.GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        var spans = 0;
        foreach (var r in results)
        {
            var title = r.GetProperty("title").GetString()!;
            var last = -1;
            foreach (var h in r.GetProperty("highlights").EnumerateArray())
            {
                int start = h.GetProperty("start").GetInt32(), length = h.GetProperty("length").GetInt32();
                Assert.True(start > last && length > 0 && start + length <= title.Length, $"{start}+{length} in {title}");
                Assert.Contains(words, w => title.Substring(start, length).Contains(w, StringComparison.Ordinal));
                last = start + length;
                spans++;
            }
        }
        Assert.True(spans > 0);
        Assert.All(plain.GetProperty("results").EnumerateArray(), r => Assert.False(r.TryGetProperty("highlights", out var none)));
    }

    [Fact]
    public async Task A_k_that_is_no_number_and_one_out_of_range_get_the_same_kind_of_message()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var messages = new List<string>();
        foreach (var k in new[] { "ten", "0", "100000" })
            messages.Add((await TestServer.ReadAsync(await s.Client.GetAsync($"/search?q=a&k={k}"))).Body.GetProperty("error").GetString()!);
        Assert.All(messages, m => Assert.StartsWith("k must be an integer between 1 and ", m, StringComparison.Ordinal));
        Assert.EndsWith("(got '0')", messages[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_one_megabyte_query_gets_400_about_q_and_the_service_keeps_serving()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var q = new string('a', 1 << 20);
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync("/search?q=" + q));
        Assert.Equal(400, status);
        Assert.Equal("q", body.GetProperty("field").GetString());
        Assert.Contains("at most 200", body.GetProperty("error").GetString());
        Assert.Equal("ok", (await s.GetJsonAsync("/healthz")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unknown_path_or_a_wrong_method_gets_a_json_error_as_every_refusal_does()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync("/nope"));
        Assert.Equal(404, status);
        Assert.Equal("path", body.GetProperty("field").GetString());
        Assert.Equal("no endpoint at /nope; the API is listed at /openapi/v1.json", body.GetProperty("error").GetString());

        (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync("/events"));
        Assert.Equal(405, status);
        Assert.Equal("method", body.GetProperty("field").GetString());
        Assert.StartsWith("GET is not allowed on /events", body.GetProperty("error").GetString(), StringComparison.Ordinal);

        // An endpoint's own 404 keeps its own answer.
        (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync("/items/no-such-item/similar"));
        Assert.Equal(404, status);
        Assert.Equal("id", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Unknown_item_ids_get_404_with_the_id()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync("/items/999999/similar"));
        Assert.Equal(404, status);
        Assert.Contains("999999", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Similar_items_name_the_source_of_each_result()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync("/items/1/similar?k=4");
        var results = r.GetProperty("results");
        Assert.Equal(4, results.GetArrayLength());
        foreach (var item in results.EnumerateArray())
        {
            Assert.Equal("content", item.GetProperty("source").GetString());
            Assert.NotEqual("1", item.GetProperty("id").GetString());
        }
    }

    [Fact]
    public async Task Recommendations_for_a_cold_user_fall_back_to_popular_items()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync("/users/77/recommendations?k=5");
        Assert.Equal(5, r.GetProperty("results").GetArrayLength());
        Assert.Equal("popular", r.GetProperty("results")[0].GetProperty("source").GetString());
    }

    [Fact]
    public async Task Every_status_an_endpoint_answers_is_listed_in_the_openapi_document()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var paths = (await s.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");
        const string events = """{"user":1,"item":"1","behavior":"pv"}""";
        (HttpMethod Method, string Url, string Route, string? Key, string? Body, string Type, int Status)[] requests =
        [
            (HttpMethod.Get, "/search?q=连衣裙", "/search", null, null, "", 200),
            (HttpMethod.Get, "/search?q=连衣裙&k=abc", "/search", null, null, "", 400),
            (HttpMethod.Get, "/suggest?q=连", "/suggest", null, null, "", 200),
            (HttpMethod.Get, "/suggest?q=连&k=0", "/suggest", null, null, "", 400),
            (HttpMethod.Get, "/items/1", "/items/{id}", null, null, "", 200),
            (HttpMethod.Get, "/items/1?x=1", "/items/{id}", null, null, "", 400),
            (HttpMethod.Get, "/items/no-such-item", "/items/{id}", null, null, "", 404),
            (HttpMethod.Get, "/items/1/similar?k=3", "/items/{id}/similar", null, null, "", 200),
            (HttpMethod.Get, "/items/1/similar?k=abc", "/items/{id}/similar", null, null, "", 400),
            (HttpMethod.Get, "/items/no-such-item/similar", "/items/{id}/similar", null, null, "", 404),
            (HttpMethod.Get, "/users/1/recommendations", "/users/{id}/recommendations", null, null, "", 200),
            (HttpMethod.Get, "/users/1/recommendations?k=abc", "/users/{id}/recommendations", null, null, "", 400),
            (HttpMethod.Post, "/events", "/events", TestServer.EventsKey, events, "application/json", 200),
            (HttpMethod.Post, "/events", "/events", TestServer.EventsKey, "{", "application/json", 400),
            (HttpMethod.Post, "/events", "/events", null, events, "application/json", 401),
            (HttpMethod.Post, "/events", "/events", "not-the-key-0123456789", events, "application/json", 403),
            (HttpMethod.Post, "/events", "/events", TestServer.EventsKey, events, "text/plain", 415),
            (HttpMethod.Post, "/events", "/events", TestServer.EventsKey, "[" + string.Join(",", Enumerable.Repeat(events, 40_000)) + "]", "application/json", 413),
            (HttpMethod.Post, "/admin/reload", "/admin/reload", TestServer.ApiKey, null, "", 200),
            (HttpMethod.Post, "/admin/reload?retrain=maybe", "/admin/reload", TestServer.ApiKey, null, "", 400),
            (HttpMethod.Post, "/admin/reload", "/admin/reload", null, null, "", 401),
            (HttpMethod.Post, "/admin/reload", "/admin/reload", TestServer.EventsKey, null, "", 403),
            (HttpMethod.Get, "/admin/events/count", "/admin/events/count", TestServer.ApiKey, null, "", 200),
            (HttpMethod.Get, "/admin/events/count", "/admin/events/count", null, null, "", 401),
            (HttpMethod.Get, "/admin/events/count", "/admin/events/count", TestServer.EventsKey, null, "", 403),
            (HttpMethod.Get, "/healthz", "/healthz", null, null, "", 200),
            (HttpMethod.Get, "/samples", "/samples", null, null, "", 200),
        ];
        foreach (var (method, url, route, key, body, type, status) in requests)
        {
            using var req = new HttpRequestMessage(method, url);
            if (key is not null) req.Headers.Add("X-Api-Key", key);
            if (body is not null) req.Content = new StringContent(body, System.Text.Encoding.UTF8, type);
            // Without 100-continue the 413 can race the client still writing the body, which then sees a broken pipe.
            if (status == 413) req.Headers.ExpectContinue = true;
            using var r = await s.Client.SendAsync(req);
            Assert.True(status == (int)r.StatusCode, $"{method} {url}: {(int)r.StatusCode}, expected {status}: {await r.Content.ReadAsStringAsync()}");
            var responses = paths.GetProperty(route).GetProperty(method.Method.ToLowerInvariant()).GetProperty("responses");
            Assert.True(responses.TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var documented),
                $"{method} {route} answers {status}, which the OpenAPI document does not list (it lists {string.Join(", ", responses.EnumerateObject().Select(p => p.Name))})");
            if (status >= 400) Assert.True(documented.TryGetProperty("content", out _), $"{method} {route} {status}: no error body described");
        }
    }

    [Theory]
    [InlineData("/search")]
    [InlineData("/suggest")]
    public async Task The_openapi_description_of_an_endpoint_names_every_query_parameter_it_takes(string path)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var get = (await s.GetJsonAsync("/openapi/v1.json")).GetProperty("paths").GetProperty(path).GetProperty("get");
        var description = get.GetProperty("description").GetString()!;
        var names = get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();

        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.Matches($@"(^|[ ;,]){n}[:,]", description));
    }

    [Fact]
    public async Task Health_openapi_metrics_and_page_are_served()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        await s.GetJsonAsync("/search?q=连衣裙");
        Assert.Equal(40, (await s.GetJsonAsync("/healthz")).GetProperty("products").GetInt32());
        var openapi = await s.GetJsonAsync("/openapi/v1.json");
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/search", out _));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/events", out _));
        var metrics = await s.Client.GetStringAsync("/metrics");
        Assert.Contains("searchrec_requests", metrics);
        Assert.Contains("searchrec_request_duration_seconds_bucket", metrics);
        Assert.Contains("searchrec_cache_lookups", metrics);
        Assert.Contains("stage=\"recall\"", metrics);
        var page = await s.Client.GetStringAsync("/");
        Assert.Contains("<input id=\"q\"", page);
        Assert.Contains("sendEvent", await s.Client.GetStringAsync("/app.js"));
    }

    [Fact]
    public async Task The_service_binds_to_loopback_by_default()
    {
        Assert.StartsWith("http://127.0.0.1:", new ServerOptions().Urls);
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        Assert.StartsWith("http://127.0.0.1:", s.Url);
    }

    [Theory]
    [InlineData("ApiKey")]
    [InlineData("MaxK")]
    [InlineData("Urls")]
    [InlineData("RedisConnectionString")]
    [InlineData("EventsKey")]
    public void Bad_options_are_refused_at_start_up_naming_the_setting(string setting)
    {
        var o = new ServerOptions { ApiKey = TestServer.ApiKey };
        switch (setting)
        {
            case "ApiKey": o.ApiKey = "short"; break;
            case "MaxK": o.MaxK = 0; break;
            case "Urls": o.Urls = "ftp://nowhere"; break;
            case "RedisConnectionString": o.RedisConnectionString = " "; break;
            case "EventsKey": o.EventsKey = TestServer.ApiKey; break;
        }
        var ex = Assert.Throws<OptionsValidationException>(o.Validate);
        Assert.Contains(setting, ex.Message);
    }

    [Fact]
    public async Task Recall_is_cached_per_normalised_query_while_ranking_runs_per_request()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out _);
        await s.GetJsonAsync("/search?q=连衣裙&user=1");
        await s.GetJsonAsync("/search?q=%20连衣裙%20&user=2");   // same after normalisation
        await s.GetJsonAsync("/search?q=%EF%BC%A1%20连衣裙");     // full-width A
        await s.GetJsonAsync("/search?q=a%20连衣裙");             // same as the previous after NFKC + lower case
        Assert.Equal(2, loader.Latest.Recalls);
        Assert.Equal(4, loader.Latest.Ranks);
    }
}
