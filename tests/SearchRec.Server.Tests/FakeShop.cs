using System.Collections.Concurrent;
using System.Globalization;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Server;

namespace SearchRec.Server.Tests;

/// <summary>
/// A small in-memory shop behind the server's backend interfaces, so host behaviour (validation, caching, events,
/// reloads) is tested apart from the real stages. Personalisation is simple but real: a user's bought and viewed
/// categories lift matching results; similar items follow co-occurrence counts that events update.
/// </summary>
internal sealed class FakeShop : ICatalog, ISearchBackend, ISimilarBackend, IRecommendationBackend, IEventObserver, IDisposable
{
    private static readonly string[] Categories = ["女装", "手机", "零食", "运动鞋"];
    private static readonly string[] Words = ["连衣裙", "手机壳", "牛肉干", "跑步鞋"];
    private readonly Dictionary<string, Product> _products = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<string, int>> _userCategories = new();
    private readonly ConcurrentDictionary<(string, string), int> _coCounts = new();
    private readonly ConcurrentDictionary<long, string> _lastItem = new();
    private int _recalls, _ranks, _disposed;

    public FakeShop(int perCategory = 10)
    {
        int id = 1;
        for (int c = 0; c < Categories.Length; c++)
        {
            for (int i = 0; i < perCategory; i++, id++)
            {
                // Every category shares the word 新款 so one query recalls all categories.
                var title = $"新款 {Words[c]} {i}号";
                _products[id.ToString(CultureInfo.InvariantCulture)] = new Product(id.ToString(CultureInfo.InvariantCulture), title,
                    "品牌" + (i % 3), [Categories[c]], new Dictionary<string, IReadOnlyList<string>>(), 10 + i);
            }
        }
    }

    public int Recalls => Volatile.Read(ref _recalls);
    public int Ranks => Volatile.Read(ref _ranks);
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;
    public int Count => _products.Count;
    public IEnumerable<Product> Products => _products.Values;
    public long EventsObserved;

    public Product? Get(string productId) => _products.GetValueOrDefault(productId);

    public long CategoryIdOf(Product product) => Array.IndexOf(Categories, product.Category[0]) + 100;

    // As the real catalog: the models know a category for every item with behaviour, here every product.
    public long? FormerCategoryOf(long itemId) => Get(itemId.ToString(CultureInfo.InvariantCulture)) is { } p ? CategoryIdOf(p) : null;

    public IReadOnlyList<RecallCandidate> Recall(SearchQuery query)
    {
        Interlocked.Increment(ref _recalls);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var terms = query.Text.Split(' ');
        var list = new List<RecallCandidate>();
        foreach (var p in _products.Values.OrderBy(p => int.Parse(p.Id, CultureInfo.InvariantCulture)))
        {
            if (query.Brand is not null && p.Brand != query.Brand) continue;
            if (query.Category is not null && !p.Category.Contains(query.Category)) continue;
            if (query.PriceMin is { } min && p.Price < min) continue;
            if (query.PriceMax is { } max && p.Price > max) continue;
            float score = 0;
            foreach (var t in terms) if (p.Title.Contains(t, StringComparison.Ordinal)) score += 1 + 0.01f * t.Length;
            if (score > 0) list.Add(new RecallCandidate(list.Count, p.Id, score - 0.001f * list.Count, new FieldScores(score, 0, 0, 0, 0)));
        }
        return list;
    }

    public RankResult Rank(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain)
    {
        Interlocked.Increment(ref _ranks);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var affinity = userId is { } u && _userCategories.TryGetValue(u, out var cats) ? cats : null;
        var hits = new List<RankedHit>();
        foreach (var c in candidates)
        {
            double personal = 0;
            if (affinity is not null && affinity.TryGetValue(_products[c.ProductId].Category[0], out int n)) personal = n;
            double score = c.Score + personal;
            hits.Add(new RankedHit(c.ProductId, score, explain
                ? [new FeatureContribution("bm25", c.Score, c.Score), new FeatureContribution("category-affinity", personal, personal)]
                : null));
        }
        hits.Sort((a, b) => b.Score.CompareTo(a.Score));
        if (hits.Count > k) hits.RemoveRange(k, hits.Count - k);
        return new RankResult(hits, [new("features", 0.01), new("model", 0.01)]);
    }

