using System.Text.Json;
using SearchRec.Collab.Events;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.NextItem;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The users' recommendations ordered by a next-item ranker (<c>serve --feed-ranker</c>).</summary>
public sealed class FeedRankerTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A linear next-item ranker that puts what the user carted first, then what they viewed most; saved as train-ranker saves one.
    private string SaveFeedRanker(int towerEpochs = 0)
    {
        var dir = _dir.File($"feed-{Guid.NewGuid():N}");
        var schema = NextItemRanking.Schema;
        var w = new float[schema.Count];
        w[schema.IndexOf("user_carts")] = 10;
        w[schema.IndexOf("user_views")] = 1;
        var ones = new float[schema.Count];
        Array.Fill(ones, 1f);
        var card = new ModelCard { Kind = "linear", Schema = schema.ToString(), Features = schema.Names.ToList() };
        new NextItemRankerInfo(50, towerEpochs, null).WriteTo(card);
        RankerStore.Save(new LinearRanker(schema, new float[schema.Count], ones, w, 0), dir, card);
        return dir;
    }

    private static List<(string Id, string Source)> Results(JsonElement r) =>
        r.GetProperty("results").EnumerateArray().Select(x => (x.GetProperty("id").GetString()!, x.GetProperty("source").GetString()!)).ToList();

    [Fact]
    public async Task The_feed_ranker_orders_a_users_recommendations_from_their_latest_events()
    {
        var (s, store) = await shop.StartAsync(feedRankerPath: SaveFeedRanker());
        await using (s)
        using (store)
        {
            // A user with no history gets popular items, as without a feed ranker.
            var cold = Results(await s.GetJsonAsync("/users/90001/recommendations?k=5"));
            Assert.NotEmpty(cold);
            Assert.All(cold, x => Assert.Equal("popularity", x.Source));

            Assert.Equal(200, (int)(await s.PostEventsAsync("""[{"user":90001,"item":"5","behavior":"pv"},{"user":90001,"item":"5","behavior":"pv"},{"user":90001,"item":"9","behavior":"cart"}]""")).StatusCode);
            var warm = Results(await s.GetJsonAsync("/users/90001/recommendations?k=5"));
            Assert.Equal(("9", "fused"), warm[0]);
            Assert.Equal(("5", "fused"), warm[1]);
            Assert.Equal(5, warm.Count);

            // One more event changes the next answer: item 5 carted twice now outranks item 9.
            Assert.Equal(200, (int)(await s.PostEventsAsync("""[{"user":90001,"item":"5","behavior":"cart"},{"user":90001,"item":"5","behavior":"cart"}]""")).StatusCode);
            Assert.Equal("5", Results(await s.GetJsonAsync("/users/90001/recommendations?k=5"))[0].Id);
        }
    }

    [Fact]
    public async Task A_search_ranker_given_as_the_feed_ranker_is_refused_naming_the_next_item_schema()
    {
        using var store = new SqliteEventStore(_dir.File("events.db"));
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, FeedRankerPath = shop.RankerPath }, new EventStoreLog(store));
        var e = await Assert.ThrowsAsync<RankerSchemaMismatchException>(() => loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None));
        Assert.Contains(NextItemRanking.Schema.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("train-ranker --events", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feed_ranker_trained_with_a_tower_that_is_not_beside_it_is_refused_naming_the_folder()
    {
        var ranker = SaveFeedRanker(towerEpochs: 2);
        using var store = new SqliteEventStore(_dir.File("events.db"));
        var loader = new ShopLoader(new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, FeedRankerPath = ranker }, new EventStoreLog(store));
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None));
        Assert.Contains(Path.Combine(ranker, NextItemRecommender.TowerFolder), e.Message, StringComparison.Ordinal);
    }
}
