using System.Globalization;
using SearchRec.Core.Events;

namespace SearchRec.Core.Catalog;

/// <summary>
/// A catalog for a shop that has behaviour logs but no product records (Taobao UserBehavior has ids only): one
/// product per item, titled by its id and filed under its category id, so that the index and the service can hold
/// and show the items that recommendations and similar items return.
/// </summary>
public static class EventCatalog
{
    /// <summary>The title given to item <paramref name="itemId"/> of category <paramref name="categoryId"/>.</summary>
    public static string Title(long itemId, long categoryId) =>
        string.Create(CultureInfo.InvariantCulture, $"商品 {itemId}（类目 {categoryId}）");

    /// <summary>
    /// One product per distinct item of <paramref name="events"/>, in increasing id order, in the category of the
    /// item's earliest event (a log may file an item under two categories; the collaborative models keep the first).
    /// </summary>
    public static IReadOnlyList<Product> Build(IEnumerable<UserEvent> events)
    {
        Guard.NotNull(events);
        var first = new Dictionary<long, (long Timestamp, long Category)>();
        foreach (var e in events)
            if (!first.TryGetValue(e.ItemId, out var seen) || e.Timestamp < seen.Timestamp)
                first[e.ItemId] = (e.Timestamp, e.CategoryId);
        var ids = new long[first.Count];
        first.Keys.CopyTo(ids, 0);
        Array.Sort(ids);
        var products = new Product[ids.Length];
        var none = new Dictionary<string, IReadOnlyList<string>>();
        for (var i = 0; i < ids.Length; i++)
        {
            var category = first[ids[i]].Category;
            products[i] = new Product(ids[i].ToString(CultureInfo.InvariantCulture), Title(ids[i], category), null,
                [category.ToString(CultureInfo.InvariantCulture)], none, null);
        }
        return products;
    }
}
