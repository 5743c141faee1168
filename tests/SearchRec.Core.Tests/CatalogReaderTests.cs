using SearchRec.Core.Catalog;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Core.Tests;

public sealed class CatalogReaderTests
{
    [Fact]
    public void An_id_holding_white_space_or_a_control_character_is_refused_naming_the_line_and_character()
    {
        using var dir = new TempDir();
        var jsonl = dir.Write("cat.jsonl", string.Join('\n',
            """{"id": "a b", "title": "空格"}""",
            """{"id": "a\nb", "title": "换行"}""",
            """{"id": "a\u0000", "title": "控制字符"}""",
            """{"id": "a\u3000b", "title": "全角空格"}""",
            """{"id": " SKU/2025 ", "title": "好的"}"""));
        var tsv = dir.Write("cat.tsv", "a b\t空格\nc\u0007\t响铃\nSKU-1\t好的\n");

        var fromJson = CatalogReader.ReadFiles([jsonl]);
        var fromTsv = CatalogReader.ReadFiles([tsv]);

        Assert.Equal(["SKU/2025"], fromJson.Products.Select(p => p.Id));
        Assert.Equal([1, 2, 3, 4], fromJson.Problems.Select(p => p.Line));
        Assert.Contains("field 'id' holds U+0020 (white space) at character 2", fromJson.Problems[0].Reason);
        Assert.Contains("U+000A", fromJson.Problems[1].Reason);
        Assert.Contains("U+0000 (a control character) at character 2", fromJson.Problems[2].Reason);
        Assert.Contains("U+3000", fromJson.Problems[3].Reason);
        Assert.Equal(["SKU-1"], fromTsv.Products.Select(p => p.Id));
        Assert.Equal([1, 2], fromTsv.Problems.Select(p => p.Line));
        Assert.Contains("U+0007 (a control character)", fromTsv.Problems[1].Reason);
    }

    [Fact]
    public void A_file_with_every_kind_of_broken_line_keeps_all_good_lines_and_names_each_bad_one()
    {
        using var dir = new TempDir();
        var path = dir.Write("cat.jsonl", string.Join('\n',
            """{"id": 1, "title": "华为 Mate60 手机", "brand": "华为", "category": ["数码", "手机"], "price": 5999}""",
            """{"title": "没有编号的商品"}""",
            """{"id": 1, "title": "重复编号"}""",
            """{"id": 2, "title": "坏的 JSON" """,
            """{"id": 3, "title": ""}""",
            """{"id": 4, "title": 42}""",
            """{"id": 5, "title": "价格不对", "price": "abc"}""",
            "",
            """{"id": "6", "title": "小米 手环8", "category": "数码/穿戴", "attributes": {"颜色": ["黑色", "白色"]}}""",
            """{"id": 7, "title": "属性不对", "attributes": ["x"]}"""));

        var import = CatalogReader.ReadFiles([path]);

        Assert.Equal(["1", "6"], import.Products.Select(p => p.Id));
        Assert.Equal(9, import.LinesRead);
        var lines = import.Problems.Select(p => p.Line).ToArray();
        Assert.Equal([2, 3, 4, 5, 6, 7, 10], lines);
        Assert.Contains("no id", import.Problems[0].Reason);
        Assert.Contains("duplicate id '1'", import.Problems[1].Reason);
        Assert.Contains("bad JSON", import.Problems[2].Reason);
        Assert.Contains("'title' is empty", import.Problems[3].Reason);
        Assert.Contains("'title' has the wrong type", import.Problems[4].Reason);
        Assert.Contains("'price'", import.Problems[5].Reason);
        Assert.Contains("'attributes'", import.Problems[6].Reason);
        Assert.All(import.Problems, p => Assert.Equal(path, p.File));
        Assert.Equal(["数码", "穿戴"], import.Products[1].Category);
        Assert.Equal(5999, import.Products[0].Price);
    }

    [Fact]
    public void A_malformed_json_line_is_named_by_its_file_line_and_byte_without_the_json_readers_own_line_count()
    {
        var product = CatalogReader.ParseJson("""{"id": "2", "title": "坏的" "price": 5}""", out var error);

        Assert.Null(product);
        // Bytes are counted in UTF-8, as the reader reads the line: the quote that opens "price" is byte 31.
        Assert.Equal("bad JSON at byte 31: '\"' is invalid after a value. Expected either ',', '}', or ']'.", error);
    }

