using System.Globalization;
using SearchRec.Collab.Events;
using SearchRec.Core.Events;
using SearchRec.Server;
using SearchRec.Server.Adapters;

namespace SearchRec.Examples.InProcess;

/// <summary>A shop's files: what `searchrec index`, `train-cf` and `train-ranker` wrote (or `searchrec demo`).</summary>
/// <param name="Index">The Lucene index folder.</param>
/// <param name="Collab">The collaborative models folder (empty or new: trained from the event store at load).</param>
/// <param name="Events">The SQLite event store (created when missing).</param>
/// <param name="Ranker">The ranker folder; null for BM25's order.</param>
public sealed record ShopPaths(string Index, string Collab, string Events, string? Ranker);

/// <summary>
/// SearchRec inside a .NET program: the stages the HTTP service runs, called directly. Search for a user, record a
/// purchase, and see the user's next answers change.
/// </summary>
public static class Shop
{
    /// <summary>Runs the example, writing what it does to <paramref name="output"/>.</summary>
    public static async Task RunAsync(ShopPaths paths, string query, long userId, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(output);

        // SQLite in WAL mode: an event survives a crash once Append has returned.
        using var store = new SqliteEventStore(paths.Events);
        var events = new EventStoreLog(store);

        // One loader wires the index, the collaborative models, the ranker and each user's live history, as `serve` does.
        // Its options are checked here, before anything is read.
        var loader = new ShopLoader(new ShopLoaderOptions
        {
            IndexPath = paths.Index,
            CollabModelsPath = paths.Collab,
            RankerPath = paths.Ranker,
            WarmUp = TimeSpan.Zero, // a long-running program keeps the default, so its first requests are as fast as the rest
        }, events);
        using var shop = await loader.LoadAsync(new ReloadRequest(Retrain: false), progress: null, CancellationToken.None);

        var q = new SearchQuery(query, Category: null, Brand: null, PriceMin: null, PriceMax: null);
        // Recall depends on the query alone, so it can be cached across users; the ranking is personal.
        var hits = shop.Search.Rank(q, shop.Search.Recall(q), userId, k: 5, explain: false).Hits;
        output.WriteLine($"search '{query}' for user {userId}:");
        foreach (var hit in hits)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {hit.ProductId}  {hit.Score:F3}  {shop.Catalog.Get(hit.ProductId)?.Title}"));
        if (hits.Count == 0)
        {
            output.WriteLine("  nothing found");
            return;
        }
        Print(output, $"feed of user {userId}", shop.Recommendations.Recommend(userId, k: 5));

        // The user buys the last result. Events name items by number, as the Taobao logs do.
        var product = shop.Catalog.Get(hits[^1].ProductId)!;
        if (!long.TryParse(product.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var itemId))
            throw new FormatException($"product id '{product.Id}' is not a number, so no event can name it");
        var buy = new UserEvent(userId, itemId, shop.Catalog.CategoryIdOf(product), Behavior.Buy, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // Stored first, then applied to the loaded models; the store folds an event it already holds.
        if (events.Append([buy]).Inserted == 1) shop.Observer.Observe(buy);
        output.WriteLine($"user {userId} bought {product.Id}");

        // The user's history is read from the store per request, so the next answers already know the purchase.
        Print(output, $"feed of user {userId}", shop.Recommendations.Recommend(userId, k: 5));
        Print(output, $"similar to {product.Id} for user {userId}", shop.Similar.Similar(product.Id, userId, k: 5));

        // To pick up retrained models, load another generation (ReloadRequest(Retrain: true) retrains from the store),
        // swap it in and dispose the old one when no request uses it; `searchrec serve` does this for HTTP.
    }

    private static void Print(TextWriter output, string title, IReadOnlyList<ScoredItem> items)
    {
        output.WriteLine(title + ":");
        foreach (var item in items)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {item.ProductId}  {item.Score:F3}  ({item.Source})"));
    }
}
