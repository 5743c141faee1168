using System.Text;
using System.Text.Json;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class EventsTests
{
    [Fact]
    public async Task A_valid_batch_is_stored_before_it_is_acknowledged()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        var (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync(
            """[{"user":1,"item":"3","behavior":"pv"},{"user":1,"item":4,"behavior":"buy","timestamp":1700000000}]"""));
        Assert.Equal(200, status);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        var stored = log.Snapshot();
        Assert.Equal(2, stored.Count);
        Assert.Equal(1700000000, stored[1].Timestamp);
        Assert.Equal(100, stored[0].CategoryId);   // looked up from the catalog when not given
    }

    [Fact]
    public async Task A_single_event_object_and_an_events_wrapper_are_both_accepted()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":5,"item":"1","behavior":"cart"}""")).StatusCode);
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"events":[{"user":5,"item":"2","behavior":"fav"}]}""")).StatusCode);
        Assert.Equal(2, log.Count);
    }

    [Theory]
    [InlineData("{\"user\":1,", "malformed JSON")]
    [InlineData("[{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\",\"color\":\"red\"}]", "unknown field 'color'")]
    [InlineData("[{\"user\":\"one\",\"item\":\"3\",\"behavior\":\"pv\"}]", "events[0].user: must be a non-negative integer")]
    [InlineData("[{\"user\":1,\"item\":\"3\",\"behavior\":\"click\"}]", "events[0].behavior: 'click' is not one of")]
    [InlineData("[{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\"},{\"user\":1,\"item\":\"424242\",\"behavior\":\"pv\"}]", "events[1].item: unknown product id '424242'")]
    [InlineData("[{\"user\":1,\"behavior\":\"pv\"}]", "events[0].item: missing")]
    // Not the catalog's id "3", though they parse as the number 3 (.NET's parse also skips trailing NULs).
    [InlineData("[{\"user\":1,\"item\":\"03\",\"behavior\":\"pv\"}]", "events[0].item: unknown product id '03'")]
    [InlineData("[{\"user\":1,\"item\":\"3\\u0000\",\"behavior\":\"pv\"}]", "events[0].item: unknown product id '3\u0000'")]
    [InlineData("[]", "empty")]
    [InlineData("42", "must be an event object")]
    [InlineData("{\"user\":1.5,\"item\":\"3\",\"behavior\":\"pv\"}", "event.user: must be a non-negative integer, not the number 1.5")]
    [InlineData("{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\",\"timestamp\":-1}", "event.timestamp: -1 is negative (Unix seconds expected)")]
    [InlineData("{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\",\"timestamp\":99999999999999}", "event.timestamp: 99999999999999 is more than a day in the future")]
    // A repeated field would otherwise let the last value win.
    [InlineData("{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\",\"user\":2}", "event.user: given more than once")]
    [InlineData("[{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\"},{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\",\"behavior\":\"buy\"}]", "events[1].behavior: given more than once")]
    [InlineData("{\"events\":[{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\"}],\"events\":[]}", "events: given more than once")]
    public async Task Bad_events_get_400_naming_the_row_and_field_and_nothing_is_stored(string json, string expected)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        var (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync(json));
        Assert.Equal(400, status);
        var all = body.GetProperty("error").GetString() + " " + (body.TryGetProperty("problems", out var p) ? p.ToString() : "");
        Assert.Contains(expected, all);
        Assert.Equal(0, log.Count);
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":5,"item":"1","behavior":"cart"}""")).StatusCode);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]   // what `curl -d` sends
    [InlineData("text/plain")]
    public async Task A_body_that_is_not_sent_as_json_gets_415_with_a_json_error_naming_content_type(string type)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new ByteArrayContent("""{"user":5,"item":"1","behavior":"cart"}"""u8.ToArray()) };
        req.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        req.Headers.Add("X-Api-Key", TestServer.ApiKey);
        var (status, body) = await TestServer.ReadAsync(await s.Client.SendAsync(req));
        Assert.Equal(415, status);
        Assert.Equal("Content-Type", body.GetProperty("field").GetString());
        Assert.Contains("Content-Type: application/json", body.GetProperty("error").GetString());
        Assert.Contains(type, body.GetProperty("error").GetString());
        Assert.Equal(0, log.Count);

        // A body without any Content-Type is read as JSON, as before.
        using var untyped = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new ByteArrayContent("""{"user":5,"item":"1","behavior":"cart"}"""u8.ToArray()) };
        untyped.Headers.Add("X-Api-Key", TestServer.ApiKey);
        Assert.Equal(200, (int)(await s.Client.SendAsync(untyped)).StatusCode);
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_gets_400_naming_its_line_and_byte_and_nothing_is_stored()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        async Task<(int Status, JsonElement Body)> PostBytes(byte[] bytes)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new ByteArrayContent(bytes) };
            req.Content.Headers.ContentType = new("application/json");
            req.Headers.Add("X-Api-Key", TestServer.ApiKey);
            return await TestServer.ReadAsync(await s.Client.SendAsync(req));
        }

        // An item id saved as GBK (中 is D6 D0), on the batch's second line: before, the parse passed and reading the
        // string threw, a 500 "internal error".
        byte[] gbk = [.. "[\n{\"user\":1,\"item\":\""u8, 0xD6, 0xD0, .. "\",\"behavior\":\"pv\"}]"u8];
        var (status, body) = await PostBytes(gbk);

        Assert.Equal(400, status);
        Assert.Equal("body", body.GetProperty("field").GetString());
        Assert.StartsWith("the body is not UTF-8 at line 2, byte 19", body.GetProperty("error").GetString());
        Assert.Equal(0, log.Count);
        // A UTF-8 body with a byte-order mark is still read, as it was.
        Assert.Equal(200, (await PostBytes([0xEF, 0xBB, 0xBF, .. """{"user":5,"item":"1","behavior":"cart"}"""u8])).Status);
        Assert.Equal(1, log.Count);
    }

    [Theory]
    [InlineData("[{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\"},\n{\"user\":1,\"item\":\"\\ud800\",\"behavior\":\"pv\"}]", "line 2, byte 18")]
    [InlineData("{\"user\":1,\"item\":\"3\",\"behavior\":\"\\udc00pv\"}", "line 1, byte 33")]
    [InlineData("{\"user\":1,\"item\":\"3\",\"behavior\":\"pv\",\"\\ud83d\":1}", "line 1, byte 38")]
    public async Task An_escaped_lone_surrogate_gets_400_naming_its_line_and_byte_and_nothing_is_stored(string json, string where)
    {
        // The parse accepts "\ud800" (half of a surrogate pair) and reading the string threw: a 500 "internal error".
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        var (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync(json));
        Assert.Equal(400, status);
        Assert.Equal("body", body.GetProperty("field").GetString());
        Assert.StartsWith($"the string at {where} has an escape that is no character", body.GetProperty("error").GetString());
        Assert.Equal(0, log.Count);
        // A whole pair, escaped, is a character as any other.
        var (_, pair) = await TestServer.ReadAsync(await s.PostEventsAsync("{\"user\":1,\"item\":\"3\",\"behavior\":\"\\ud83d\\ude00\"}"));
        Assert.Contains("event.behavior: '\U0001F600' is not one of", pair.GetProperty("error").GetString());
        Assert.Equal(200, (int)(await s.PostEventsAsync("{\"user\":1,\"item\":\"3\",\"behavior\":\"\\u0070v\"}")).StatusCode);
        Assert.Equal(1, log.Count);
    }

    [Fact]
    public async Task A_batch_over_the_limit_is_refused()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log, o => o.MaxEventsPerRequest = 3);
        var json = "[" + string.Join(",", Enumerable.Repeat("""{"user":1,"item":"3","behavior":"pv"}""", 4)) + "]";
        var (status, body) = await TestServer.ReadAsync(await s.PostEventsAsync(json));
        Assert.Equal(400, status);
        Assert.Contains("at most 3", body.GetProperty("error").GetString());
        Assert.Equal(0, log.Count);
    }

    [Fact]
    public async Task A_huge_body_gets_413_and_the_service_keeps_serving()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        var json = "[" + string.Join(",", Enumerable.Repeat("""{"user":1,"item":"3","behavior":"pv"}""", 40_000)) + "]";
        Assert.True(Encoding.UTF8.GetByteCount(json) > 1 << 20);
        // With Expect: 100-continue (what clients should send for big uploads) the 413 comes before the body is sent,
        // so the answer cannot be lost to a connection the server closes while the client is still writing.
        using var big = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        big.Headers.ExpectContinue = true;
        big.Headers.Add("X-Api-Key", TestServer.ApiKey);
        var (status, body) = await TestServer.ReadAsync(await s.Client.SendAsync(big));
        Assert.Equal(413, status);
        Assert.Contains("larger than", body.GetProperty("error").GetString());
        Assert.Equal(0, log.Count);

        // Without a Content-Length (chunked) the limit holds too: the service stops reading at 1 MiB and answers 413.
        // The client may still be writing then and see the connection close instead; either way nothing is stored.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))) };
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.Add("X-Api-Key", TestServer.ApiKey);
        try
        {
            var (status2, _) = await TestServer.ReadAsync(await s.Client.SendAsync(chunked));
            Assert.Equal(413, status2);
        }
        catch (HttpRequestException ex) when (ex.InnerException is IOException)
        {
        }
        Assert.Equal(0, log.Count);
        Assert.Equal("ok", (await s.GetJsonAsync("/healthz")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Events_need_a_key_and_the_events_key_cannot_reload()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        const string ev = """{"user":5,"item":"1","behavior":"cart"}""";
        Assert.Equal(401, (int)(await s.PostEventsAsync(ev, key: null)).StatusCode);
        Assert.Equal(403, (int)(await s.PostEventsAsync(ev, key: "not-the-key-at-all-no")).StatusCode);
        Assert.Equal(200, (int)(await s.PostEventsAsync(ev, key: TestServer.EventsKey)).StatusCode);
        using var reload = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        reload.Headers.Add("X-Api-Key", TestServer.EventsKey);
        Assert.Equal(403, (int)(await s.Client.SendAsync(reload)).StatusCode);
        Assert.Equal(401, (int)(await s.Client.GetAsync("/admin/events/count")).StatusCode);
        Assert.Equal(1, log.Count);
    }
}
