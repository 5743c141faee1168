using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using SearchRec.Index;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The service's cache is bounded in bytes, not in entries.</summary>
public sealed class CacheMemoryTests(TinyShop shop) : IClassFixture<TinyShop>
{
    [Fact]
    public async Task Many_distinct_searches_keep_the_cached_answers_within_the_memory_given()
    {
        const long limit = 1 << 20;
        var (s, store) = await shop.StartAsync(o => o.CacheMemoryBytes = limit);
        await using var _ = s;
        using var __ = store;
        var memory = s.App.Services.GetRequiredService<MemoryCache>();

        // Product titles as queries: 300 distinct recall lists of up to 200 candidates, several MB if all were kept.
        var words = File.ReadLines(shop.Files.Catalog).Take(300)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()!)
            .Distinct().ToList();
        long answered = 0;
        foreach (var w in words)
            answered += (await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(w)}&k=3")).GetProperty("window").GetInt32();

        var size = memory.GetCurrentStatistics()!.CurrentEstimatedSize!.Value;
        Assert.True(answered * 100 > 2 * limit, $"only {answered} candidates recalled: the test needs more than the limit's worth");
        Assert.InRange(size, limit / 8, limit);
        // Still a cache: the last answer is served from it.
        long hits = memory.GetCurrentStatistics()!.TotalHits;
        await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(words[^1])}&k=3");
        Assert.True(memory.GetCurrentStatistics()!.TotalHits > hits);
    }

    [Fact]
    public void The_size_of_a_cached_recall_list_is_about_the_memory_it_holds()
    {
        // A window of 200 freshly made candidates, as recall returns them.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var list = new RecallCandidate[200];
        for (var i = 0; i < list.Length; i++) list[i] = new RecallCandidate(i, (1_000_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), 1f, default);
        long held = GC.GetAllocatedBytesForCurrentThread() - before;

        long estimate = ServiceCache.Bytes("", list) - 400;
        Assert.InRange(estimate, held * 9 / 10, held * 3 / 2);
    }
}
