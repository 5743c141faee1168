using SearchRec.Core;
using Xunit;

namespace SearchRec.Index.Tests;

/// <summary>Conjunctive priming: the threshold it starts from is safe, and it changes no result.</summary>
public sealed class PrimingTests(SyntheticIndex shop) : IClassFixture<SyntheticIndex>
{
    private readonly ProductIndex _index = shop.Index;

    /// <summary>Multi-word pieces of titles (most products share some words, few share all), some with a typo.</summary>
    private IEnumerable<RecallRequest> Requests(int count, int seed)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var p = shop.Products[rng.Next(shop.Products.Count)];
            var len = Math.Min(p.Title.Length, rng.Next(2, 12));
            var piece = p.Title.Substring(rng.Next(p.Title.Length - len + 1), len);
            if (i % 4 == 3 && piece.Length > 2) piece = piece.Remove(rng.Next(piece.Length), 1).Insert(1, "\u9F98");
            var r = new RecallRequest(i % 5 == 4 ? p.Title : piece) { TopN = (i % 3) switch { 0 => 10, 1 => 50, _ => 200 } };
            yield return (i % 7) switch
            {
                5 => r with { Brand = p.Brand ?? "无" },
                6 => r with { PriceMin = (p.Price ?? 100) * 0.5, PriceMax = (p.Price ?? 100) * 1.5, Category = p.Category.Count > 0 ? p.Category[0] : "无" },
                _ => r,
            };
        }
    }

    [Fact]
    public void Priming_never_starts_above_the_final_n_th_score_and_often_starts_from_one()
    {
        var primed = 0;
        var full = 0;
        foreach (var r in Requests(600, seed: 9))
        {
            var hits = _index.Recall(r);
            var work = _index.LastRecallWork;
            if (hits.Count < r.TopN) continue;
            full++;
            Assert.Equal(hits[^1].Score, work.Theta);
            Assert.True(work.PrimeTheta <= work.Theta, $"'{r.Query}' top {r.TopN}: primed {work.PrimeTheta} above the final {work.Theta}");
            if (work.PrimeTheta > 0) primed++;
        }
        Assert.True(full > 200, $"only {full} requests filled their top N");
        // Short queries are primed (long ones have too many clauses): enough of them that the check above means something.
        Assert.True(primed >= 50, $"priming gave a threshold for {primed} of {full} requests");
    }

    [Fact]
    public void Results_are_identical_with_priming_on_and_off()
    {
        try
        {
            foreach (var r in Requests(400, seed: 4))
            {
                _index.RecallPriming = false;
                var off = _index.Recall(r);
                _index.RecallPriming = true;
                var on = _index.Recall(r);
                Assert.Equal(off.Count, on.Count);
                for (var i = 0; i < off.Count; i++)
                {
                    Assert.True(off[i].ProductId == on[i].ProductId && off[i].Score == on[i].Score && off[i].Fields == on[i].Fields,
                        $"'{r.Query}' top {r.TopN}, rank {i}: {off[i]} without priming, {on[i]} with it");
                }
            }
        }
        finally
        {
            _index.RecallPriming = true;
        }
    }

    [Fact]
    public void Results_are_identical_whatever_the_most_clauses_primed()
    {
        try
        {
            foreach (var r in Requests(200, seed: 8))
            {
                _index.RecallPrimeMaxClauses = Internals.MaxScoreEvaluator.DefaultPrimeMaxClauses;
                var usual = _index.Recall(r);
                _index.RecallPrimeMaxClauses = 64;
                var more = _index.Recall(r);
                Assert.Equal(usual, more);
            }
        }
        finally
        {
            _index.RecallPrimeMaxClauses = Internals.MaxScoreEvaluator.DefaultPrimeMaxClauses;
        }
    }
}
