using System.Globalization;
using SearchRec.Collab.Events;
using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>A shop with behaviour logs and no product records, served from an index of its items (<c>index --events</c>).</summary>
public sealed class EventCatalogServingTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Recommendations_and_similar_items_come_back_with_the_items_id_titles()
    {
        var events = EventCsvReader.ReadFile(shop.Files.Events, p => throw new InvalidDataException(p.ToString())).ToList();
        var index = _dir.File("index");
        using (ProductIndex.Build(EventCatalog.Build(events), new IndexOptions(), index)) { }
        using var store = new SqliteEventStore(_dir.File("events.db"), new SqliteEventStoreOptions { SynchronousFull = false });
        store.Import(shop.Files.Events);
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = index, CollabModelsPath = shop.CollabPath, WarmUp = TimeSpan.Zero }, new EventStoreLog(store));

        using var generation = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);

        var user = events[0].UserId;
        var feed = generation.Recommendations.Recommend(user, 5);
        Assert.NotEmpty(feed);
        var item = generation.Catalog.Get(feed[0].ProductId);
        Assert.NotNull(item);
        var category = events.Where(e => e.ItemId.ToString(CultureInfo.InvariantCulture) == feed[0].ProductId).MinBy(e => e.Timestamp).CategoryId;
        Assert.Equal(EventCatalog.Title(long.Parse(feed[0].ProductId, CultureInfo.InvariantCulture), category), item.Title);
        var popular = events.GroupBy(e => e.ItemId).OrderByDescending(g => g.Count()).First().Key.ToString(CultureInfo.InvariantCulture);
        Assert.NotEmpty(generation.Similar.Similar(popular, null, 5));
    }
}
