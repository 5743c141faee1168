using System.Diagnostics;
using System.Globalization;
using SearchRec.Core;
using SearchRec.Index;
using ZiggyCreatures.Caching.Fusion;

namespace SearchRec.Server.Internals;

/// <summary>A product's fields as the API shows them (the cached "item features").</summary>
internal sealed record ItemView(string Id, string Title, string? Brand, double? Price, string Category, long CategoryId);

/// <summary>
/// The service's caches over FusionCache: recall per normalised query and filters, item records, similar-items lists.
/// Keys start with the generation id, so a reload never serves an old generation's answers. Nothing here is
/// personal except similar-items lists asked for with a user, which are keyed and tagged by that user.
/// </summary>
internal sealed class ServiceCache(IFusionCache cache, ServerMetrics metrics, ServerOptions options)
{
    private readonly FusionCacheEntryOptions _entry = new FusionCacheEntryOptions(options.CacheDuration)
        .SetFailSafe(true, options.CacheFailSafeMaxDuration)
        .SetFactoryTimeouts(TimeSpan.FromSeconds(2))
        .SetSize(1);

    public IFusionCache Inner => cache;

    // Entry sizes are in units of about 1 KB, so the memory level's limit bounds memory (SearchRecServer.NewMemoryCache):
    // a recall candidate takes about 100 bytes in memory (measured: 20 KB per recall of 200), a similar item about 40.
    internal const int RecallCandidatesPerUnit = 10;
    internal const int SimilarItemsPerUnit = 25;

    public async ValueTask<IReadOnlyList<RecallCandidate>> RecallAsync(ServiceGeneration gen, SearchQuery q, CancellationToken ct)
    {
        string key = string.Create(CultureInfo.InvariantCulture,
            $"{gen.Id}:r:{q.Text}\u0001{q.Category}\u0001{q.Brand}\u0001{q.PriceMin}\u0001{q.PriceMax}");
        bool miss = false;
        var result = await cache.GetOrSetAsync<RecallCandidate[]>(key, (ctx, _) =>
        {
            miss = true;
            long t0 = Stopwatch.GetTimestamp();
            var list = gen.Search.Recall(q);
            metrics.Stage("recall", Stopwatch.GetElapsedTime(t0).TotalSeconds);
            ctx.Options.Size = 1 + list.Count / RecallCandidatesPerUnit;
            return Task.FromResult(list as RecallCandidate[] ?? [.. list]);
        }, default, _entry, null, ct).ConfigureAwait(false);
        metrics.CacheLookup("recall", !miss);
        return result;
    }

    /// <summary>How long the absence of an unknown item id is remembered.</summary>
    internal static readonly TimeSpan UnknownItemDuration = TimeSpan.FromSeconds(2);

    /// <summary>Longest item id whose record (or absence) is cached; longer ones are looked up each time.</summary>
    internal const int MaxCachedIdLength = 128;

    public async ValueTask<ItemView?> ItemAsync(ServiceGeneration gen, string id, CancellationToken ct)
    {
        // A URL can carry a megabyte of id, and every unknown one was kept, key and all, for the fail-safe hour:
        // 300 requests of /items/<1 MB> held 2 GB. No real id is that long; such a one skips the cache.
        if (id.Length > MaxCachedIdLength) return gen.Catalog.Get(id) is { } product ? ToView(gen.Catalog, product) : null;
        bool miss = false;
        var view = await cache.GetOrSetAsync<ItemView?>($"{gen.Id}:i:{id}", (ctx, _) =>
        {
            miss = true;
            var p = gen.Catalog.Get(id);
            if (p is null)
            {
                // Anyone can ask for made-up ids: a miss is remembered briefly and never kept as a fail-safe
                // fallback, so a flood of them neither holds memory for the hour nor pushes real answers out.
                ctx.Options.Duration = UnknownItemDuration;
                ctx.Options.IsFailSafeEnabled = false;
                return Task.FromResult<ItemView?>(null);
            }
            return Task.FromResult<ItemView?>(ToView(gen.Catalog, p));
        }, default, _entry, ItemTags(id), ct).ConfigureAwait(false);
        metrics.CacheLookup("item", !miss);
        return view;
    }

