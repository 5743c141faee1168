using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>What a public service owes every client: safe headers, HEAD, and refusals of broken query strings.</summary>
public sealed class HttpHardeningTests
{
    [Fact]
    public async Task Every_answer_says_nosniff_and_forbids_framing_errors_included()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        var answers = new List<HttpResponseMessage>
        {
            await s.Client.GetAsync("/"),
            await s.Client.GetAsync("/app.js"),
            await s.Client.GetAsync("/search?q=新款"),
            await s.Client.GetAsync("/search?q=<script>alert(1)</script>&kk=1"),   // 400 echoing the input
            await s.Client.GetAsync("/no/such/page"),                              // 404
            await s.Client.DeleteAsync("/search"),                                 // 405
            await s.Client.SendAsync(post),                                        // 401
            await s.Client.GetAsync("/metrics"),
        };
        foreach (var r in answers)
        {
            string what = $"{r.RequestMessage!.Method} {r.RequestMessage.RequestUri} -> {(int)r.StatusCode}";
            Assert.True(r.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) && nosniff.Single() == "nosniff", what);
            Assert.True(r.Headers.TryGetValues("X-Frame-Options", out var frame) && frame.Single() == "DENY", what);
            Assert.True(r.Headers.TryGetValues("Content-Security-Policy", out var csp) && csp.Single().Contains("frame-ancestors 'none'"), what);
            Assert.True(r.Headers.TryGetValues("Referrer-Policy", out var referrer) && referrer.Single() == "no-referrer", what);
            Assert.Contains("charset=utf-8", r.Content.Headers.ContentType!.ToString());
        }
        Assert.Equal(HttpStatusCode.BadRequest, answers[3].StatusCode);
        Assert.Equal("application/json", answers[3].Content.Headers.ContentType!.MediaType);
        Assert.Contains("default-src 'self'", answers[0].Headers.GetValues("Content-Security-Policy").Single());
        foreach (var r in answers) r.Dispose();
    }

    [Fact]
    public async Task Head_answers_like_get_with_no_body()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        foreach (var path in new[] { "/", "/favicon.svg", "/healthz", "/samples", "/search?q=新款", "/search?q=新款&facets=true", "/items/1", "/items/1/similar?k=3", "/users/1/recommendations", "/page/config", "/metrics", "/openapi/v1.json" })
        {
            using var get = await s.Client.GetAsync(path);
            using var head = await s.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {path} -> {(int)head.StatusCode}");
            Assert.Equal(get.Content.Headers.ContentType?.ToString(), head.Content.Headers.ContentType?.ToString());
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
        using var page = await s.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.Equal((await s.Client.GetByteArrayAsync("/")).Length, page.Content.Headers.ContentLength);
        using var bad = await s.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/search?k=0"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // The HEAD routes stay out of the API description.
        Assert.DoesNotContain("\"head\"", await s.Client.GetStringAsync("/openapi/v1.json"));
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/openapi/v1.json")]
    public async Task Metrics_and_the_openapi_document_refuse_methods_other_than_get_and_head_with_405(string path)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Delete, HttpMethod.Options })
        {
            using var r = await s.Client.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(r.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path} -> {(int)r.StatusCode}");
            var (_, body) = await TestServer.ReadAsync(r);
            Assert.Equal("method", body.GetProperty("field").GetString());
            Assert.Equal($"{method} is not allowed on {path}; use GET, HEAD", body.GetProperty("error").GetString());
        }
    }

    [Theory]
    [InlineData("DELETE", "/search", "GET, HEAD")]
    [InlineData("OPTIONS", "/search", "GET, HEAD")]
    [InlineData("GET", "/events", "POST")]
    [InlineData("POST", "/metrics", "GET, HEAD")]
    public async Task A_405_carries_the_Allow_header_naming_the_methods_the_path_takes(string method, string path, string allow)
    {
        // RFC 9110 (15.5.6): a 405 must list the methods in Allow. The error body was written over a cleared response,
        // which dropped the header routing had set: the body named the methods, the header was gone.
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        using var r = await s.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal(allow, string.Join(", ", r.Content.Headers.Allow));
        Assert.True(r.Headers.TryGetValues("X-Content-Type-Options", out _));
    }

    [Theory]
    [InlineData("/search?q=%E4%B8", "q")]            // a character cut short: ASP.NET kept '%E4%B8' and searched for it
    [InlineData("/search?q=%C0%AF", "q")]            // an over-long encoding of '/'
    [InlineData("/search?q=%ZZ", "q")]
    [InlineData("/search?q=100%", "q")]
    [InlineData("/search?q=%E6%96%B0&brand=%FF", "brand")]
    [InlineData("/items/1/similar?user=%E4", "user")]
    [InlineData("/search?q=x&=1", "")]
    public async Task Broken_percent_encoding_is_refused_naming_the_parameter(string path, string field)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        // As sent: System.Uri would otherwise mend '%ZZ' into '%25ZZ' before it leaves.
        var raw = new Uri(s.Url + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var r = await s.Client.GetAsync(raw);
        var (status, body) = await TestServer.ReadAsync(r);
        Assert.True(status == 400, $"{path} -> {status}");
        Assert.Equal(field, body.GetProperty("field").GetString());
        Assert.Equal("application/json", r.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("/items/1?x=1")]
    [InlineData("/items/1?x")]
    [InlineData("/samples?x=1")]
    public async Task An_endpoint_that_takes_no_parameters_says_so_when_given_one(string path)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (status, body) = await TestServer.ReadAsync(await s.Client.GetAsync(path));
        Assert.Equal(400, status);
        Assert.Equal("x", body.GetProperty("field").GetString());
        // Before: "unknown parameter 'x'; this endpoint takes: ", an empty list.
        Assert.Equal("unknown parameter 'x'; this endpoint takes no query parameters", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/healthz?probe=1")]
    [InlineData("/metrics?name[]=x")]
    public async Task Health_checks_and_scrapes_answer_whatever_their_caller_appends(string path)
    {
        // Probes and scrapers add their own parameters (cache busters, Prometheus' params): refusing them would read as down.
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        using var r = await s.Client.GetAsync(path);
        Assert.Equal(200, (int)r.StatusCode);
    }

    [Theory]
    [InlineData("TRUE", true)]
    [InlineData("Yes", true)]
    [InlineData("", true)]
    [InlineData("FALSE", false)]
    [InlineData("No", false)]
    public async Task A_flag_reads_its_spellings_in_any_case(string value, bool on)
    {
        // True was read and TRUE refused.
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync($"/search?q=%E6%96%B0%E6%AC%BE&k=2&explain={value}");
        Assert.Equal(on, r.GetProperty("results")[0].TryGetProperty("explain", out _));
    }

    [Fact]
    public async Task Well_encoded_text_still_searches()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var r = await s.GetJsonAsync("/search?q=%E6%96%B0%E6%AC%BE+%E6%89%8B%E6%9C%BA%E5%A3%B3&k=%2B3");
        Assert.Equal("新款 手机壳", r.GetProperty("query").GetString());
        Assert.Equal(3, r.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Page_config_is_never_cached_and_gives_the_query_limit()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _, o => o.MaxQueryLength = 50);
        using var r = await s.Client.GetAsync("/page/config");
        Assert.Contains("no-store", r.Headers.CacheControl!.ToString());
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(50, body.GetProperty("maxQueryLength").GetInt32());
        Assert.True(body.GetProperty("requestTimeoutMs").GetInt32() > 0);
    }

    [Fact]
    public async Task A_clipped_name_in_an_error_keeps_its_last_character_whole()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        string name = new string('a', 39) + "😀😀";   // the 40th UTF-16 unit is half an emoji
        using var r = await s.Client.GetAsync($"/search?q=x&{Uri.EscapeDataString(name)}=1");
        var (status, body) = await TestServer.ReadAsync(r);
        Assert.Equal(400, status);
        string field = body.GetProperty("field").GetString()!;
        Assert.DoesNotContain('\uFFFD', field);
        Assert.StartsWith(new string('a', 39), field);
    }

    [Fact]
    public async Task A_loopback_service_refuses_requests_addressed_to_another_host_name()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        foreach (var host in new[] { "attacker.example", "attacker.example:80", "192.168.1.10" })
        {
            // A DNS-rebound page: same origin with the service in the browser's eyes, but its own host name.
            using var req = new HttpRequestMessage(HttpMethod.Get, "/page/config");
            req.Headers.Host = host;
            using var r = await s.Client.SendAsync(req);
            var (status, body) = await TestServer.ReadAsync(r);
            Assert.True(status == 400, $"Host {host} -> {status}");
            Assert.Equal("Host", body.GetProperty("field").GetString());
            Assert.DoesNotContain("eventsKey", body.ToString());
        }
        foreach (var host in new[] { "localhost", "127.0.0.1", "[::1]:5080", "app.localhost" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, "/healthz");
            req.Headers.Host = host;
            using var r = await s.Client.SendAsync(req);
            Assert.True(r.IsSuccessStatusCode, $"Host {host} -> {(int)r.StatusCode}");
        }
        // An HTTP/1.0 probe without a Host (a health check by hand) is not a browser's request: answered.
        var address = new Uri(s.Url);
        using (var socket = new System.Net.Sockets.TcpClient())
        {
            await socket.ConnectAsync(address.Host, address.Port);
            var stream = socket.GetStream();
            await stream.WriteAsync("GET /healthz HTTP/1.0\r\n\r\n"u8.ToArray());
            using var reader = new StreamReader(stream);
            Assert.StartsWith("HTTP/1.1 200", await reader.ReadLineAsync());
        }
        Assert.False(SearchRecServer.ListensOnLoopbackOnly("http://0.0.0.0:5080"));
        Assert.False(SearchRecServer.ListensOnLoopbackOnly("http://127.0.0.1:5080;http://shop.example:80"));
        Assert.True(SearchRecServer.ListensOnLoopbackOnly("http://localhost:5080;http://[::1]:5080"));
    }

    [Fact]
    public async Task An_unknown_item_id_longer_than_any_real_one_is_answered_404_and_not_kept_in_the_cache()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var cache = s.App.Services.GetRequiredService<ZiggyCreatures.Caching.Fusion.IFusionCache>();
        string generation = (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString()!;
        string shortId = "no-such-item", longId = new string('9', 200_000);
        foreach (var path in new[] { $"/items/{shortId}", $"/items/{longId}", $"/items/{longId}/similar" })
        {
            using var r = await s.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
        // The short miss is cached (the check can see entries); the long one, which held its key for the
        // fail-safe hour (300 such requests held 2 GB), is not.
        Assert.True((await cache.TryGetAsync<object?>($"{generation}:i:{shortId}")).HasValue);
        Assert.False((await cache.TryGetAsync<object?>($"{generation}:i:{longId}")).HasValue);
    }

    [Fact]
    public async Task An_unknown_item_id_is_remembered_briefly_and_not_kept_for_the_fail_safe_hour()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var cache = s.App.Services.GetRequiredService<ZiggyCreatures.Caching.Fusion.IFusionCache>();
        string generation = (await s.GetJsonAsync("/healthz")).GetProperty("generation").GetString()!;
        using (var r = await s.Client.GetAsync("/items/made-up-id"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await s.Client.GetAsync("/items/1"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        // Stale entries count too: fail-safe kept every miss in memory for an hour (and under the entry limit, a
        // flood of made-up ids pushed real answers out).
        var stale = new ZiggyCreatures.Caching.Fusion.FusionCacheEntryOptions { AllowStaleOnReadOnly = true };
        Assert.True((await cache.TryGetAsync<object?>($"{generation}:i:made-up-id", stale)).HasValue);
        await Task.Delay(Internals.ServiceCache.UnknownItemDuration + TimeSpan.FromMilliseconds(700));
        Assert.False((await cache.TryGetAsync<object?>($"{generation}:i:made-up-id", stale)).HasValue);
        Assert.True((await cache.TryGetAsync<object?>($"{generation}:i:1", stale)).HasValue);   // a real item stays
    }

    [Fact]
    public async Task A_cached_recall_weighs_its_candidates_so_the_cache_limit_bounds_memory()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var memory = s.App.Services.GetRequiredService<Microsoft.Extensions.Caching.Memory.MemoryCache>();
        await s.GetJsonAsync("/search?q=新款&k=10");   // recalls all 40 products; their records are cached now
        long before = memory.GetCurrentStatistics()!.CurrentEstimatedSize!.Value;
        var r = await s.GetJsonAsync("/search?q=新款%20新款&k=10");   // another key, the same 40 candidates and 10 records
        Assert.Equal(40, r.GetProperty("window").GetInt32());
        long after = memory.GetCurrentStatistics()!.CurrentEstimatedSize!.Value;
        // Every entry weighed 1: 60,000 different queries (about 20 KB of candidates each) took a service to 1.4 GB
        // while the limit of 500,000 "entries" was nowhere near.
        // Now it weighs the bytes its 40 candidates hold (about 80 each, plus their ids and the entry's records).
        Assert.InRange(after - before, 40 * 80, 40 * 200 + 2_000);
    }
}
