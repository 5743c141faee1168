using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using Xunit;

namespace SearchRec.Core.Tests;

public sealed class EventCatalogTests
{
    [Fact]
    public void Each_item_of_a_log_becomes_one_product_in_id_order_filed_under_the_category_of_its_earliest_event()
    {
        UserEvent[] events =
        [
            new(1, 30, 7, Behavior.View, 200),
            new(2, 4, 9, Behavior.Buy, 100),
            new(1, 30, 8, Behavior.Cart, 150), // the log files item 30 under two categories: the earliest wins
            new(3, 4, 9, Behavior.View, 300),
        ];

        var products = EventCatalog.Build(events);

        Assert.Equal(["4", "30"], products.Select(p => p.Id));
        Assert.Equal(["9", "8"], products.Select(p => p.CategoryPath));
        Assert.Equal("商品 30（类目 8）", products[1].Title);
        Assert.All(products, p => Assert.Null(p.Brand));
    }

    [Fact]
    public void A_log_without_events_gives_no_products()
    {
        Assert.Empty(EventCatalog.Build([]));
    }
}
