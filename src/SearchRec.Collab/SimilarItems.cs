using System.Buffers;
using System.Globalization;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Index;

namespace SearchRec.Collab;

/// <summary>Which source(s) proposed a similar item.</summary>
[Flags]
public enum SimilarSource
{
    /// <summary>No source.</summary>
    None = 0,
    /// <summary>Behavioural neighbours (item-to-item co-occurrence): <c>behaviour</c>.</summary>
    Behaviour = 1,
    /// <summary>Content neighbours (Lucene MoreLikeThis over title, brand, category): <c>content</c>.</summary>
    Content = 2,
    /// <summary>Popular items of the same category: <c>category</c>.</summary>
    Category = 4,
}

/// <summary>A similar item, its fused score and the sources that proposed it.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">Fused score; higher is better.</param>
/// <param name="Sources">Which sources proposed it.</param>
public sealed record SimilarItem(long ItemId, float Score, SimilarSource Sources)
{
    /// <summary>The sources as words, comma-separated (<c>behaviour</c>, <c>content</c>, <c>category</c>).</summary>
    public string SourceNames => (uint)Sources < (uint)Names.Length ? Names[(int)Sources] : Join(Sources);

    // The eight combinations' names, made once: the service names the sources of every item it returns.
    private static readonly string[] Names = [.. Enumerable.Range(0, 8).Select(f => Join((SimilarSource)f))];

    private static string Join(SimilarSource sources) => string.Join(",", new[]
    {
        (sources & SimilarSource.Behaviour) != 0 ? "behaviour" : null,
        (sources & SimilarSource.Content) != 0 ? "content" : null,
        (sources & SimilarSource.Category) != 0 ? "category" : null,
    }.Where(s => s is not null));
}

/// <summary>Weights of <see cref="SimilarItems"/>.</summary>
public sealed class SimilarItemsOptions
{
    /// <summary>Weight of behavioural neighbours. Default 1.</summary>
    public float BehaviourWeight { get; set; } = 1f;
    /// <summary>Weight of content neighbours. Default 0.7.</summary>
    public float ContentWeight { get; set; } = 0.7f;
    /// <summary>Weight of same-category popularity. Default 0.3.</summary>
    public float CategoryWeight { get; set; } = 0.3f;
    /// <summary>How much a given user's tastes (category affinity, item-item from their history) can raise a score; 0 ignores the user. Default 0.5.</summary>
    public float UserLean { get; set; } = 0.5f;
    /// <summary>History events read for the user. Default 200.</summary>
    public int MaxHistory { get; set; } = 200;
    /// <summary>
    /// Candidates taken from each source before fusing, at least (three times k when that is more). A list of up
    /// to a third of this many is then the start of any longer one: with the depth following k, an item deep in
    /// one source joined the pool only for larger k and changed the order of the first results. Default 60.
    /// </summary>
    public int SourceDepth { get; set; } = 60;
    /// <summary>
    /// Items whose content neighbours (MoreLikeThis, which does not depend on the user) are kept in a bounded
    /// cache; 0 disables it. The cache assumes the content source does not change while this service lives.
    /// Default 8192.
    /// </summary>
    public int ContentCacheSize { get; set; } = 8192;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public SimilarItemsOptions Validate()
    {
        if (!(BehaviourWeight >= 0)) throw new ArgumentException($"SimilarItemsOptions.BehaviourWeight must be >= 0 (was {BehaviourWeight}).", nameof(BehaviourWeight));
        if (!(ContentWeight >= 0)) throw new ArgumentException($"SimilarItemsOptions.ContentWeight must be >= 0 (was {ContentWeight}).", nameof(ContentWeight));
        if (!(CategoryWeight >= 0)) throw new ArgumentException($"SimilarItemsOptions.CategoryWeight must be >= 0 (was {CategoryWeight}).", nameof(CategoryWeight));
        if (!(UserLean >= 0)) throw new ArgumentException($"SimilarItemsOptions.UserLean must be >= 0 (was {UserLean}).", nameof(UserLean));
        if (SourceDepth is < 1 or > 10_000) throw new ArgumentException($"SimilarItemsOptions.SourceDepth must be between 1 and 10000 (was {SourceDepth}).", nameof(SourceDepth));
        if (MaxHistory <= 0) throw new ArgumentException($"SimilarItemsOptions.MaxHistory must be positive (was {MaxHistory}).", nameof(MaxHistory));
        if (ContentCacheSize < 0 || ContentCacheSize > 1 << 24) throw new ArgumentException($"SimilarItemsOptions.ContentCacheSize must be between 0 and 16777216 (was {ContentCacheSize}).", nameof(ContentCacheSize));
        return this;
    }
}

