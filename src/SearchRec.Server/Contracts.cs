using System.Text.Json.Serialization;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Index;

namespace SearchRec.Server;

/// <summary>A validated search: the normalised query text and its filters.</summary>
/// <param name="Text">The query, normalised (NFKC, lower case, single spaces).</param>
/// <param name="Category">Keep only products in this category (any level of the path).</param>
/// <param name="Brand">Keep only products of this brand.</param>
/// <param name="PriceMin">Keep only products priced at least this.</param>
/// <param name="PriceMax">Keep only products priced at most this.</param>
public sealed record SearchQuery(string Text, string? Category, string? Brand, double? PriceMin, double? PriceMax)
{
    /// <summary>
    /// False when the results are shown in another order than the ranking's (<c>sort=price_asc</c>): the search is
    /// then not feature-logged, since what shoppers click in it does not judge the ranking. True by default.
    /// </summary>
    public bool ShownInRankerOrder { get; init; } = true;

    // Set by the HTTP host, which writes a held feature-log record (RankResult.FeatureLog) with the page it shows; for
    // any other caller (the warm-up, a program calling the backend in process) the backend writes it with the hits returned.
    internal bool HostWritesFeatureLog { get; init; }
}

/// <summary>One feature's part in a result's score (for <c>explain</c>).</summary>
/// <param name="Feature">The feature's name.</param>
/// <param name="Value">The feature's value for this result; null when it is unknown for it (no user, no events for the item), which JSON has no number for.</param>
/// <param name="Contribution">How much the feature added to the score.</param>
// Written as "value": null, not left out as the answers' other nulls are: every feature of the list has a value field.
public sealed record FeatureContribution(string Feature, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Value, double Contribution)
{
    /// <summary>A contribution whose value is null when <paramref name="value"/> is NaN, the rankers' mark of a missing value.</summary>
    public static FeatureContribution Of(string feature, double value, double contribution) => new(feature, double.IsNaN(value) ? null : value, contribution);
}

/// <summary>One ranked search result before the host adds the product's display fields.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="Score">The ranker's score (higher is better).</param>
/// <param name="Explain">Feature contributions, when asked for; otherwise null.</param>
public sealed record RankedHit(string ProductId, double Score, IReadOnlyList<FeatureContribution>? Explain)
{
    /// <summary>In an interleaved answer, the ranker that drafted this hit (its score and explanation are that ranker's); else null.</summary>
    public SearchRec.Ranking.Interleaving.InterleavingTeam? Team { get; init; }
}

/// <summary>The ranked results of one search and the time each inner stage took.</summary>
/// <param name="Hits">The results, best first, at most k.</param>
/// <param name="Stages">Inner stage timings in milliseconds (e.g. <c>features</c>, <c>model</c>); may be empty.</param>
public sealed record RankResult(IReadOnlyList<RankedHit> Hits, IReadOnlyList<KeyValuePair<string, double>> Stages)
{
    /// <summary>The ranking request's id (the one its feature-log record carries), when a ranker ran; else null.</summary>
    public string? RequestId { get; init; }

    /// <summary>
    /// The rankers compared when the hits are a team-draft interleaving of two rankings (each hit's
    /// <see cref="RankedHit.Team"/> says whose pick it was); null for one ranker's ranking.
    /// </summary>
    public SearchRec.Ranking.Interleaving.InterleavedRankers? Interleaving { get; init; }

    // A ranked search's feature-log record, for the host to write with the page it shows (SearchQuery.HostWritesFeatureLog).
    internal SearchRec.Ranking.Logging.PendingFeatureLog? FeatureLog { get; init; }
}

/// <summary>An item suggested by a collaborative or content source.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="Score">The source's score (higher is better).</param>
/// <param name="Source">Which source suggested it (e.g. <c>item-item</c>, <c>content</c>, <c>popular</c>).</param>
public sealed record ScoredItem(string ProductId, double Score, string Source);