    [Fact]
    public void Tsv_lines_without_a_tab_or_title_are_rejected_with_their_line_numbers()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.tsv", "1\t纯棉手帕\nno-tab-here\n3\t\n\t无编号\n5\t钢笔字帖\n");

        var import = CatalogReader.ReadFiles([path]);

        Assert.Equal(["1", "5"], import.Products.Select(p => p.Id));
        Assert.Equal([2L, 3L, 4L], import.Problems.Select(p => p.Line));
        Assert.Equal("read 5 lines, accepted 2, rejected 3", import.Summary);
    }

    [Theory]
    [InlineData("id\ttitle")]
    [InlineData("DocId\tTitle")]
    [InlineData("\n docid \t title \r")]
    public void A_tsv_header_line_is_skipped_not_indexed_as_a_product(string header)
    {
        using var dir = new TempDir();
        var path = dir.Write("c.tsv", header + "\n1\t纯棉手帕\n2\t钢笔字帖\n");

        var import = CatalogReader.ReadFiles([path]);

        Assert.Equal(["1", "2"], import.Products.Select(p => p.Id));
        Assert.Empty(import.Problems);
        Assert.Equal("read 2 lines, accepted 2, rejected 0; a header line skipped", import.Summary);
    }

    [Fact]
    public void Only_a_tsv_files_first_line_is_taken_for_a_header_and_a_jsonl_has_none()
    {
        using var dir = new TempDir();
        var tsv = dir.Write("c.tsv", "1\t纯棉手帕\nid\ttitle\n");
        var jsonl = dir.Write("c.jsonl", "{\"id\": \"docid\", \"title\": \"title\"}\n");

        var import = CatalogReader.ReadFiles([tsv, jsonl]);

        Assert.Equal(["1", "id", "docid"], import.Products.Select(p => p.Id));
        Assert.Equal("read 3 lines, accepted 3, rejected 0", import.Summary);
    }

    [Fact]
    public void A_tsv_line_with_more_than_two_columns_is_refused_naming_its_line_and_the_others_kept()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.tsv", "1\t纯棉手帕\n2\t钢笔字帖\t晨光\t12.5\n3\t连衣裙\t\n4\t衬衫\n");

        var import = CatalogReader.ReadFiles([path]);

        Assert.Equal(["1", "4"], import.Products.Select(p => p.Id));
        Assert.Equal([2L, 3L], import.Problems.Select(p => p.Line));
        Assert.StartsWith("4 tab-separated fields: expected 2, 'id<TAB>title'", import.Problems[0].Reason, StringComparison.Ordinal);
        Assert.StartsWith("3 tab-separated fields", import.Problems[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Ner_spans_become_attributes_and_a_brand_attribute_supplies_the_brand()
    {
        var ner = CatalogReader.ParseJson("""{"id": 7296, "title": "羚跑双肩包", "brand": ["羚跑"], "type": ["背包", "背包"], "model": [], "misc": ["15.6寸"]}""", out var e1);
        var openbg = CatalogReader.ParseJson("""{"id": 6856, "title": "茶水桶", "category": ["大百货", "茶道/零配"], "attributes": {"品牌": ["PAMPAS/潘帕斯"]}}""", out var e2);

        Assert.Null(e1);
        Assert.Null(e2);
        Assert.Equal("羚跑", ner!.Brand);
        Assert.Equal(["背包"], ner.Attributes["type"]);
        Assert.False(ner.Attributes.ContainsKey("model"));
        Assert.Equal("PAMPAS/潘帕斯", openbg!.Brand);
        Assert.Equal(["大百货", "茶道/零配"], openbg.Category);
    }

    [Fact]
    public void A_missing_file_is_reported_and_nothing_read()
    {
        var import = CatalogReader.ReadFiles(["/nonexistent/catalog.tsv"]);
        Assert.True(import.NothingRead);
        Assert.Single(import.UnreadableFiles);
    }
}
