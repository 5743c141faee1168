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

    [Fact]
    public void The_codec_reads_back_what_a_binary_reader_reads_of_the_written_bytes()
    {
        // ProductCodec.Read decodes the bytes in place instead of through a BinaryReader: the same strings (any
        // length, any character, an unpaired surrogate as the writer replaced it), price, order and empty parts.
        var rng = new Random(3);
        string[] pieces = ["华为", "ＡＢＣ", "x", "", "\U0001F600", "\uD800", "é", new string('长', 200), "a b\tc"];
        string Text() => string.Concat(Enumerable.Range(0, rng.Next(4)).Select(_ => pieces[rng.Next(pieces.Length)]));
        using var buffer = new MemoryStream();
        for (var trial = 0; trial < 300; trial++)
        {
            var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            for (var a = rng.Next(5); a > 0; a--) attributes["k" + a + Text()] = [.. Enumerable.Range(0, rng.Next(3)).Select(_ => Text())];
            var p = new Product("id" + trial + Text(), Text() + "t", rng.Next(3) == 0 ? null : Text(), [.. Enumerable.Range(0, rng.Next(3)).Select(_ => Text())],
                attributes, rng.Next(3) == 0 ? null : rng.NextDouble() * 1e4 - 5);
            Internals.ProductCodec.Write(p, buffer);
            var bytes = buffer.ToArray();
            var padded = new byte[bytes.Length + 7];
            bytes.CopyTo(padded, 3);
            Assert.Equal(Describe(ReadWithBinaryReader(bytes)), Describe(Internals.ProductCodec.Read(padded, 3, bytes.Length)));
            if (bytes.Length > 1) Assert.ThrowsAny<IOException>(() => Internals.ProductCodec.Read(bytes, 0, bytes.Length - 1));
        }
    }

    // The codec's reading as it was written before (BinaryReader over a MemoryStream), the reference for the test above.
    private static Product ReadWithBinaryReader(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), System.Text.Encoding.UTF8);
        Assert.Equal(1, r.ReadByte());
        var id = r.ReadString();
        var title = r.ReadString();
        var brand = r.ReadBoolean() ? r.ReadString() : null;
        var categories = new string[r.Read7BitEncodedInt()];
        for (var i = 0; i < categories.Length; i++) categories[i] = r.ReadString();
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (var i = r.Read7BitEncodedInt(); i > 0; i--)
        {
            var name = r.ReadString();
            var values = new string[r.Read7BitEncodedInt()];
            for (var j = 0; j < values.Length; j++) values[j] = r.ReadString();
            attributes[name] = values;
        }
        double? price = r.ReadBoolean() ? r.ReadDouble() : null;
        return new Product(id, title, brand, categories, attributes, price);
    }

    private static string Describe(Product p) =>
        $"{p.Id}|{p.Title}|{p.Brand}|{string.Join(",", p.Category)}|{string.Join(";", p.Attributes.Select(kv => kv.Key + "=" + string.Join(",", kv.Value)))}|{p.Price}";
}
