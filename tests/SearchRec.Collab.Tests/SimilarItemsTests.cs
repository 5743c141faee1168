using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Collab.Tests;

internal sealed class FakeRecall(Dictionary<string, (string, float)[]> neighbours) : IProductRecall
{
    public int Count => neighbours.Count;
    public IReadOnlyList<RecallCandidate> Recall(RecallRequest request) => [];
    public Product? GetProduct(string productId) => null;
    public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) =>
        neighbours.TryGetValue(productId, out var n) ? n.Take(k).ToList() : [];
}

public class SimilarItemsTests
{
    private static readonly CollabModels Models = Fixture.Train();

    [Fact]
    public void Results_say_which_sources_proposed_them_and_appear_once()
    {
        var content = new FakeRecall(new() { ["100"] = [("101", 5f), ("555", 4f), ("100", 9f)] });
        var found = new SimilarItems(Models, content).Find(100, (UserHistory?)null, 20);
        Assert.Equal(found.Count, found.Select(f => f.ItemId).Distinct().Count());
        Assert.DoesNotContain(found, f => f.ItemId == 100);
        var top = found[0];
        Assert.Equal(101, top.ItemId);
        Assert.Equal(SimilarSource.Behaviour | SimilarSource.Content | SimilarSource.Category, top.Sources);
        Assert.Equal("behaviour,content,category", top.SourceNames);
        Assert.Equal(SimilarSource.Content, found.Single(f => f.ItemId == 555).Sources);
    }

    [Fact]
    public void The_first_items_of_a_similar_list_do_not_depend_on_how_many_are_asked_for()
    {
        // 101, the behavioural neighbour, is also the 21st content neighbour: a list of 8 reached it, one of 5 did not.
        var neighbours = Enumerable.Range(0, 20).Select(i => ((2000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), 10f - i * 0.1f))
            .Append(("101", 0.5f)).ToArray();
        var similar = new SimilarItems(Models, new FakeRecall(new() { ["100"] = neighbours }));

        var five = similar.Find(100, (UserHistory?)null, 5);
        foreach (var k in new[] { 8, 12, 20 })
            Assert.Equal(five, similar.Find(100, (UserHistory?)null, k).Take(5));
    }

    [Fact]
    public void Source_names_list_the_sources_in_one_order_for_every_combination()
    {
        Assert.Equal("", new SimilarItem(1, 1, SimilarSource.None).SourceNames);
        Assert.Equal("content", new SimilarItem(1, 1, SimilarSource.Content).SourceNames);
        Assert.Equal("behaviour,category", new SimilarItem(1, 1, SimilarSource.Behaviour | SimilarSource.Category).SourceNames);
        Assert.Equal("behaviour,content,category", new SimilarItem(1, 1, (SimilarSource)7).SourceNames);
        Assert.Equal("behaviour,content,category", new SimilarItem(1, 1, (SimilarSource)15).SourceNames); // an unknown flag is left out
    }

    [Fact]
    public void A_similar_list_is_the_same_whatever_was_asked_before_it_on_the_thread_and_on_any_thread()
    {
        // Each thread keeps its emptied pool of candidates for the next call: nothing of an earlier item's, user's or
        // length's list may show in the next one.
        var content = new FakeRecall(new()
        {
            ["100"] = [("101", 5f), ("555", 4f), ("205", 1f)],
            ["205"] = [("206", 2f), ("100", 1f), ("777", 0.5f)],
            ["300"] = [("301", 3f)],
        });
        var similar = new SimilarItems(Models, content, options: new SimilarItemsOptions { ContentCacheSize = 0 });
        var user = new UserHistory(9, [new UserEvent(9, 203, 2, Behavior.Buy, Fixture.T0), new UserEvent(9, 105, 1, Behavior.View, Fixture.T0 - 60)]);
        var calls = new List<(long Item, UserHistory? User, int K)>();
        foreach (var item in new long[] { 100, 205, 300, 424242, 101 })
            foreach (var k in new[] { 1, 3, 10, 2000 })
            {
                calls.Add((item, null, k));
                calls.Add((item, user, k));
            }
        var alone = calls.ToDictionary(c => c, c => similar.Find(c.Item, c.User, c.K));
        Assert.Contains(alone, kv => kv.Value.Count >= 3);
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            var rng = new Random(w);
            for (int i = 0; i < 400; i++)
            {
                var c = calls[rng.Next(calls.Count)];
                Assert.Equal(alone[c], similar.Find(c.Item, c.User, c.K));
            }
        });
    }

    [Fact]
    public void An_item_with_no_events_gets_content_neighbours()
    {
        var content = new FakeRecall(new() { ["424242"] = [("105", 3f), ("106", 2f)] });
        var found = new SimilarItems(Models, content).Find(424242, (UserHistory?)null, 5);
        Assert.Equal(new long[] { 105, 106 }, found.Select(f => f.ItemId));
        Assert.All(found, f => Assert.Equal(SimilarSource.Content, f.Sources));
    }

    [Fact]
    public void A_given_user_pulls_results_towards_their_tastes()
    {
        // content proposes one item of each group with equal scores; the user likes group 2
        var content = new FakeRecall(new() { ["424242"] = [("105", 1f), ("205", 1f)] });
        using var dir = new TempDir();
        using var store = new SqliteEventStore(dir.File("e.db"), new SqliteEventStoreOptions { SynchronousFull = false });
        store.AppendBatch([new UserEvent(9, 203, 2, Behavior.Buy, Fixture.T0), new UserEvent(9, 207, 2, Behavior.View, Fixture.T0)]);
        var similar = new SimilarItems(Models, content, store);
        Assert.Equal(105, similar.Find(424242, (long?)null, 2)[0].ItemId);
        Assert.Equal(205, similar.Find(424242, 9L, 2)[0].ItemId);
    }

    [Fact]
    public void Bad_weights_are_refused_naming_the_field()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SimilarItems(Models, null, null, new SimilarItemsOptions { ContentWeight = -1 }));
        Assert.Contains("ContentWeight", ex.Message);
    }
}
