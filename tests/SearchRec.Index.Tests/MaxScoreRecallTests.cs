using SearchRec.Core;
using SearchRec.Index.Internals;
using SearchRec.Synthetic;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Index.Tests;

/// <summary>
/// A synthetic catalog indexed once in each doc order for the pruned-recall tests (several segments: indexing runs in
/// parallel).
/// </summary>
public sealed class SyntheticIndex : IDisposable
{
    private readonly ProductIndex[] _byOrder;

    public SyntheticIndex()
    {
        Products = [.. new ShopGenerator(new ShopOptions { Products = 12_000, Users = 1, Seed = 5 }).Products()];
        Index = ProductIndex.Build(Products, new IndexOptions());
        _byOrder = [.. Enum.GetValues<DocOrder>().Select(o => o == Index.Options.DocOrder ? Index : ProductIndex.Build(Products, new IndexOptions { DocOrder = o }))];
    }

    public List<Product> Products { get; }

    /// <summary>The index with default options.</summary>
    public ProductIndex Index { get; }

    /// <summary>The catalog indexed in <paramref name="order"/>.</summary>
    public ProductIndex ByOrder(DocOrder order) => _byOrder[(int)order];

    public void Dispose()
    {
        foreach (var index in _byOrder) index.Dispose();
    }
}

public sealed class MaxScoreRecallTests(SyntheticIndex shop) : IClassFixture<SyntheticIndex>
{
    private readonly ProductIndex _index = shop.Index;

    /// <summary>Shopper-like queries drawn from the catalog, plus hostile ones.</summary>
    private List<string> Queries(int count, int seed)
    {
        var rng = new Random(seed);
        var products = shop.Products;
        var result = new List<string>
        {
            "手机 手机 手机", "女装", "女", "装", "的", "a", "1", "xyzzy 12345", "\"(华为 AND 手机~", "😀👍", new string('女', 300),
            string.Concat(Enumerable.Repeat("连衣裙 ", 60)), products[0].Title + " " + products[1].Title + " " + products[2].Title,
        };
        for (var i = 0; i < count; i++)
        {
            var p = products[rng.Next(products.Count)];
            var title = p.Title;
            var len = Math.Min(title.Length, rng.Next(1, 14));
            var piece = title.Substring(rng.Next(title.Length - len + 1), len);
            result.Add((i % 6) switch
            {
                0 => p.Brand ?? piece,
                1 => p.Category.Count > 0 ? p.Category[^1] : piece,
                2 => (p.Brand ?? "") + " " + piece,
                3 => title + " " + piece,
                4 => piece.Length > 1 ? piece.Remove(rng.Next(piece.Length), 1) + (char)('\u4E00' + rng.Next(0x5000)) : piece,
                _ => piece,
            });
        }
        return result;
    }

    private RecallRequest[] Variants(string query, Product p)
    {
        var r = new RecallRequest(query);
        return
        [
            r,
            r with { TopN = 10 },
            r with { TopN = 1 },
            r with { TopN = 5000 },
            r with { Category = p.Category.Count > 0 ? p.Category[0] : "无" },
            r with { Brand = p.Brand ?? "无" },
            r with { PriceMin = (p.Price ?? 100) * 0.5, PriceMax = (p.Price ?? 100) * 1.5 },
            r with { PriceMax = p.Price ?? 100, Category = p.Category.Count > 1 ? p.Category[1] : "无", TopN = 50 },
        ];
    }

    [Theory]
    [InlineData(DocOrder.TitleLength, 1)]
    [InlineData(DocOrder.TitleLength, 2)]
    [InlineData(DocOrder.Category, 1)]
    [InlineData(DocOrder.Category, 2)]
    public void Pruned_recall_returns_the_exhaustive_top_n_for_every_field_choice_and_filter(DocOrder order, int threads)
    {
        var index = shop.ByOrder(order);
        index.RecallParallelism = threads;
        // Two threads: every segment with two windows above the threshold is split, whatever its postings.
        index.RecallParallelMinPostings = threads > 1 ? 0 : MaxScoreEvaluator.DefaultParallelMinPostings;
        index.RecallCores = 64;
        try
        {
            CheckParity(index);
        }
        finally
        {
            index.RestoreRecallSplitting();
        }
    }

    [Fact]
    public void Every_doc_order_returns_the_same_top_n()
    {
        var reference = shop.ByOrder(DocOrder.TitleLength);
        var rng = new Random(4);
        foreach (var query in Queries(60, seed: 6))
        {
            var p = shop.Products[rng.Next(shop.Products.Count)];
            foreach (var r in Variants(query, p))
            {
                var expected = reference.Recall(r);
                foreach (var order in Enum.GetValues<DocOrder>()) AssertSameTopN(expected, shop.ByOrder(order).Recall(r), r);
            }
        }
    }