/// <summary>
/// Search as the host sees it: a user-independent recall the host caches, then a ranking that may personalise.
/// Implementations are thread-safe.
/// </summary>
public interface ISearchBackend
{
    /// <summary>The candidates for a query and its filters. Must not depend on any user: the host caches the answer.</summary>
    IReadOnlyList<RecallCandidate> Recall(SearchQuery query);

    /// <summary>Ranks recalled candidates for a user (null: anonymous) and returns the top <paramref name="k"/>.</summary>
    RankResult Rank(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain);
}

/// <summary>The "similar items" widget's answer. Implementations are thread-safe.</summary>
public interface ISimilarBackend
{
    /// <summary>Items similar to <paramref name="productId"/>, for a user (null: anonymous), best first, with the source of each.</summary>
    IReadOnlyList<ScoredItem> Similar(string productId, long? userId, int k);
}

/// <summary>The home-page feed from the collaborative sources. Implementations are thread-safe.</summary>
public interface IRecommendationBackend
{
    /// <summary>Items for a user, best first; cold users get a non-personal feed (e.g. popular items).</summary>
    IReadOnlyList<ScoredItem> Recommend(long userId, int k);
}

/// <summary>Product look-ups. Implementations are thread-safe.</summary>
public interface ICatalog
{
    /// <summary>Number of products.</summary>
    int Count { get; }

    /// <summary>The product, or null when the id is unknown.</summary>
    Product? Get(string productId);

    /// <summary>The numeric leaf category id that events carry for this product.</summary>
    long CategoryIdOf(Product product);

    /// <summary>
    /// The category id of an item the catalog no longer holds but behaviour has been recorded for (a product removed
    /// by a catalog change), or null. Events for such an item are still stored: a purchase made on a page shown
    /// before the removal is real behaviour.
    /// </summary>
    long? FormerCategoryOf(long itemId) => null;
}

/// <summary>Receives each stored event so a generation's collaborative counts stay current. Thread-safe.</summary>
public interface IEventObserver
{
    /// <summary>Applies one event to the in-memory models (incremental update).</summary>
    void Observe(UserEvent userEvent);
}

/// <summary>The durable, append-only event store behind <c>POST /events</c>. Thread-safe.</summary>
public interface IEventLog
{
    /// <summary>Stores the events durably (they survive a crash once this returns).</summary>
    /// <returns>How many were new (a store may fold exact duplicates) and the store's event count afterwards.</returns>
    EventAppendResult Append(IReadOnlyList<UserEvent> events);

    /// <summary>The number of events in the store.</summary>
    long Count { get; }
}

/// <summary>The outcome of <see cref="IEventLog.Append"/>.</summary>
/// <param name="Inserted">Events that were new to the store.</param>
/// <param name="Count">The store's event count after the append.</param>
public readonly record struct EventAppendResult(int Inserted, long Count)
{
    /// <summary>
    /// The events that were new to the store, in the order given (the duplicates it folded left out); the host applies
    /// these alone to the live models. Null when the log does not say: every event then counts as new.
    /// </summary>
    public IReadOnlyList<UserEvent>? Stored { get; init; }
}

/// <summary>Examples the page and the load test use: real queries, item ids and user ids of the loaded shop.</summary>
/// <param name="Queries">Queries that find something.</param>
/// <param name="ItemIds">Product ids.</param>
/// <param name="UserIds">User ids with a history.</param>
public sealed record ShopSamples(IReadOnlyList<string> Queries, IReadOnlyList<string> ItemIds, IReadOnlyList<long> UserIds);

/// <summary>
/// One loaded generation of index and models. Immutable once built; the host swaps whole generations atomically and
/// disposes an old one only after the requests that use it have finished.
/// </summary>
public sealed class ServiceGeneration : IDisposable
{
    private readonly IReadOnlyList<IDisposable> _owned;
    private int _disposed;