    public IReadOnlyList<ScoredItem> Similar(string productId, long? userId, int k)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var source = _products[productId];
        var list = new List<ScoredItem>();
        foreach (var p in _products.Values)
        {
            if (p.Id == productId) continue;
            if (_coCounts.TryGetValue((productId, p.Id), out int co)) list.Add(new ScoredItem(p.Id, 10 + co, "co-view"));
            else if (p.Category[0] == source.Category[0]) list.Add(new ScoredItem(p.Id, 1.0 / int.Parse(p.Id, CultureInfo.InvariantCulture), "content"));
        }
        list.Sort((a, b) => b.Score.CompareTo(a.Score));
        var answer = list.Take(k).ToList();
        // A test may hold a computed answer back, as a slow similar-items call would be, while events land.
        if (Interlocked.Exchange(ref HoldNextSimilar, null) is { } hold)
        {
            hold.Computed.Set();
            hold.Release.Wait(TimeSpan.FromSeconds(30));
        }
        return answer;
    }

    /// <summary>Set by a test: the next <see cref="Similar"/> computes its answer, signals, and waits before returning it.</summary>
    public Hold? HoldNextSimilar;

    /// <summary>The two signals of <see cref="HoldNextSimilar"/>.</summary>
    public sealed class Hold
    {
        public ManualResetEventSlim Computed { get; } = new();
        public ManualResetEventSlim Release { get; } = new();
    }

    public IReadOnlyList<ScoredItem> Recommend(long userId, int k)
    {
        if (!_userCategories.TryGetValue(userId, out var cats) || cats.IsEmpty)
            return _products.Values.Take(k).Select(p => new ScoredItem(p.Id, 1, "popular")).ToList();
        var best = cats.OrderByDescending(kv => kv.Value).First().Key;
        return _products.Values.Where(p => p.Category[0] == best).Take(k).Select(p => new ScoredItem(p.Id, 2, "category-affinity")).ToList();
    }

    public void Observe(UserEvent e)
    {
        Interlocked.Increment(ref EventsObserved);
        var id = e.ItemId.ToString(CultureInfo.InvariantCulture);
        var cat = _products[id].Category[0];
        _userCategories.GetOrAdd(e.UserId, _ => new()).AddOrUpdate(cat, 1 + (int)e.Behavior * 5, (_, n) => n + 1 + (int)e.Behavior * 5);
        if (_lastItem.TryGetValue(e.UserId, out var prev) && prev != id)
        {
            _coCounts.AddOrUpdate((prev, id), 1, (_, n) => n + 1);
            _coCounts.AddOrUpdate((id, prev), 1, (_, n) => n + 1);
        }
        _lastItem[e.UserId] = id;
    }

    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);
}

/// <summary>An in-memory event log that counts appends.</summary>
internal sealed class MemoryEventLog : IEventLog
{
    private readonly List<UserEvent> _events = [];
    private readonly Lock _sync = new();

    public EventAppendResult Append(IReadOnlyList<UserEvent> events)
    {
        lock (_sync)
        {
            _events.AddRange(events);
            return new EventAppendResult(events.Count, _events.Count);
        }
    }

    public long Count { get { lock (_sync) return _events.Count; } }

    public List<UserEvent> Snapshot() { lock (_sync) return [.. _events]; }
}

/// <summary>Builds a fresh <see cref="FakeShop"/> generation per load, replaying the log like a real retrain.</summary>
internal sealed class FakeLoader(MemoryEventLog log, TimeSpan? delay = null) : IGenerationLoader
{
    private int _loads;
    public List<FakeShop> Shops { get; } = [];
    public int Loads => Volatile.Read(ref _loads);
    public FakeShop Latest { get { lock (Shops) return Shops[^1]; } }

    public async Task<ServiceGeneration> LoadAsync(ReloadRequest request, IProgress<string>? progress, CancellationToken ct)
    {
        int n = Interlocked.Increment(ref _loads);
        var shop = new FakeShop();
        var seen = log.Snapshot();
        foreach (var e in seen) shop.Observe(e);
        if (delay is { } d) await Task.Delay(d, ct);
        lock (Shops) Shops.Add(shop);
        var samples = new ShopSamples(["新款", "连衣裙", "手机壳"], shop.Products.Select(p => p.Id).ToList(), [1, 2, 3]);
        // Real completions of the fake catalog, so the page's search bar has something to offer.
        QuerySuggester suggester;
        using (var index = ProductIndex.Build(shop.Products, new IndexOptions())) suggester = QuerySuggester.Build(shop.Products, index, samples.Queries);
        return new ServiceGeneration($"fake{n}", shop, shop, shop, shop, shop, seen.Count, samples, [shop]) { Suggester = suggester };
    }
}