    public async ValueTask<IReadOnlyList<ScoredItem>> SimilarAsync(ServiceGeneration gen, string id, long? user, int k, CancellationToken ct)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{gen.Id}:s:{id}:{user?.ToString(CultureInfo.InvariantCulture) ?? "-"}:{k}");
        string[] tags = user is { } u ? [ItemTag(id), UserTag(u)] : [ItemTag(id)];
        bool miss = false;
        var result = await cache.GetOrSetAsync<ScoredItem[]>(key, (ctx, _) =>
        {
            miss = true;
            long t0 = Stopwatch.GetTimestamp();
            var list = gen.Similar.Similar(id, user, k);
            metrics.Stage("similar", Stopwatch.GetElapsedTime(t0).TotalSeconds);
            ctx.Options.Size = 1 + list.Count / SimilarItemsPerUnit;
            return Task.FromResult(list as ScoredItem[] ?? [.. list]);
        }, default, _entry, tags, ct).ConfigureAwait(false);
        metrics.CacheLookup("similar", !miss);
        return result;
    }

    /// <summary>
    /// Runs the look-up paths (miss, hit, tagged entries, removal by tag) on throwaway keys before the service
    /// listens. The generation's own warm-up calls the stages directly, so before this the first searches paid for
    /// FusionCache's first calls: 15 and 9 ms of a 21 and 11 ms answer on the ecom-search index, whose recall took
    /// under 0.5 ms. Nothing is counted in the metrics.
    /// </summary>
    public async ValueTask WarmUpAsync(int rounds, CancellationToken ct)
    {
        string[] tags = ["warm-up"];
        // Memory only: a Redis level that is down would make every warm-up call wait for its timeout.
        var local = _entry.Duplicate().SetSkipDistributedCache(true, true).SetSkipBackplaneNotifications(true);
        for (int i = 0; i < rounds; i++)
        {
            string key = string.Create(CultureInfo.InvariantCulture, $"warm-up:{i}:");
            for (int pass = 0; pass < 2; pass++) // a miss, then a hit
            {
                await cache.GetOrSetAsync<RecallCandidate[]>(key + "r", (_, _) => Task.FromResult(Array.Empty<RecallCandidate>()), default, local, null, ct).ConfigureAwait(false);
                await cache.GetOrSetAsync<ItemView?>(key + "i", (_, _) => Task.FromResult<ItemView?>(null), default, local, tags, ct).ConfigureAwait(false);
                await cache.GetOrSetAsync<ScoredItem[]>(key + "s", (_, _) => Task.FromResult(Array.Empty<ScoredItem>()), default, local, tags, ct).ConfigureAwait(false);
            }
            await cache.RemoveAsync(key + "r", local, ct).ConfigureAwait(false);
        }
        await cache.RemoveByTagAsync(tags, local, ct).ConfigureAwait(false);
    }

    /// <summary>Drops what the events make stale: that user's personal entries and the items' similar lists and records.</summary>
    public async ValueTask InvalidateAsync(IReadOnlyList<SearchRec.Core.Events.UserEvent> events, CancellationToken ct)
    {
        var tags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            tags.Add(UserTag(e.UserId));
            tags.Add(ItemTag(e.ItemId.ToString(CultureInfo.InvariantCulture)));
        }
        await cache.RemoveByTagAsync(tags, null, ct).ConfigureAwait(false);
    }

    internal static ItemView ToView(ICatalog catalog, Product p) =>
        new(p.Id, p.Title, p.Brand, p.Price, p.CategoryPath, catalog.CategoryIdOf(p));

    private static string[] ItemTags(string id) => [ItemTag(id)];
    private static string ItemTag(string id) => "item:" + id;
    private static string UserTag(long user) => "user:" + user.ToString(CultureInfo.InvariantCulture);
}
