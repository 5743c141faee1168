using Lucene.Net.Index;
using FSDirectory = Lucene.Net.Store.FSDirectory;
using Lucene.Net.Util;
using SearchRec.Core;
using SearchRec.Index.Internals;
using SearchRec.Synthetic;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class ProductIndexUpdateTests
{
    private static readonly string[] Queries = ["华为手机", "白色", "家用 电器", "坚果", "运动鞋", "连衣裙 碎花", "电饭煲"];

    private static Product Retitled(Product p, string title, double? price = null) => p with { Title = title, Price = price ?? p.Price };

    [Fact]
    public void An_update_adds_replaces_and_removes_products_and_the_reopened_index_serves_the_new_catalog()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        var added = Product.Of("13", "戴森 吸尘器 无线 手持");
        var replaced = Retitled(Fixture.Products[8], "苏泊尔 电压力锅 家用 5L", price: 359);

        var change = ProductIndex.Update(path, [added, replaced], ["7", "nope"]);

        Assert.Equal((1, 1, 1, Fixture.Products.Length), (change.Added, change.Replaced, change.Deleted, change.Count));
        Assert.Equal(["nope"], change.NotFound);
        using var index = ProductIndex.Open(path);
        Assert.Equal(Fixture.Products.Length, index.Count);
        Assert.Equal("13", index.Recall(new RecallRequest("吸尘器")).First().ProductId);
        Assert.Equal("9", index.Recall(new RecallRequest("电压力锅")).First().ProductId);
        Assert.Equal(replaced.Title, index.GetProduct("9")!.Title);
        Assert.DoesNotContain(index.Recall(new RecallRequest("饭煲")), h => h.ProductId == "9");
        Assert.Equal(359, index.GetProduct("9")!.Price);
        Assert.Null(index.GetProduct("7"));
        Assert.DoesNotContain(index.Recall(new RecallRequest("坚果礼盒")), h => h.ProductId == "7");
        Assert.Equal(Fixture.Products.Length, index.Products().Count());
    }

    [Fact]
    public void After_an_update_and_a_merge_recall_is_that_of_a_fresh_build_of_the_same_catalog()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        var products = new ShopGenerator(new ShopOptions { Products = 3_000, Users = 1, Seed = 11 }).Products().ToList();
        ProductIndex.Build(products, new IndexOptions(), path).Dispose();
        var extra = new ShopGenerator(new ShopOptions { Products = 400, Users = 1, Seed = 12 }).Products()
            .Select(p => p with { Id = "n" + p.Id }).ToList();
        var replaced = products.Where((_, i) => i % 7 == 0).Select(p => Retitled(p, p.Title + " 新款 升级")).ToList();
        var deleted = products.Where((_, i) => i % 11 == 1 && i % 7 != 0).Select(p => p.Id).ToList();

        ProductIndex.Update(path, [.. extra, .. replaced], deleted, merge: true);

        // The same catalog in the same input order: unchanged and replaced products where they were, added ones last.
        var byId = replaced.ToDictionary(p => p.Id);
        var gone = deleted.ToHashSet();
        var catalog = products.Where(p => !gone.Contains(p.Id)).Select(p => byId.GetValueOrDefault(p.Id, p)).Concat(extra).ToList();
        using var updated = ProductIndex.Open(path);
        using var fresh = ProductIndex.Build(catalog, new IndexOptions());
        Assert.Equal(fresh.Count, updated.Count);
        var rng = new Random(3);
        for (var i = 0; i < 60; i++)
        {
            var title = catalog[rng.Next(catalog.Count)].Title;
            var q = title[..Math.Min(title.Length, 2 + i % 9)];
            Assert.Equal(fresh.Recall(new RecallRequest(q)), updated.Recall(new RecallRequest(q)));
        }
    }

    [Fact]
    public void Without_a_merge_the_pruned_recall_still_finds_what_lucene_finds_over_the_live_products()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        var products = new ShopGenerator(new ShopOptions { Products = 3_000, Users = 1, Seed = 21 }).Products().ToList();
        ProductIndex.Build(products, new IndexOptions(), path).Dispose();
        // Short titles full of common words raise the bounds of terms the old commit's bounds would cap lower.
        var replaced = products.Where((_, i) => i % 5 == 0).Select(p => Retitled(p, string.Join(' ', p.Title.Split(' ').Take(2)))).ToList();
        var deleted = products.Where((_, i) => i % 9 == 2 && i % 5 != 0).Select(p => p.Id).ToList();
        ProductIndex.Update(path, replaced, deleted);

        using var index = ProductIndex.Open(path);
        Assert.True(index.Bounds.Precomputed);
        var gone = deleted.ToHashSet();
        var rng = new Random(4);
        for (var i = 0; i < 80; i++)
        {
            var title = products[rng.Next(products.Count)].Title;
            var q = title[..Math.Min(title.Length, 2 + i % 9)];
            var r = new RecallRequest(q) { TopN = 50 };
            var pruned = index.Recall(r);
            MaxScoreRecallTests.AssertSameTopN(index.RecallWithLucene(r), pruned, r);
            Assert.DoesNotContain(pruned, h => gone.Contains(h.ProductId));
        }
        // Over two segments with deletions, the per-thread id look-ups find each live product in the segment that
        // holds it now and none deleted, and MoreLikeThis's per-thread term enumerators give Lucene's query.
        var byId = replaced.ToDictionary(p => p.Id);
        for (var i = 0; i < products.Count; i += 13)
        {
            var id = products[i].Id;
            var found = index.GetProduct(id);
            if (gone.Contains(id)) { Assert.Null(found); Assert.Empty(index.MoreLikeThis(id, 5)); continue; }
            Assert.Equal(byId.GetValueOrDefault(id, products[i]).Title, found!.Title);
            Assert.Equal(index.MoreLikeThisQuery(id, plainReader: true).Query!.ToString(), index.MoreLikeThisQuery(id).Query!.ToString());
        }
    }

    [Fact]
    public void Bounds_saved_for_another_commit_are_not_used_even_when_the_average_lengths_agree()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        var boundsFile = Path.Combine(path, TermBounds.FileName);
        var old = File.ReadAllBytes(boundsFile);
        // The same words in another order: every field keeps its length, so only the commit tells the files apart.
        var p = Fixture.Products[0];
        ProductIndex.Update(path, [Retitled(p, string.Join(' ', p.Title.Split(' ').Reverse()))], []);
        using (var updated = ProductIndex.Open(path))
            Assert.True(updated.Bounds.Precomputed);

        File.WriteAllBytes(boundsFile, old);
        using var reopened = ProductIndex.Open(path);
        Assert.False(reopened.Bounds.Precomputed);
    }

    [Fact]
    public void A_change_of_only_unknown_ids_writes_nothing()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        var files = Directory.GetFiles(path).ToDictionary(f => f, f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));

        var change = ProductIndex.Update(path, [], ["nope", "nada"]);

        Assert.Equal((0, 0, 0, Fixture.Products.Length), (change.Added, change.Replaced, change.Deleted, change.Count));
        Assert.Equal(["nope", "nada"], change.NotFound);
        Assert.Equal(files.Keys.Order(), Directory.GetFiles(path).Order());
        foreach (var (file, (bytes, time)) in files)
        {
            Assert.Equal(bytes, File.ReadAllBytes(file));
            Assert.Equal(time, File.GetLastWriteTimeUtc(file));
        }
    }

    [Fact]
    public void A_reader_opened_before_an_update_keeps_the_catalog_it_opened()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        using var before = ProductIndex.Open(path);

        ProductIndex.Update(path, [Product.Of("13", "戴森 吸尘器 无线 手持")], ["9"]);

        Assert.Equal("9", before.Recall(new RecallRequest("电饭煲")).First().ProductId);
        Assert.Empty(before.Recall(new RecallRequest("吸尘器")));
        using var after = ProductIndex.Open(path);
        Assert.Null(after.GetProduct("9"));
        Assert.Equal("13", after.Recall(new RecallRequest("吸尘器")).First().ProductId);
    }

    [Theory]
    [InlineData("twice", "'13' is given twice")]
    [InlineData("both", "'2' is both upserted and deleted")]
    [InlineData("no title", "product '14': field 'Title' is empty")]
    [InlineData("delete twice", "id '3' is given twice")]
    [InlineData("empty delete", "deletes[1]: the id is empty")]
    public void A_bad_change_is_refused_naming_it_and_leaves_the_index_as_it_was(string what, string message)
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        var files = Directory.GetFiles(path).ToDictionary(f => f, File.ReadAllBytes);
        var fine = Product.Of("13", "戴森 吸尘器");
        (Product[] Upserts, string[] Deletes) change = what switch
        {
            "twice" => ([fine, fine with { Title = "戴森 吹风机" }], []),
            "both" => ([fine, Product.Of("2", "小米 15")], ["2"]),
            "no title" => ([fine, Product.Of("14", " ")], []),
            "delete twice" => ([fine], ["3", "3"]),
            _ => ([fine], ["3", ""]),
        };

        var e = Assert.Throws<ArgumentException>(() => ProductIndex.Update(path, change.Upserts, change.Deletes));

        Assert.Contains(message, e.Message);
        Assert.Equal(files.Keys.Order(), Directory.GetFiles(path).Order());
        foreach (var (file, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(file));
    }

    [Fact]
    public void An_update_or_a_build_while_another_program_writes_the_index_says_so()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(Fixture.Products, new IndexOptions(), path).Dispose();
        using var lucene = FSDirectory.Open(path);
        using var other = new IndexWriter(lucene, new IndexWriterConfig(LuceneVersion.LUCENE_48, null) { OpenMode = OpenMode.APPEND });

        var e = Assert.Throws<IndexBusyException>(() => ProductIndex.Update(path, [Product.Of("13", "戴森 吸尘器")], []));
        var build = Assert.Throws<IndexBusyException>(() => ProductIndex.Build(Fixture.Products, new IndexOptions(), path));

        Assert.Contains("being written by another program", e.Message);
        Assert.Equal(path, build.Path);
    }

    [Fact]
    public void Updating_a_folder_without_an_index_names_the_problem()
    {
        using var dir = new TempDir();
        Assert.Throws<DirectoryNotFoundException>(() => ProductIndex.Update(dir.File("missing"), [], []));
        var e = Assert.Throws<InvalidDataException>(() => ProductIndex.Update(dir.Path, [Product.Of("1", "x")], []));
        Assert.Contains("searchrec-index.json", e.Message);
    }
}
