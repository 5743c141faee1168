using SearchRec.Core;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class QueryTermCapTests
{
    private static readonly Product[] Products =
    [
        Product.Of("1", "alpha common"), Product.Of("2", "beta common"), Product.Of("3", "gamma common"),
        Product.Of("4", "delta common"), Product.Of("5", "alpha beta"),
    ];

    private static string[] Ids(IReadOnlyList<RecallCandidate> hits) => [.. hits.Select(h => h.ProductId).Order()];

    [Fact]
    public void A_query_past_the_cap_keeps_its_rarest_terms()
    {
        using var capped = ProductIndex.Build(Products, new IndexOptions { QueryTermCap = 2 });
        var request = new RecallRequest("common alpha gamma") { Fields = RecallFields.Title };
        // "common" is in four products, "alpha" in two, "gamma" in one: the cap of 2 drops "common".
        Assert.Equal(["1", "3", "5"], Ids(capped.Recall(request)));
        Assert.Equal(capped.RecallWithLucene(request), capped.Recall(request));
        using var full = ProductIndex.Build(Products, new IndexOptions());
        Assert.Equal(["1", "2", "3", "4", "5"], Ids(full.Recall(request)));
    }

    [Fact]
    public void Terms_no_product_holds_do_not_take_a_place_under_the_cap()
    {
        using var capped = ProductIndex.Build(Products, new IndexOptions { QueryTermCap = 1 });
        var hits = capped.Recall(new RecallRequest("zzz yyy gamma") { Fields = RecallFields.Title });
        Assert.Equal(["3"], Ids(hits));
    }

    [Fact]
    public void A_query_within_the_cap_is_scored_on_every_term()
    {
        using var capped = ProductIndex.Build(Products, new IndexOptions { QueryTermCap = 3 });
        using var full = ProductIndex.Build(Products, new IndexOptions());
        var request = new RecallRequest("common alpha gamma") { Fields = RecallFields.Title };
        Assert.Equal(full.Recall(request), capped.Recall(request));
    }
}
