using Microsoft.Extensions.Logging.Abstractions;
using SearchRec.Index;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>What the start-up warm-up of the service's cache leaves behind.</summary>
public sealed class ServiceCacheWarmUpTests
{
    [Fact]
    public async Task The_cache_warm_up_leaves_no_entry_behind()
    {
        var options = new ServerOptions();
        using var cache = SearchRecServer.CreateCache(options, NullLoggerFactory.Instance);
        using var metrics = new ServerMetrics();

        await new ServiceCache(cache, metrics, options).WarmUpAsync(3, CancellationToken.None);

        for (var i = 0; i < 3; i++)
        {
            Assert.False((await cache.TryGetAsync<RecallCandidate[]>($"warm-up:{i}:r")).HasValue);
            Assert.False((await cache.TryGetAsync<ItemView?>($"warm-up:{i}:i")).HasValue);
            Assert.False((await cache.TryGetAsync<ScoredItem[]>($"warm-up:{i}:s")).HasValue);
        }
    }
}