/// <summary>
/// "Similar items": fuses behavioural neighbours, content neighbours (<see cref="IProductRecall.MoreLikeThis"/>)
/// and popular items of the same category; each part is scaled by its best score, weighted and summed, so an
/// item proposed by several sources ranks higher. With a user, scores lean towards the user's categories and
/// the items their history points to. An item with no events still gets content and category neighbours.
/// Thread-safe.
/// </summary>
public sealed class SimilarItems
{
    private readonly CollabModels _models;
    private readonly IProductRecall? _content;
    private readonly IEventStore? _events;
    private readonly SimilarItemsOptions _options;
    private readonly ContentEntry?[] _contentCache; // direct-mapped by item id: bounded, lock-free, a collision evicts

    /// <summary>One item's content neighbours, immutable once published.</summary>
    private sealed class ContentEntry(long item, int fetched, ScoredItem[] list)
    {
        public readonly long Item = item;
        public readonly int Fetched = fetched; // how many were asked for: a shorter request takes a prefix
        public readonly ScoredItem[] List = list;
    }

    /// <summary>Creates the service.</summary>
    /// <param name="models">Trained collaborative models.</param>
    /// <param name="content">Content neighbours; null where the catalog has no text (e.g. Taobao ids only).</param>
    /// <param name="events">Where user histories are read from; null disables the user lean by id.</param>
    /// <param name="options">Weights; validated here.</param>
    public SimilarItems(CollabModels models, IProductRecall? content = null, IEventStore? events = null, SimilarItemsOptions? options = null)
    {
        _models = Guard.NotNull(models);
        _content = content;
        _events = events;
        _options = (options ?? new SimilarItemsOptions()).Validate();
        int size = 1;
        while (size < _options.ContentCacheSize) size *= 2;
        _contentCache = _options.ContentCacheSize == 0 ? [] : new ContentEntry?[size];
    }

