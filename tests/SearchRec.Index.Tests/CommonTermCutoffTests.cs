using Xunit;

namespace SearchRec.Index.Tests;

/// <summary>
/// A long query's common terms only score products that match a rarer term (<see cref="IndexOptions.LongQueryWords"/>,
/// <see cref="IndexOptions.CommonTermCutoff"/>); short queries are untouched. Parity with Lucene under the cutoff is
/// checked by <see cref="MaxScoreRecallTests"/> (its queries include pasted titles).
/// </summary>
public sealed class CommonTermCutoffTests(SyntheticIndex shop) : IClassFixture<SyntheticIndex>
{
    private readonly ProductIndex _index = shop.Index;

    private IEnumerable<RecallRequest> Pasted(int count, int seed)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var p = shop.Products[rng.Next(shop.Products.Count)];
            var other = shop.Products[rng.Next(shop.Products.Count)].Title;
            yield return new RecallRequest(p.Title + " " + other[..Math.Min(other.Length, 6)]) { TopN = i % 2 == 0 ? 50 : 200 };
        }
    }

    [Fact]
    public void Long_queries_under_the_cutoff_match_the_lucene_reference_and_keep_most_of_the_exact_top_n()
    {
        var words = _index.LongQueryWords;
        var cut = 0;
        double kept = 0;
        try
        {
            foreach (var r in Pasted(60, seed: 31))
            {
                _index.LongQueryWords = 0;
                var exact = _index.Recall(r);
                _index.LongQueryWords = words;
                var approx = _index.Recall(r);
                var lucene = _index.RecallWithLucene(r);
                Assert.Equal(lucene.Select(c => c.ProductId).ToHashSet(), approx.Select(c => c.ProductId).ToHashSet());
                if (exact.Count == 0) continue;
                // The head: the exact top 10 should still be found.
                var head = exact.Take(10).Select(c => c.ProductId).ToList();
                kept += head.Count(approx.Select(c => c.ProductId).ToHashSet().Contains) / (double)head.Count;
                if (!exact.SequenceEqual(approx)) cut++;
            }
        }
        finally
        {
            _index.LongQueryWords = words;
        }
        // The cutoff must do something on pasted titles, and what it drops must be the tail.
        Assert.True(cut > 0, "the cutoff changed no pasted-title result");
        Assert.True(kept / 60 > 0.8, $"the cutoff kept {kept / 60:P0} of the exact top 10");
    }

    [Fact]
    public void Short_queries_are_exact_whatever_the_cutoff()
    {
        var words = _index.LongQueryWords;
        var rng = new Random(5);
        try
        {
            for (var i = 0; i < 150; i++)
            {
                var p = shop.Products[rng.Next(shop.Products.Count)];
                var len = Math.Min(p.Title.Length, rng.Next(2, 9));
                var r = new RecallRequest(p.Title.Substring(rng.Next(p.Title.Length - len + 1), len));
                _index.LongQueryWords = 0;
                var exact = _index.Recall(r);
                _index.LongQueryWords = words;
                Assert.Equal(exact, _index.Recall(r));
            }
        }
        finally
        {
            _index.LongQueryWords = words;
        }
    }
}