    [Fact]
    public void An_index_merged_into_one_segment_returns_the_same_top_n()
    {
        using var merged = ProductIndex.Build(shop.Products, new IndexOptions { MergeToOneSegment = true });
        Assert.Single(merged.Reader.Leaves);
        var rng = new Random(5);
        foreach (var query in Queries(40, seed: 7))
        {
            var p = shop.Products[rng.Next(shop.Products.Count)];
            foreach (var r in Variants(query, p))
            {
                var actual = merged.Recall(r);
                AssertSameTopN(merged.RecallWithLucene(r), actual, r);
                AssertSameTopN(_index.Recall(r), actual, r);
            }
        }
    }

    [Fact]
    public void Category_order_gives_products_of_a_category_neighbouring_doc_ids()
    {
        // Changes of category from one doc id to the next: about one per product in input or length order.
        static int Changes(ProductIndex index)
        {
            var changes = 0;
            string? previous = null;
            foreach (var p in index.Products())
            {
                if (previous is not null && previous != p.CategoryPath) changes++;
                previous = p.CategoryPath;
            }
            return changes;
        }
        var categories = shop.Products.Select(p => p.CategoryPath).Distinct().Count();
        var byLength = Changes(shop.ByOrder(DocOrder.TitleLength));
        var byCategory = Changes(shop.ByOrder(DocOrder.Category));
        Assert.True(byLength > shop.Products.Count / 2, $"{byLength} changes in length order");
        // Two indexing threads take nearby chunks of the order and Lucene interleaves their documents, so the order
        // is kept only roughly (observed 300-600 changes for 52 categories here), still a tenth of length order's.
        Assert.True(byCategory < byLength / 5, $"{byCategory} changes in category order against {byLength} in length order, {categories} categories");
    }

    private void CheckParity(ProductIndex index)
    {
        var rng = new Random(3);
        var checkedLists = 0;
        foreach (var query in Queries(90, seed: 1))
        {
            var p = shop.Products[rng.Next(shop.Products.Count)];
            foreach (var fields in Enum.GetValues<RecallFields>())
            {
                foreach (var request in Variants(query, p))
                {
                    var r = request with { Fields = fields };
                    var actual = index.Recall(r);
                    AssertSameTopN(index.RecallWithLucene(r), actual, r);
                    if (actual.Count == r.TopN) AssertCutOffTiesAreReal(index.RecallWithLucene(r with { TopN = r.TopN + 100 }), actual, r);
                    checkedLists++;
                }
            }
        }
        Assert.True(checkedLists > 2000);
    }

    [Fact]
    public void Field_scores_match_the_exhaustive_evaluation()
    {
        foreach (var query in Queries(30, seed: 2))
        {
            var r = new RecallRequest(query) { TopN = 50 };
            var expected = _index.RecallWithLucene(r).ToDictionary(c => c.ProductId);
            foreach (var c in _index.Recall(r))
            {
                if (!expected.TryGetValue(c.ProductId, out var e)) continue; // a near tie at the cut-off
                AssertClose(e.Fields.Title, c.Fields.Title, r);
                AssertClose(e.Fields.Bigram, c.Fields.Bigram, r);
                AssertClose(e.Fields.Brand, c.Fields.Brand, r);
                AssertClose(e.Fields.Category, c.Fields.Category, r);
                AssertClose(e.Fields.Attributes, c.Fields.Attributes, r);
            }
        }
    }

    [Fact]
    public void Equal_scores_keep_input_order()
    {
        // Many products share a category word; equal-scoring ones must come in catalog order.
        var hits = _index.Recall(new RecallRequest(shop.Products[0].Category[^1]) { TopN = 500, Fields = RecallFields.Title });
        var position = shop.Products.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var ties = 0;
        for (var i = 1; i < hits.Count; i++)
        {
            if (hits[i].Score != hits[i - 1].Score) continue;
            ties++;
            Assert.True(position[hits[i - 1].ProductId] < position[hits[i].ProductId]);
        }
        Assert.True(ties > 0);
    }

