using SearchRec.Core;
using SearchRec.Index.Internals;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class DocOrderingTests
{
    private static Product P(int i, string title, string category, string? brand = null) =>
        new(i.ToString(System.Globalization.CultureInfo.InvariantCulture), title, brand, [category], new Dictionary<string, IReadOnlyList<string>>(), null);

    [Fact]
    public void Category_order_sorts_by_category_path_then_brand_then_title_length_then_input()
    {
        Product[] products =
        [
            P(0, "长长的标题 很长", "b"), P(1, "短", "b"), P(2, "中等 标题", "a", "x"), P(3, "短", "a", "w"), P(4, "短", "b"),
        ];
        Assert.Equal([3, 2, 1, 4, 0], DocOrdering.Sort(products, DocOrder.Category));
        Assert.Equal([1, 3, 4, 2, 0], DocOrdering.Sort(products, DocOrder.TitleLength));
    }
}
