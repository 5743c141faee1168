using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Index;
using Xunit;

namespace SearchRec.Collab.Tests;

/// <summary>Counts MoreLikeThis calls and returns up to k neighbours of a fixed list.</summary>
internal sealed class CountingRecall((string, float)[] neighbours) : IProductRecall
{
    public int Calls;
    public int Count => neighbours.Length;
    public IReadOnlyList<RecallCandidate> Recall(RecallRequest request) => [];
    public Product? GetProduct(string productId) => null;
    public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k)
    {
        Interlocked.Increment(ref Calls);
        return neighbours.Take(k).ToList();
    }
}

public class SimilarItemsCacheTests
{
    private static readonly CollabModels Models = Fixture.Train();
    private static readonly (string, float)[] Many = Enumerable.Range(0, 60).Select(i => ((1000 + i).ToString(), 60f - i)).ToArray();

    [Fact]
    public void Content_neighbours_of_an_item_are_fetched_once_and_then_served_from_the_cache()
    {
        var content = new CountingRecall(Many);
        var similar = new SimilarItems(Models, content);
        var first = similar.Find(424242, (UserHistory?)null, 10);
        var second = similar.Find(424242, (UserHistory?)null, 10);
        Assert.Equal(1, content.Calls);
        Assert.Equal(first, second);
    }

    [Fact]
    public void A_smaller_k_after_a_larger_one_is_served_from_the_cache_with_the_same_results_as_uncached()
    {
        var content = new CountingRecall(Many);
        var similar = new SimilarItems(Models, content);
        similar.Find(424242, (UserHistory?)null, 15);
        var cached = similar.Find(424242, (UserHistory?)null, 4);
        var fresh = new SimilarItems(Models, new CountingRecall(Many), options: new SimilarItemsOptions { ContentCacheSize = 0 }).Find(424242, (UserHistory?)null, 4);
        Assert.Equal(1, content.Calls);
        Assert.Equal(fresh, cached);
    }

    [Fact]
    public void A_larger_k_than_cached_fetches_again()
    {
        var content = new CountingRecall(Many);
        var similar = new SimilarItems(Models, content);
        similar.Find(424242, (UserHistory?)null, 3);
        Assert.Equal(12, similar.Find(424242, (UserHistory?)null, 12).Count);
        Assert.Equal(1, content.Calls); // both within the source depth (60): one fetch serves them
        var more = similar.Find(424242, (UserHistory?)null, 25);   // 75 from each source
        Assert.Equal(2, content.Calls);
        Assert.Equal(25, more.Count);
    }

    [Fact]
    public void A_cache_size_of_zero_asks_the_content_source_every_time()
    {
        var content = new CountingRecall(Many);
        var similar = new SimilarItems(Models, content, options: new SimilarItemsOptions { ContentCacheSize = 0 });
        for (int i = 0; i < 3; i++) similar.Find(424242, (UserHistory?)null, 5);
        Assert.Equal(3, content.Calls);
    }

    [Fact]
    public void The_cache_holds_no_more_entries_than_its_size_so_old_items_are_fetched_again()
    {
        var content = new CountingRecall(Many);
        var similar = new SimilarItems(Models, content, options: new SimilarItemsOptions { ContentCacheSize = 4 });
        for (long item = 500_000; item < 500_100; item++) similar.Find(item, (UserHistory?)null, 5);
        int before = content.Calls;
        for (long item = 500_000; item < 500_100; item++) similar.Find(item, (UserHistory?)null, 5);
        Assert.Equal(100, before);
        Assert.True(content.Calls - before >= 96, $"{content.Calls - before} refetched of 100");
    }

    [Fact]
    public void A_negative_cache_size_is_refused_naming_the_field()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SimilarItems(Models, null, null, new SimilarItemsOptions { ContentCacheSize = -1 }));
        Assert.Contains("ContentCacheSize", ex.Message);
    }
}
