using System.Net;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class SimilarCacheTests
{
    [Fact]
    public async Task A_similar_list_computed_before_an_event_but_stored_after_it_is_not_served_again()
    {
        await using var s = await TestServer.StartFakeAsync(out var loader, out _);
        var hold = new FakeShop.Hold();
        loader.Latest.HoldNextSimilar = hold;
        // A slow similar-items call: its answer is computed, then an event lands before it is stored in the cache.
        var slow = s.GetJsonAsync("/items/1/similar?k=3");
        Assert.True(hold.Computed.Wait(TimeSpan.FromSeconds(30)), "the held similar call never ran");
        using (var r = await s.PostEventsAsync("""[{"user":9,"item":"1","behavior":"pv"},{"user":9,"item":"7","behavior":"pv"}]"""))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        hold.Release.Set();
        var before = (await slow).GetProperty("results");
        Assert.Equal("2", before[0].GetProperty("id").GetString());   // by content: what 1's neighbours were

        var after = (await s.GetJsonAsync("/items/1/similar?k=3")).GetProperty("results");
        Assert.Equal("7", after[0].GetProperty("id").GetString());    // viewed together since
        Assert.Equal("co-view", after[0].GetProperty("source").GetString());
        var otherK = (await s.GetJsonAsync("/items/1/similar?k=5")).GetProperty("results");
        Assert.Equal("7", otherK[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_event_changes_a_users_cached_similar_lists_for_every_k()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        foreach (var k in new[] { 3, 5 })
            Assert.Equal("2", (await s.GetJsonAsync($"/items/1/similar?user=9&k={k}")).GetProperty("results")[0].GetProperty("id").GetString());
        using (var r = await s.PostEventsAsync("""[{"user":9,"item":"1","behavior":"pv"},{"user":9,"item":"7","behavior":"pv"}]"""))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        foreach (var k in new[] { 3, 5 })
            Assert.Equal("7", (await s.GetJsonAsync($"/items/1/similar?user=9&k={k}")).GetProperty("results")[0].GetProperty("id").GetString());
    }
}
