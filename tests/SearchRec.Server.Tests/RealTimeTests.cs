using System.Text.Json;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class RealTimeTests
{
    private static List<string> Categories(JsonElement response) =>
        response.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("category").GetString()!).ToList();

    [Fact]
    public async Task After_an_event_the_same_users_next_search_reflects_it_and_other_users_do_not_see_it()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        // 新款 matches all four categories; unpersonalised, 女装 (ids 1..10) ranks first.
        var before = Categories(await s.GetJsonAsync("/search?q=新款&k=5&user=7"));
        Assert.All(before, c => Assert.Equal("女装", c));

        // User 7 buys a snack (item 21 is in 零食).
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":7,"item":"21","behavior":"buy"}""")).StatusCode);

        var after = Categories(await s.GetJsonAsync("/search?q=新款&k=5&user=7"));
        Assert.All(after, c => Assert.Equal("零食", c));
        var other = Categories(await s.GetJsonAsync("/search?q=新款&k=5&user=8"));
        Assert.All(other, c => Assert.Equal("女装", c));
        var anonymous = Categories(await s.GetJsonAsync("/search?q=新款&k=5"));
        Assert.All(anonymous, c => Assert.Equal("女装", c));
    }

    [Fact]
    public async Task After_events_the_similar_list_is_recomputed_not_served_stale_from_the_cache()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var before = await s.GetJsonAsync("/items/1/similar?k=3&user=9");
        Assert.All(before.GetProperty("results").EnumerateArray(), r => Assert.Equal("content", r.GetProperty("source").GetString()));
        // The anonymous list is cached too; it must not survive the event either.
        await s.GetJsonAsync("/items/1/similar?k=3");

        // User 9 views item 1 then item 35 (another category): a co-view pair.
        Assert.Equal(200, (int)(await s.PostEventsAsync("""[{"user":9,"item":"1","behavior":"pv"},{"user":9,"item":"35","behavior":"pv"}]""")).StatusCode);

        var after = await s.GetJsonAsync("/items/1/similar?k=3&user=9");
        var top = after.GetProperty("results")[0];
        Assert.Equal("35", top.GetProperty("id").GetString());
        Assert.Equal("co-view", top.GetProperty("source").GetString());
        Assert.Equal("35", (await s.GetJsonAsync("/items/1/similar?k=3")).GetProperty("results")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Recommendations_follow_the_users_latest_events()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        Assert.Equal(200, (int)(await s.PostEventsAsync("""{"user":4,"item":"33","behavior":"buy"}""")).StatusCode);
        var r = await s.GetJsonAsync("/users/4/recommendations?k=3");
        Assert.All(r.GetProperty("results").EnumerateArray(), x => Assert.Equal("运动鞋", x.GetProperty("category").GetString()));
    }
}