    /// <summary>Content neighbours of an item, from the cache when it holds at least <paramref name="fetch"/> of them.</summary>
    private IReadOnlyList<ScoredItem> Content(IProductRecall content, long itemId, int fetch)
    {
        int slot = _contentCache.Length == 0 ? -1 : (int)(((ulong)itemId * 0x9E3779B97F4A7C15UL) >> 40) & (_contentCache.Length - 1);
        if (slot >= 0 && Volatile.Read(ref _contentCache[slot]) is { } hit && hit.Item == itemId && hit.Fetched >= fetch)
            return hit.List.Length <= fetch ? hit.List : new ArraySegment<ScoredItem>(hit.List, 0, fetch);
        var mlt = content.MoreLikeThis(itemId.ToString(CultureInfo.InvariantCulture), fetch);
        var arr = new ScoredItem[mlt.Count];
        int kept = 0;
        for (int j = 0; j < mlt.Count; j++)
            if (long.TryParse(mlt[j].ProductId, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) arr[kept++] = new ScoredItem(n, mlt[j].Score);
        if (kept < arr.Length) Array.Resize(ref arr, kept);
        if (slot >= 0) Volatile.Write(ref _contentCache[slot], new ContentEntry(itemId, fetch, arr));
        return arr;
    }

    /// <summary>Items similar to <paramref name="itemId"/>, best first, leaning to <paramref name="userId"/>'s tastes when given.</summary>
    public IReadOnlyList<SimilarItem> Find(long itemId, long? userId, int k)
    {
        UserHistory? history = null;
        if (userId is long u && _events is not null)
            history = new UserHistory(u, _events.GetHistory(u, _options.MaxHistory)); // decay from their latest event: tastes, not absence
        return Find(itemId, history, k);
    }

    /// <summary>Items similar to <paramref name="itemId"/>, best first, leaning to the history's tastes when given.</summary>
    public IReadOnlyList<SimilarItem> Find(long itemId, UserHistory? history, int k)
    {
        Guard.Positive(k);
        // The thread's emptied pool when it has one (taken: a nested call would make its own). Its order of items
        // does not matter: they are sorted by score, then id, below.
        var pool = t_pool ?? new Dictionary<long, (float Score, SimilarSource Src)>();
        t_pool = null;
        try
        {
            return Find(itemId, history, k, pool);
        }
        finally
        {
            pool.Clear();
            if (k <= 1_000) t_pool = pool; // a pool of a few hundred items is kept for the next call
        }
    }

    [ThreadStatic] private static Dictionary<long, (float Score, SimilarSource Src)>? t_pool;

    private IReadOnlyList<SimilarItem> Find(long itemId, UserHistory? history, int k, Dictionary<long, (float Score, SimilarSource Src)> pool)
    {
        int fetch = Math.Max(_options.SourceDepth, k * 3);

        var behaviour = _models.Neighbours(itemId, fetch);
        Add(pool, itemId, behaviour, _options.BehaviourWeight, SimilarSource.Behaviour);

        if (_content is not null)
        {
            Add(pool, itemId, Content(_content, itemId, fetch), _options.ContentWeight, SimilarSource.Content);
        }

        if (_models.CategoryOf(itemId) is long cat)
            Add(pool, itemId, _models.TopKInCategory(cat, fetch), _options.CategoryWeight, SimilarSource.Category);

        int n = pool.Count;
        var ids = ArrayPool<long>.Shared.Rent(Math.Max(1, n));
        var entries = ArrayPool<Entry>.Shared.Rent(Math.Max(1, n));
        try
        {
            pool.Keys.CopyTo(ids, 0);
            if (history is not null && history.Count > 0 && _options.UserLean > 0 && n > 0)
            {
                var aff = ArrayPool<float>.Shared.Rent(n);
                var ii = ArrayPool<float>.Shared.Rent(n);
                try
                {
                    _models.Category.Score(history, ids.AsSpan(0, n), aff.AsSpan(0, n));
                    _models.ItemItem.Score(history, ids.AsSpan(0, n), ii.AsSpan(0, n));
                    float affMax = Max(aff.AsSpan(0, n)), iiMax = Max(ii.AsSpan(0, n));
                    for (int j = 0; j < n; j++)
                    {
                        float lean = 0f;
                        if (affMax > 0 && !float.IsNaN(aff[j])) lean += 0.5f * aff[j] / affMax;
                        if (iiMax > 0 && !float.IsNaN(ii[j])) lean += 0.5f * ii[j] / iiMax;
                        var (s, src) = pool[ids[j]];
                        pool[ids[j]] = (s * (1f + _options.UserLean * lean), src);
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(aff);
                    ArrayPool<float>.Shared.Return(ii);
                }
            }

            // Best score first, ties to the smaller id: a total order, so the sort's algorithm cannot change the list.
            int at = 0;
            foreach (var (key, v) in pool) entries[at++] = new Entry(key, v.Score, v.Src);
            var span = entries.AsSpan(0, n);
            span.Sort(static (a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Key.CompareTo(b.Key));
            var result = new SimilarItem[Math.Min(k, n)];
            for (int j = 0; j < result.Length; j++) result[j] = new SimilarItem(span[j].Key, span[j].Score, span[j].Src);
            return result;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<Entry>.Shared.Return(entries);
        }
    }

    private readonly record struct Entry(long Key, float Score, SimilarSource Src);

    private static float Max(ReadOnlySpan<float> a)
    {
        float m = 0f;
        foreach (var v in a) if (!float.IsNaN(v) && v > m) m = v;
        return m;
    }

    private static void Add(Dictionary<long, (float, SimilarSource)> pool, long self, IReadOnlyList<ScoredItem> items, float weight, SimilarSource src)
    {
        float max = 0f;
        foreach (var s in items) max = Math.Max(max, s.Score);
        if (max <= 0f) return;
        foreach (var s in items)
        {
            if (s.ItemId == self) continue;
            var (old, oldSrc) = pool.GetValueOrDefault(s.ItemId);
            pool[s.ItemId] = (old + weight * s.Score / max, oldSrc | src);
        }
    }
}
