using SearchRec.Core;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Index.Tests;

/// <summary>Products kept as binary doc values read back exactly as from their stored fields (IndexOptions.ProductDocValues).</summary>
public sealed class ProductDocValuesTests
{
    private static readonly Product[] Products =
    [
        new("1", "华为 Mate60 手机 黑色 12+512GB", "华为", ["数码", "手机"],
            new Dictionary<string, IReadOnlyList<string>> { ["颜色"] = ["黑色", "白色"], ["内存"] = ["12GB"] }, 6999.5),
        new("2", "无品牌 纯棉T恤", "  ", ["女装"], new Dictionary<string, IReadOnlyList<string>> { ["空"] = [] }, null),
        new("3", "蓝牙耳机", null, [], new Dictionary<string, IReadOnlyList<string>>(), 0),
        // Longer than one doc value may be: read from its stored fields.
        new("4", "超长属性的商品", "某牌", ["杂货"], new Dictionary<string, IReadOnlyList<string>> { ["说明"] = [new string('长', 12_000)] }, 1),
    ];

    [Fact]
    public void Products_read_from_doc_values_equal_those_read_from_stored_fields()
    {
        using var fast = ProductIndex.Build(Products, new IndexOptions());
        using var stored = ProductIndex.Build(Products, new IndexOptions { ProductDocValues = false });
        Assert.True(fast.HasProductDocValues);
        Assert.False(stored.HasProductDocValues);

        foreach (var p in Products)
        {
            var a = fast.GetProduct(p.Id)!;
            var b = stored.GetProduct(p.Id)!;
            Assert.Equal(Describe(b), Describe(a));
        }
        Assert.Equal(stored.Products().Select(Describe).Order(), fast.Products().Select(Describe).Order());
        Assert.Null(fast.GetProduct("404"));
    }

    [Fact]
    public void A_product_reads_back_whole_a_blank_brand_as_none_and_an_empty_attribute_left_out()
    {
        using var index = ProductIndex.Build(Products, new IndexOptions());
        var one = index.GetProduct("1")!;
        Assert.Equal("华为 Mate60 手机 黑色 12+512GB", one.Title);
        Assert.Equal("华为", one.Brand);
        Assert.Equal(["数码", "手机"], one.Category);
        Assert.Equal(["黑色", "白色"], one.Attributes["颜色"]);
        Assert.Equal(6999.5, one.Price);
        var two = index.GetProduct("2")!;
        Assert.Null(two.Brand);
        Assert.Empty(two.Attributes);
        Assert.Null(two.Price);
        Assert.Equal(12_000, index.GetProduct("4")!.Attributes["说明"][0].Length);
    }

    [Fact]
    public void An_index_saved_with_product_doc_values_reads_them_after_reopening()
    {
        using var dir = new TempDir();
        ProductIndex.Build(Products, new IndexOptions(), dir.File("idx")).Dispose();
        using var reopened = ProductIndex.Open(dir.File("idx"));
        Assert.True(reopened.HasProductDocValues);
        Assert.Equal(Describe(Products[0] with { }), Describe(reopened.GetProduct("1")!));
    }

    private static string Describe(Product p) =>
        $"{p.Id}|{p.Title}|{p.Brand}|{string.Join(",", p.Category)}|{string.Join(";", p.Attributes.Select(kv => kv.Key + "=" + string.Join(",", kv.Value)))}|{p.Price}";
}