    [Fact]
    public void MoreLikeThis_returns_what_lucene_returns_for_its_query_in_every_doc_order()
    {
        var rng = new Random(8);
        long pruned = 0, lists = 0;
        foreach (var order in Enum.GetValues<DocOrder>())
        {
            var index = shop.ByOrder(order);
            for (var i = 0; i < 150; i++)
            {
                var id = shop.Products[rng.Next(shop.Products.Count)].Id;
                var (query, doc) = index.MoreLikeThisQuery(id);
                Assert.NotNull(query);
                var k = i % 3 == 0 ? 1 : 10;
                var actual = index.MoreLikeThis(id, k);
                var work = index.LastMoreLikeThisWork;
                var expected = index.MoreLikeThisByLucene(query!, doc, k);
                Assert.DoesNotContain(actual, a => a.ProductId == id);
                // Scores are the same sums in another order: equal to rounding, near-ties in either order.
                AssertSameTopN(AsCandidates(expected), AsCandidates(actual), new RecallRequest("MoreLikeThis " + id) { TopN = k });
                pruned += work.Postings + work.Advances;
                foreach (var c in ((Lucene.Net.Search.BooleanQuery)query!).Clauses)
                    lists += index.Reader.DocFreq(((Lucene.Net.Search.TermQuery)c.Query).Term);
            }
        }
        // The evaluator ran (Lucene's path leaves no work behind) and skipped postings; at 12,000 products it reads
        // about 80 % of them, at 1M far fewer (bench cf-latency's similar items).
        Assert.True(pruned > 0 && pruned < lists, $"the pruned path read {pruned:N0} postings of {lists:N0}");
    }

