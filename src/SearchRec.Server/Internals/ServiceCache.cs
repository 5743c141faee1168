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
    /// <summary>The size of an entry whose value is not measured: FusionCache's own small entries.</summary>
    internal const long SmallEntryBytes = 256;

    // What an entry costs beside its value: its key, FusionCache's and MemoryCache's records of it.
    private const long EntryOverheadBytes = 400;

    // Sizes before the value is known (an answer read from Redis keeps them): a window of 200 candidates, a record, a list of 10.
    private readonly FusionCacheEntryOptions _entry = Entry(options, SmallEntryBytes);
    private readonly FusionCacheEntryOptions _recallEntry = Entry(options, EntryOverheadBytes + 200 * 130);
    private readonly FusionCacheEntryOptions _itemEntry = Entry(options, EntryOverheadBytes + 600);
    // Reads that take a fresh answer from the memory level or nothing (the hit paths of ItemAsync, RecallAsync, SimilarAsync).
    private readonly FusionCacheEntryOptions _freshInMemory = new FusionCacheEntryOptions(options.CacheDuration)
        .SetFailSafe(false).SetSkipDistributedCache(true, true);
    private readonly FusionCacheEntryOptions _similarEntry = Entry(options, EntryOverheadBytes + 10 * 110);

    private static FusionCacheEntryOptions Entry(ServerOptions options, long bytes) => new FusionCacheEntryOptions(options.CacheDuration)
        .SetFailSafe(true, options.CacheFailSafeMaxDuration)
        .SetFactoryTimeouts(TimeSpan.FromSeconds(2))
        .SetSize(bytes);

    // Estimated bytes of an entry, for the memory level's bound: object headers, references and UTF-16 strings.
    internal static long Bytes(string key, RecallCandidate[] list)
    {
        long bytes = EntryOverheadBytes + 2L * key.Length + 24 + 8L * list.Length;
        foreach (var c in list) bytes += 56 + 22 + 2L * c.ProductId.Length;
        return bytes;
    }

    internal static long Bytes(string key, ItemView? view) =>
        EntryOverheadBytes + 2L * key.Length + (view is null ? 0
            : 80 + 2L * (view.Id.Length + view.Title.Length + (view.Brand?.Length ?? 0) + view.Category.Length) + 4 * 22);

    internal static long Bytes(string key, ScoredItem[] list)
    {
        long bytes = EntryOverheadBytes + 2L * key.Length + 24 + 8L * list.Length;
        foreach (var s in list) bytes += 48 + 22 + 2L * s.ProductId.Length;
        return bytes;
    }

    public IFusionCache Inner => cache;

    public async ValueTask<IReadOnlyList<RecallCandidate>> RecallAsync(ServiceGeneration gen, SearchQuery q, CancellationToken ct)
    {
        string key = string.Create(CultureInfo.InvariantCulture,
            $"{gen.Id}:r:{q.Text}\u0001{q.Category}\u0001{q.Brand}\u0001{q.PriceMin}\u0001{q.PriceMax}");
        // A hit as in ItemAsync: a plain read of a fresh answer in memory, GetOrSet for anything else.
        var found = await cache.TryGetAsync<RecallCandidate[]>(key, _freshInMemory, ct).ConfigureAwait(false);
        if (found.HasValue)
        {
            metrics.CacheLookup("recall", true);
            return found.Value;
        }
        return await RecallOrSetAsync(gen, q, key, ct).ConfigureAwait(false);
    }

    private async ValueTask<IReadOnlyList<RecallCandidate>> RecallOrSetAsync(ServiceGeneration gen, SearchQuery q, string key, CancellationToken ct)
    {
        bool miss = false;
        var result = await cache.GetOrSetAsync<RecallCandidate[]>(key, (ctx, _) =>
        {
            miss = true;
            long t0 = Stopwatch.GetTimestamp();
            var list = gen.Search.Recall(q);
            metrics.Stage("recall", Stopwatch.GetElapsedTime(t0).TotalSeconds);
            var array = list as RecallCandidate[] ?? [.. list];
            ctx.Options.Size = Bytes(key, array);
            return Task.FromResult(array);
        }, default, _recallEntry, null, ct).ConfigureAwait(false);
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
        string key = $"{gen.Id}:i:{id}";
        // A page looks up each of its items, nearly always a hit: a plain read first skips the factory's closure and
        // delegate and FusionCache's own state for a GetOrSet (about 200 bytes a look-up). It reads the memory level
        // alone and takes no stale value (fail-safe off): anything else is GetOrSet's, as before.
        var found = await cache.TryGetAsync<ItemView?>(key, _freshInMemory, ct).ConfigureAwait(false);
        if (found.HasValue)
        {
            metrics.CacheLookup("item", true);
            return found.Value;
        }
        return await ItemOrSetAsync(gen, id, key, ct).ConfigureAwait(false);
    }

    // Apart from ItemAsync so that its hit path does not allocate this one's closure.
    private async ValueTask<ItemView?> ItemOrSetAsync(ServiceGeneration gen, string id, string key, CancellationToken ct)
    {
        bool miss = false;
        var view = await cache.GetOrSetAsync<ItemView?>(key, (ctx, _) =>
        {
            miss = true;
            var p = gen.Catalog.Get(id);
            if (p is null)
            {
                // Anyone can ask for made-up ids: a miss is remembered briefly and never kept as a fail-safe
                // fallback, so a flood of them neither holds memory for the hour nor pushes real answers out.
                ctx.Options.Duration = UnknownItemDuration;
                ctx.Options.IsFailSafeEnabled = false;
                ctx.Options.Size = Bytes(key, (ItemView?)null);
                return Task.FromResult<ItemView?>(null);
            }
            var v = ToView(gen.Catalog, p);
            ctx.Options.Size = Bytes(key, v);
            return Task.FromResult<ItemView?>(v);
        }, default, _itemEntry, ItemTags(id), ct).ConfigureAwait(false);
        metrics.CacheLookup("item", !miss);
        return view;
    }

    public async ValueTask<IReadOnlyList<ScoredItem>> SimilarAsync(ServiceGeneration gen, string id, long? user, int k, CancellationToken ct)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{gen.Id}:s:{id}:{user?.ToString(CultureInfo.InvariantCulture) ?? "-"}:{k}");
        // A hit as in ItemAsync: a plain read of a fresh answer in memory, GetOrSet (and its tags) for anything else.
        var found = await cache.TryGetAsync<ScoredItem[]>(key, _freshInMemory, ct).ConfigureAwait(false);
        if (found.HasValue)
        {
            metrics.CacheLookup("similar", true);
            return found.Value;
        }
        return await SimilarOrSetAsync(gen, id, user, k, key, ct).ConfigureAwait(false);
    }

    private async ValueTask<IReadOnlyList<ScoredItem>> SimilarOrSetAsync(ServiceGeneration gen, string id, long? user, int k, string key, CancellationToken ct)
    {
        string[] tags = user is { } u ? [ItemTag(id), UserTag(u)] : [ItemTag(id)];
        bool miss = false;
        var result = await cache.GetOrSetAsync<ScoredItem[]>(key, (ctx, _) =>
        {
            miss = true;
            long t0 = Stopwatch.GetTimestamp();
            var list = gen.Similar.Similar(id, user, k);
            metrics.Stage("similar", Stopwatch.GetElapsedTime(t0).TotalSeconds);
            var array = list as ScoredItem[] ?? [.. list];
            ctx.Options.Size = Bytes(key, array);
            return Task.FromResult(array);
        }, default, _similarEntry, tags, ct).ConfigureAwait(false);
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