    /// <summary>Creates a generation.</summary>
    /// <param name="id">A name unique over time (part of every cache key).</param>
    /// <param name="catalog">Product look-ups.</param>
    /// <param name="search">Recall and ranking.</param>
    /// <param name="similar">Similar items.</param>
    /// <param name="recommendations">The home-page feed.</param>
    /// <param name="observer">Receives events stored after this generation's models were built.</param>
    /// <param name="eventsSeen">How many events of the store the models were built from.</param>
    /// <param name="samples">Example queries, items and users.</param>
    /// <param name="owned">Resources disposed with the generation (index readers, model sessions).</param>
    public ServiceGeneration(string id, ICatalog catalog, ISearchBackend search, ISimilarBackend similar,
        IRecommendationBackend recommendations, IEventObserver observer, long eventsSeen, ShopSamples samples,
        IReadOnlyList<IDisposable>? owned = null)
    {
        Id = Guard.NotNull(id);
        Catalog = Guard.NotNull(catalog);
        Search = Guard.NotNull(search);
        Similar = Guard.NotNull(similar);
        Recommendations = Guard.NotNull(recommendations);
        Observer = Guard.NotNull(observer);
        EventsSeen = eventsSeen;
        Samples = Guard.NotNull(samples);
        _owned = owned ?? [];
    }

    /// <summary>A name unique over time.</summary>
    public string Id { get; }
    /// <summary>Product look-ups.</summary>
    public ICatalog Catalog { get; }
    /// <summary>Recall and ranking.</summary>
    public ISearchBackend Search { get; }
    /// <summary>Similar items.</summary>
    public ISimilarBackend Similar { get; }
    /// <summary>The home-page feed.</summary>
    public IRecommendationBackend Recommendations { get; }
    /// <summary>Receives later events.</summary>
    public IEventObserver Observer { get; }
    /// <summary>How many events of the store the models were built from; later ones are replayed into <see cref="Observer"/>.</summary>
    public long EventsSeen { get; }
    /// <summary>Example queries, items and users.</summary>
    public ShopSamples Samples { get; }
    /// <summary>Search-bar completions (<c>GET /suggest</c>); null when the loader built none.</summary>
    public QuerySuggester? Suggester { get; init; }
    /// <summary>
    /// A product's popularity for <c>sort=popular</c> (the collaborative models' decayed, live event weight; NaN when
    /// no event names it); null when the loader has no behaviour, and popular then keeps the relevance order.
    /// </summary>
    public Func<string, float>? Popularity { get; init; }
    /// <summary>
    /// Where the interleaved pages shown are logged (shared by the generations, owned by the loader's caller); null
    /// when the generation interleaves nothing.
    /// </summary>
    public SearchRec.Ranking.Interleaving.IInterleavingLog? InterleavingLog { get; init; }
    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    // What the generation disposes (tests count the deep models a load opened).
    internal IReadOnlyList<IDisposable> Owned => _owned;

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var d in _owned) d.Dispose();
    }
}

/// <summary>What a reload asks for.</summary>
/// <param name="Retrain">True to retrain the collaborative models from the event store before loading.</param>
public sealed record ReloadRequest(bool Retrain);

/// <summary>A change to the catalog: products to add or replace (by id), and ids of products to remove.</summary>
/// <param name="Upserts">Products to add, or to replace the product with the same id.</param>
/// <param name="Deletes">Ids of products to remove.</param>
public sealed record CatalogUpdate(IReadOnlyList<Product> Upserts, IReadOnlyList<string> Deletes);

/// <summary>
/// A loader whose catalog can be changed while serving (<c>POST /admin/products</c>): the change is written where the
/// next generation loads it from, and the host then reloads.
/// </summary>
public interface ICatalogUpdater
{
    /// <summary>
    /// Writes the change for the next load; a change it refuses (an invalid product, an id given twice) throws an
    /// <see cref="ArgumentException"/> and writes nothing.
    /// </summary>
    CatalogChange Apply(CatalogUpdate update);
}

/// <summary>Loads a new generation (from disk, or by retraining). Called at start-up, on <c>POST /admin/reload</c> and on the retrain schedule.</summary>
public interface IGenerationLoader
{
    /// <summary>Builds a complete generation; the host swaps it in only when this returns.</summary>
    Task<ServiceGeneration> LoadAsync(ReloadRequest request, IProgress<string>? progress, CancellationToken cancellationToken);
}
