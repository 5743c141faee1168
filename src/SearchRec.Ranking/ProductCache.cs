using System.Collections.Concurrent;
using SearchRec.Core;
using SearchRec.Index;

namespace SearchRec.Ranking;

/// <summary>
/// Keeps stored products in memory in front of a recall stage, because loading 200 stored documents from Lucene
/// per request costs more than the rest of the pipeline. Holds at most <c>capacity</c> products (no eviction: the
/// first ones seen, or those preloaded, stay). Thread-safe.
/// </summary>
public sealed class ProductCache : IProductRecall
{
    private readonly IProductRecall _inner;
    private readonly ConcurrentDictionary<string, Product> _products;
    private readonly int _capacity;

    // Products held, kept beside the dictionary: ConcurrentDictionary.Count takes every one of its locks (up to 1,024
    // once it has grown), and it was read per product added, so holding 1M products took 15 s to read in and 15 s
    // more at each reload that kept them, and every look-up that missed paid it too.
    private int _count;

    /// <summary>Wraps <paramref name="inner"/>, caching up to <paramref name="capacity"/> products.</summary>
    public ProductCache(IProductRecall inner, int capacity = 2_000_000)
    {
        _inner = Guard.NotNull(inner);
        _capacity = Guard.Positive(capacity);
        _products = new ConcurrentDictionary<string, Product>(StringComparer.Ordinal);
    }

    /// <summary>Products held.</summary>
    public int Cached => Volatile.Read(ref _count);

    /// <summary>The products held, in no particular order (a live view).</summary>
    public IEnumerable<Product> Held => _products.Values;

    /// <summary>The most products held.</summary>
    public int Capacity => _capacity;

    /// <summary>Loads products up front (e.g. the whole catalog at start-up), up to the capacity.</summary>
    /// <returns>How many products are held afterwards.</returns>
    public int Preload(IEnumerable<Product> products, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(products);
        foreach (var p in products)
        {
            if (Volatile.Read(ref _count) >= _capacity) break;
            cancellationToken.ThrowIfCancellationRequested();
            if (_products.TryAdd(p.Id, p)) Interlocked.Increment(ref _count);
            else _products[p.Id] = p;
        }
        return Volatile.Read(ref _count);
    }

    /// <inheritdoc />
    public int Count => _inner.Count;

    /// <inheritdoc />
    public IReadOnlyList<RecallCandidate> Recall(RecallRequest request) => _inner.Recall(request);

    /// <inheritdoc />
    public Product? GetProduct(string productId)
    {
        Guard.NotNull(productId);
        if (_products.TryGetValue(productId, out var p)) return p;
        p = _inner.GetProduct(productId);
        if (p is not null && Volatile.Read(ref _count) < _capacity && _products.TryAdd(productId, p)) Interlocked.Increment(ref _count);
        return p;
    }

    /// <inheritdoc />
    public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) => _inner.MoreLikeThis(productId, k);
}