    [Fact]
    public void MoreLikeThis_makes_the_query_lucene_makes_over_the_plain_reader_from_many_threads_at_once()
    {
        // Its words' document frequencies come from enumerators each thread keeps per segment and field and seeks
        // again (SharedTermsReader), not from a new one per look-up: the same query, clause for clause, while other
        // threads move their own enumerators over the same terms, and between look-ups of products and recalls.
        var ids = shop.Products.Where((_, i) => i % 40 == 0).Select(p => p.Id).ToList();
        var expected = ids.ToDictionary(id => id, id => _index.MoreLikeThisQuery(id, plainReader: true).Query!.ToString());
        var lists = ids.Take(50).ToDictionary(id => id, id => _index.MoreLikeThis(id, 10));
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            for (var i = 0; i < ids.Count; i++)
            {
                var id = ids[(i * 7 + w * 13) % ids.Count];
                Assert.Equal(expected[id], _index.MoreLikeThisQuery(id).Query!.ToString());
                Assert.Equal(id, _index.GetProduct(id)!.Id);
                if (lists.TryGetValue(id, out var list)) Assert.Equal(list, _index.MoreLikeThis(id, 10));
                _index.Recall(new RecallRequest(shop.Products[i].Title[..2]));
            }
        });
    }

    private static List<RecallCandidate> AsCandidates(IReadOnlyList<(string ProductId, float Score)> list) =>
        [.. list.Select((x, r) => new RecallCandidate(r, x.ProductId, x.Score, default))];

    [Fact]
    public void Pruning_reads_fewer_postings_than_the_query_lists_hold()
    {
        // A short common query: the exhaustive evaluation scores every posting of every term in every field. In
        // title-length order its products spread over all windows, shortest titles (best scores) first; in category
        // order they fill the same few windows of this small catalog, and those are read almost whole.
        var index = shop.ByOrder(DocOrder.TitleLength);
        var query = shop.Products[0].Category[^1];
        var all = index.Recall(new RecallRequest(query) { TopN = 100_000 });
        var full = index.LastRecallWork;
        index.Recall(new RecallRequest(query) { TopN = 10 });
        var pruned = index.LastRecallWork;
        Assert.True(all.Count > 100);
        Assert.True(pruned.Postings + pruned.Advances < full.Postings / 2, $"pruned {pruned.Postings}+{pruned.Advances}, full {full.Postings}");
        // Whole-block skips (SkippedBlocks) are not asserted: which blocks can be skipped depends on how the two
        // indexing threads split products into segments, which varies from run to run.
    }

    [Fact]
    public void A_reopened_index_loads_its_bounds_and_an_index_without_them_computes_them_on_demand()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        var products = shop.Products.Take(3000).ToList();
        string[] queries = ["女装", products[7].Title, products[9].Brand ?? "手机", "连衣裙 夏"];
        List<RecallCandidate>[] built;
        using (var index = ProductIndex.Build(products, new IndexOptions(), path))
        {
            Assert.True(index.Bounds.Precomputed);
            Assert.True(index.Bounds.StoredTerms > 0);
            built = [.. queries.Select(q => index.Recall(new RecallRequest(q)).ToList())];
        }
        Assert.True(File.Exists(Path.Combine(path, TermBounds.FileName)));
        using (var reopened = ProductIndex.Open(path))
        {
            Assert.True(reopened.Bounds.Precomputed);
            for (var i = 0; i < queries.Length; i++) Assert.Equal(built[i], reopened.Recall(new RecallRequest(queries[i])));
        }
        File.Delete(Path.Combine(path, TermBounds.FileName));
        using (var old = ProductIndex.Open(path))
        {
            Assert.False(old.Bounds.Precomputed);
            for (var i = 0; i < queries.Length; i++) Assert.Equal(built[i], old.Recall(new RecallRequest(queries[i])));
        }
    }

    [Fact]
    public void A_truncated_bounds_file_is_reported_by_name()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(shop.Products.Take(500), new IndexOptions(), path).Dispose();
        var file = Path.Combine(path, TermBounds.FileName);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ProductIndex.Open(path));
        Assert.Contains(TermBounds.FileName, e.Message);
    }

    [Fact]
    public void A_rebuild_that_fails_leaves_the_old_index_its_bounds()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        var products = shop.Products.Take(500).ToList();
        ProductIndex.Build(products, new IndexOptions(), path).Dispose();
        var files = Directory.GetFiles(path).ToDictionary(f => f, File.ReadAllBytes);

        var badSynonyms = new IndexOptions { SynonymsPath = dir.Write("synonyms.txt", "=>\n") };
        Assert.ThrowsAny<Exception>(() => ProductIndex.Build(products, badSynonyms, path));
        Assert.Throws<ArgumentException>(() => ProductIndex.Build([.. products, products[0]], new IndexOptions(), path));

        Assert.Equal(files.Keys.Order(), Directory.GetFiles(path).Order());
        foreach (var (file, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(file));
        using var index = ProductIndex.Open(path);
        Assert.True(index.Bounds.Precomputed);
    }

    [Fact]
    public void Bounds_of_a_rebuilt_index_replace_the_old_ones()
    {
        using var dir = new TempDir();
        var path = dir.File("idx");
        ProductIndex.Build(shop.Products.Take(2000), new IndexOptions(), path).Dispose();
        ProductIndex.Build(shop.Products.Skip(2000).Take(500), new IndexOptions { B = 0.5f }, path).Dispose();
        using var reopened = ProductIndex.Open(path);
        Assert.True(reopened.Bounds.Precomputed);
        var r = new RecallRequest(shop.Products[2100].Title);
        AssertSameTopN(reopened.RecallWithLucene(r), reopened.Recall(r), r);
    }

    private static void AssertClose(float expected, float actual, RecallRequest r) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5f * Math.Max(1f, Math.Abs(expected)), $"{expected} vs {actual} for {r}");

    /// <summary>
    /// Same length, scores rank by rank within 1e-5, and the same ids in the same order except among products whose
    /// scores differ by less than float rounding (the two evaluations add the same terms in different orders).
    /// </summary>
    internal static void AssertSameTopN(IReadOnlyList<RecallCandidate> expected, IReadOnlyList<RecallCandidate> actual, RecallRequest r)
    {
        Assert.True(expected.Count == actual.Count, $"{expected.Count} vs {actual.Count} candidates for {r}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(i, actual[i].Rank);
            AssertClose(expected[i].Score, actual[i].Score, r);
        }
        var start = 0;
        while (start < expected.Count)
        {
            var end = start + 1;
            while (end < expected.Count && Near(expected[end - 1].Score, expected[end].Score)) end++;
            if (end < expected.Count || expected.Count < r.TopN)
            {
                // Away from the cut-off a near-tie group holds the same products; alone, in the same place.
                var want = expected.Skip(start).Take(end - start).Select(c => c.ProductId).Order(StringComparer.Ordinal);
                var got = actual.Skip(start).Take(end - start).Select(c => c.ProductId).Order(StringComparer.Ordinal);
                Assert.True(want.SequenceEqual(got), $"ranks {start}..{end - 1} differ for {r}: {Show(expected, start, end)} vs {Show(actual, start, end)}");
            }
            start = end;
        }
    }

    /// <summary>Products at the cut-off that the exhaustive top N left out tie (to rounding) with its last ones.</summary>
    private static void AssertCutOffTiesAreReal(IReadOnlyList<RecallCandidate> longer, IReadOnlyList<RecallCandidate> actual, RecallRequest r)
    {
        var last = actual[^1].Score;
        var ties = longer.Where(c => Near(c.Score, last)).Select(c => c.ProductId).ToHashSet();
        for (var i = actual.Count - 1; i >= 0 && Near(actual[i].Score, last); i--)
            Assert.True(ties.Contains(actual[i].ProductId), $"{actual[i].ProductId} at rank {i} is no near tie of the cut-off for {r}");
    }

    private static string Show(IReadOnlyList<RecallCandidate> list, int start, int end) =>
        string.Join(", ", list.Skip(start).Take(end - start).Select(c => $"{c.ProductId}:{c.Score:R}"));

    private static bool Near(float a, float b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a));
}
