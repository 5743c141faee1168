using SearchRec.Core;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class ProductIndexTests : IDisposable
{
    private readonly ProductIndex _index = Fixture.InMemory();

    public void Dispose() => _index.Dispose();

    [Fact]
    public void An_in_memory_index_holds_every_product()
    {
        Assert.Equal(Fixture.Products.Length, _index.Count);
        Assert.Null(_index.Path);
        Assert.Equal(Fixture.Products.Select(p => p.Id).Order(), _index.Products().Select(p => p.Id).Order());
    }

    [Theory]
    [InlineData("华为手机", "1")]
    [InlineData("电饭煲", "9")]
    [InlineData("坚果礼盒", "7")]
    [InlineData("iphone", "3")]
    public void Recall_puts_the_matching_product_first(string query, string expected)
    {
        var hits = _index.Recall(new RecallRequest(query));
        Assert.NotEmpty(hits);
        Assert.Equal(expected, hits[0].ProductId);
        Assert.Equal(0, hits[0].Rank);
    }

    [Theory]
    [InlineData(RecallFields.Title)]
    [InlineData(RecallFields.Bigram)]
    [InlineData(RecallFields.All)]
    public void Recall_finds_the_product_with_each_field_choice(RecallFields fields)
    {
        var hits = _index.Recall(new RecallRequest("豆浆机") { Fields = fields });
        Assert.Equal("10", hits[0].ProductId);
    }

    [Fact]
    public void Candidates_are_ranked_by_descending_score()
    {
        var hits = _index.Recall(new RecallRequest("华为 手机 耳机"));
        Assert.True(hits.Count >= 3);
        for (var i = 1; i < hits.Count; i++)
        {
            Assert.Equal(i, hits[i].Rank);
            Assert.True(hits[i - 1].Score >= hits[i].Score);
        }
    }

    [Fact]
    public void Field_scores_are_non_zero_exactly_for_the_fields_that_match()
    {
        // "雪纺" is in product 12's title and its attributes, not in its brand or category.
        var hit = Assert.Single(_index.Recall(new RecallRequest("雪纺")), h => h.ProductId == "12");
        Assert.True(hit.Fields.Title > 0);
        Assert.True(hit.Fields.Bigram > 0);
        Assert.True(hit.Fields.Attributes > 0);
        Assert.Equal(0f, hit.Fields.Brand);
        Assert.Equal(0f, hit.Fields.Category);
        // Dis-max: the best field plus TieBreaker (0.3) times the others.
        float[] f = [hit.Fields.Title, hit.Fields.Bigram, hit.Fields.Brand, hit.Fields.Category, hit.Fields.Attributes];
        var max = f.Max();
        Assert.Equal(hit.Score, max + 0.3f * (f.Sum() - max), 3);
    }

    [Fact]
    public void A_category_match_scores_in_the_category_field()
    {
        var hits = _index.Recall(new RecallRequest("厨房电器"));
        var hit = Assert.Single(hits, h => h.ProductId == "10");
        Assert.True(hit.Fields.Category > 0);
        Assert.Equal(0f, hit.Fields.Title);
        Assert.Equal(0f, hit.Fields.Brand);
    }

    [Fact]
    public void A_title_only_recall_keeps_other_field_scores_at_zero()
    {
        var hits = _index.Recall(new RecallRequest("华为") { Fields = RecallFields.Title });
        Assert.NotEmpty(hits);
        Assert.All(hits, h =>
        {
            Assert.True(h.Fields.Title > 0);
            Assert.Equal(0f, h.Fields.Bigram);
            Assert.Equal(0f, h.Fields.Brand);
            Assert.Equal(h.Score, h.Fields.Title, 4);
        });
    }

    [Fact]
    public void TopN_caps_the_number_of_candidates()
    {
        Assert.Equal(2, _index.Recall(new RecallRequest("手机") { TopN = 2 }).Count);
    }

    [Fact]
    public void A_category_filter_matches_any_level_of_the_path()
    {
        var coarse = _index.Recall(new RecallRequest("白色 家用 华为") { Category = "手机数码" });
        Assert.NotEmpty(coarse);
        Assert.All(coarse, h => Assert.Contains("手机数码", _index.GetProduct(h.ProductId)!.Category));
        var fine = _index.Recall(new RecallRequest("华为") { Category = "耳机" });
        Assert.Equal("4", Assert.Single(fine).ProductId);
    }

    [Fact]
    public void A_brand_filter_keeps_only_that_brand()
    {
        var hits = _index.Recall(new RecallRequest("手机 耳机") { Brand = "华为" });
        Assert.Equal(["1", "4"], hits.Select(h => h.ProductId).Order());
        Assert.Equal("3", Assert.Single(_index.Recall(new RecallRequest("手机") { Brand = "apple" })).ProductId);
    }

    [Fact]
    public void A_price_range_keeps_only_products_priced_inside_it()
    {
        var hits = _index.Recall(new RecallRequest("手机 耳机 鞋") { PriceMin = 500, PriceMax = 4000 });
        Assert.Equal(["2", "4", "5", "6"], hits.Select(h => h.ProductId).Order());
        Assert.Empty(_index.Recall(new RecallRequest("手机") { PriceMin = 10, PriceMax = 5 }));
        var open = _index.Recall(new RecallRequest("手机") { PriceMin = 5000 });
        Assert.Equal(["1", "3"], open.Select(h => h.ProductId).Order());
    }

    [Fact]
    public void A_product_without_a_price_is_dropped_by_a_price_filter()
    {
        Assert.Contains(_index.Recall(new RecallRequest("T恤")), h => h.ProductId == "11");
        Assert.DoesNotContain(_index.Recall(new RecallRequest("T恤") { PriceMax = 1000 }), h => h.ProductId == "11");
    }

    public static TheoryData<string> OddQueries()
    {
        var data = new TheoryData<string>
        {
            "", " ", "a", "手", "\"", "*", ":", "~", "?", "\\", "/", "(", ")", "[", "]", "{", "}", "^", "!", "+", "-", "&&", "||",
            "华为 AND 手机", "华为 OR", "AND", "OR NOT", "NOT", "(华为", "[手机 TO", "手机]", "{华为", "\"华为 手机", "title:华为",
            "华为~2", "手*", "*:*", "+华为 -手机", "😀", "华为😀手机", "👨‍👩‍👧", "\u0000", "\uFFFF", "\uD800",
            new string('手', 1000), string.Concat(Enumerable.Repeat("华为 手机 ", 100)), string.Concat(Enumerable.Repeat("abc ", 250)),
        };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in data) seen.Add(row);
        var rng = new Random(7);
        const string pool = "\"*:~?\\/()[]{}^!+-&|华为手机耳机 aA1😀";
        for (var i = 0; i < 20; i++)
        {
            var chars = new char[rng.Next(0, 60)];
            for (var j = 0; j < chars.Length; j++) chars[j] = pool[rng.Next(pool.Length)];
            // xunit skips a case whose text an earlier case already has.
            var text = new string(chars);
            if (seen.Add(text)) data.Add(text);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OddQueries))]
    public void Any_query_text_returns_candidates_or_an_empty_list(string query)
    {
        foreach (var fields in Enum.GetValues<RecallFields>())
        {
            var hits = _index.Recall(new RecallRequest(query) { Fields = fields });
            Assert.NotNull(hits);
            Assert.All(hits, h => Assert.NotNull(_index.GetProduct(h.ProductId)));
        }
    }

    [Fact]
    public void Lucene_syntax_is_matched_as_text()
    {
        Assert.Equal("1", _index.Recall(new RecallRequest("title:华为 AND (手机"))[0].ProductId);
    }

    [Fact]
    public void GetProduct_returns_the_stored_product_or_null()
    {
        var p = _index.GetProduct("9")!;
        var original = Fixture.Products[8];
        Assert.Equal(original.Title, p.Title);
        Assert.Equal(original.Brand, p.Brand);
        Assert.Equal(original.Category, p.Category);
        Assert.Equal(original.Price, p.Price);
        Assert.Equal(["4L"], p.Attributes["容量"]);
        Assert.Null(_index.GetProduct("no-such-id"));
        Assert.Null(_index.GetProduct(""));
        Assert.Null(_index.GetProduct("11")!.Price);
    }

    [Fact]
    public void MoreLikeThis_finds_neighbours_and_excludes_the_item_itself()
    {
        var similar = _index.MoreLikeThis("1", 3);
        Assert.NotEmpty(similar);
        Assert.True(similar.Count <= 3);
        Assert.DoesNotContain(similar, s => s.ProductId == "1");
        Assert.Contains(similar, s => s.ProductId is "2" or "3" or "4");
        Assert.Empty(_index.MoreLikeThis("no-such-id", 3));
    }

    [Fact]
    public void Reopening_from_disk_gives_the_same_results()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        var options = new IndexOptions { K1 = 0.9f, B = 0.4f };
        string[] queries = ["华为手机", "白色", "家用 电器", "坚果"];
        List<RecallCandidate>[] before;
        using (var built = ProductIndex.Build(Fixture.Products, options, path))
        {
            Assert.Equal(path, built.Path);
            before = queries.Select(q => built.Recall(new RecallRequest(q)).ToList()).ToArray();
        }
        using var reopened = ProductIndex.Open(path);
        Assert.Equal(0.9f, reopened.Options.K1);
        Assert.Equal(0.4f, reopened.Options.B);
        for (var i = 0; i < queries.Length; i++)
            Assert.Equal(before[i], reopened.Recall(new RecallRequest(queries[i])));
    }

    [Fact]
    public void A_reopened_index_reports_its_doc_order_and_one_from_before_the_settings_reports_title_length_unmerged()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions { DocOrder = DocOrder.Category }, path).Dispose();
        using (var reopened = ProductIndex.Open(path))
        {
            Assert.Equal(DocOrder.Category, reopened.Options.DocOrder);
            Assert.True(reopened.Options.MergeToOneSegment);
        }
        var file = Path.Combine(path, "searchrec-index.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        Assert.True(json.Remove("DocOrder"));
        Assert.True(json.Remove("MergeToOneSegment"));
        File.WriteAllText(file, json.ToJsonString());
        using var old = ProductIndex.Open(path);
        Assert.Equal(DocOrder.TitleLength, old.Options.DocOrder);
        Assert.False(old.Options.MergeToOneSegment);
    }

    [Fact]
    public void A_query_in_traditional_characters_finds_the_simplified_title_and_the_other_way_round()
    {
        var products = new[]
        {
            Product.Of("a", "电竞机械键盘鼠标套装 RGB背光"),
            Product.Of("b", "黑色聖誕樹 家用 1.8米 加密"),
            Product.Of("c", "白色陶瓷马克杯"),
        };
        using var index = ProductIndex.Build(products, new IndexOptions());
        Assert.Equal("a", index.Recall(new RecallRequest("電競鍵盤")).First().ProductId);
        Assert.Equal("b", index.Recall(new RecallRequest("黑色圣诞树")).First().ProductId);
        using var plain = ProductIndex.Build(products, new IndexOptions { FoldTraditional = false });
        Assert.DoesNotContain(plain.Recall(new RecallRequest("電競鍵盤")), h => h.ProductId == "a");
    }

    [Fact]
    public void An_index_saved_before_traditional_folding_reopens_without_it_so_queries_match_what_it_holds()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        var products = new[] { Product.Of("t", "黑色聖誕樹 家用"), Product.Of("s", "白色陶瓷马克杯") };
        ProductIndex.Build(products, new IndexOptions { FoldTraditional = false }, path).Dispose();
        var file = Path.Combine(path, "searchrec-index.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        Assert.True(json.Remove("FoldTraditional"));
        File.WriteAllText(file, json.ToJsonString());
        using var old = ProductIndex.Open(path);
        Assert.False(old.Options.FoldTraditional);
        Assert.Equal("t", old.Recall(new RecallRequest("聖誕樹")).First().ProductId);
        using (var fresh = ProductIndex.Build(products, new IndexOptions(), dir.File("new")))
            Assert.True(fresh.Options.FoldTraditional);
        using var reopened = ProductIndex.Open(dir.File("new"));
        Assert.True(reopened.Options.FoldTraditional);
        Assert.Equal("t", reopened.Recall(new RecallRequest("圣诞树")).First().ProductId);
    }

    [Fact]
    public void A_category_path_no_level_equals_filters_by_its_last_level_and_a_level_holding_a_slash_is_itself()
    {
        var products = new[]
        {
            new Product("a", "碎花 连衣裙", null, ["女装", "连衣裙"], new Dictionary<string, IReadOnlyList<string>>(), 99),
            new Product("b", "碎花 衬衫", null, ["女装", "衬衫"], new Dictionary<string, IReadOnlyList<string>>(), 59),
            new Product("c", "碎花 伞", null, ["雨具/伞"], new Dictionary<string, IReadOnlyList<string>>(), 29),
        };
        using var index = ProductIndex.Build(products, new IndexOptions());
        List<string> Ids(string category) => [.. index.Recall(new RecallRequest("碎花") { Category = category }).Select(h => h.ProductId)];
        List<string> LuceneIds(string category) => [.. index.RecallWithLucene(new RecallRequest("碎花") { Category = category }).Select(h => h.ProductId)];

        Assert.Equal(["a"], Ids("女装/连衣裙"));
        Assert.Equal(["a"], Ids("女装 > 连衣裙"));
        Assert.Equal(["a"], LuceneIds("女装/连衣裙"));
        Assert.Equal(["c"], Ids("雨具/伞"));
        Assert.Empty(Ids("//"));
    }

    [Fact]
    public void Building_on_disk_replaces_the_previous_index()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        ProductIndex.Build(Fixture.Products.Take(3), new IndexOptions(), path).Dispose();
        using var reopened = ProductIndex.Open(path);
        Assert.Equal(3, reopened.Count);
    }

    [Fact]
    public void Opening_a_directory_without_an_index_names_the_problem()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => ProductIndex.Open(dir.Path));
        Assert.Contains("searchrec-index.json", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => ProductIndex.Open(dir.File("missing")));
    }

    [Theory]
    [InlineData("\"K1\": 1.2", "\"K1\": -1")]
    [InlineData("\"TitleAnalyzer\": \"searchrec\"", "\"TitleAnalyzer\": \"nope\"")]
    [InlineData("\"SynonymsPath\": null", "\"SynonymsPath\": \"/nonexistent/synonyms.txt\"")]
    public void An_index_whose_saved_options_are_out_of_range_is_refused_naming_the_options_file(string saved, string edited)
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        var file = Path.Combine(path, "searchrec-index.json");
        var json = File.ReadAllText(file);
        Assert.Contains(saved, json, StringComparison.Ordinal);
        File.WriteAllText(file, json.Replace(saved, edited, StringComparison.Ordinal));

        var e = Assert.Throws<InvalidDataException>(() => ProductIndex.Open(path));
        Assert.StartsWith($"{file}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_with_a_file_cut_short_is_refused_as_damaged_with_what_to_do()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        var terms = Directory.GetFiles(path, "*.tim").Single();
        using (var f = new FileStream(terms, FileMode.Open)) f.SetLength(f.Length / 4);

        var e = Assert.Throws<InvalidDataException>(() => ProductIndex.Open(path));

        Assert.StartsWith($"'{path}' holds a damaged or incomplete index (", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("build it again with `searchrec index`", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spread_sample_of_products_takes_every_kth_in_index_order()
    {
        var all = _index.Products().Select(p => p.Id).ToList();

        Assert.Equal(all.Where((_, i) => i % 3 == 0), _index.Products(3).Select(p => p.Id));
        Assert.Equal(all, _index.Products(1).Select(p => p.Id));
        Assert.Throws<ArgumentOutOfRangeException>(() => _index.Products(0).ToList());
    }

    [Fact]
    public void Duplicate_ids_are_rejected_with_the_id_named()
    {
        Product[] products = [Product.Of("a", "红色 苹果"), Product.Of("b", "香蕉"), Product.Of("a", "青苹果")];
        var e = Assert.Throws<ArgumentException>(() => ProductIndex.Build(products, new IndexOptions()));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void An_empty_title_is_rejected_with_the_product_named()
    {
        Product[] products = [Product.Of("a", "苹果"), Product.Of("b", " ")];
        var e = Assert.Throws<ArgumentException>(() => ProductIndex.Build(products, new IndexOptions()));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("Title", e.Message);
    }

    [Fact]
    public void An_empty_catalog_builds_an_index_that_recalls_nothing()
    {
        using var index = ProductIndex.Build([], new IndexOptions());
        Assert.Equal(0, index.Count);
        Assert.Empty(index.Recall(new RecallRequest("华为")));
    }

    [Fact]
    public void Recall_returns_ids_outside_ascii_as_they_were_given()
    {
        // Ids are decoded from the doc values' UTF-8 bytes: Chinese, full-width and a character outside the BMP
        // come back as given, and as Lucene's own search reads them from the same doc values.
        string[] ids = ["商品-一", "ＳＫＵ９", "\U00020000x", "é-1", "7"];
        using var index = ProductIndex.Build(ids.Select((id, i) => Product.Of(id, "华为 手机 " + new string('壳', i))), new IndexOptions());
        var hits = index.Recall(new RecallRequest("华为 手机"));
        Assert.Equal(ids.Order(StringComparer.Ordinal), hits.Select(h => h.ProductId).Order(StringComparer.Ordinal));
        Assert.Equal(index.RecallWithLucene(new RecallRequest("华为 手机")).Select(h => h.ProductId), hits.Select(h => h.ProductId));
        foreach (var id in ids) Assert.Equal(id, index.GetProduct(id)!.Id);
    }

    [Fact]
    public void Recall_is_safe_from_many_threads()
    {
        var expected = _index.Recall(new RecallRequest("华为 手机"));
        Parallel.For(0, 200, i =>
        {
            var got = _index.Recall(new RecallRequest(i % 2 == 0 ? "华为 手机" : "运动鞋 白色"));
            if (i % 2 == 0) Assert.Equal(expected, got);
        });
    }
}
