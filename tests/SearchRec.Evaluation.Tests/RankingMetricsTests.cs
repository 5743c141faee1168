using SearchRec.Evaluation.Metrics;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class RankingMetricsTests
{
    private static readonly Dictionary<string, int> Grades = new() { ["a"] = 0, ["b"] = 2, ["c"] = 1, ["z"] = 1 };

    [Fact]
    public void Ndcg_matches_a_hand_computed_value_with_exponential_gain()
    {
        // DCG = (2^2-1)/log2(3) + (2^1-1)/log2(4) = 2.392789; ideal = 3/1 + 1/log2(3) + 1/log2(4) = 4.130930.
        var ndcg = RankingMetrics.Ndcg(["a", "b", "c"], Grades, 10);
        Assert.Equal((3 / Math.Log2(3) + 0.5) / (3 + 1 / Math.Log2(3) + 0.5), ndcg, 12);
        Assert.Equal(0.579237, ndcg, 5);
    }

    [Fact]
    public void Ndcg_cuts_both_the_ranking_and_the_ideal_at_k()
    {
        // k = 1: the first item is not relevant, so 0; a perfect first item gives 1 whatever follows.
        Assert.Equal(0, RankingMetrics.Ndcg(["a", "b"], Grades, 1));
        Assert.Equal(1, RankingMetrics.Ndcg(["b", "x"], Grades, 1), 12);
        // k = 2 with [b, c]: DCG = 3 + 1/log2(3); ideal = 3 + 1/log2(3) (only two slots).
        Assert.Equal(1, RankingMetrics.Ndcg(["b", "c"], Grades, 2), 12);
    }

    [Fact]
    public void Reciprocal_rank_is_one_over_the_first_relevant_position_within_k()
    {
        Assert.Equal(1.0 / 3, RankingMetrics.ReciprocalRank(["a", "x", "c", "b"], Grades, 10), 12);
        Assert.Equal(0, RankingMetrics.ReciprocalRank(["a", "x", "c"], Grades, 2));
        Assert.Equal(0, RankingMetrics.ReciprocalRank(new List<string>(), Grades, 10));
    }

    [Fact]
    public void Recall_counts_relevant_items_found_over_all_relevant_items()
    {
        // Relevant: b, c, z (a has grade 0).
        Assert.Equal(2.0 / 3, RankingMetrics.Recall(["b", "a", "c", "q"], Grades, 10), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.Recall(["b", "a", "c"], Grades, 2), 12);
        Assert.Equal(0, RankingMetrics.Recall(["b"], new Dictionary<string, int> { ["b"] = 0 }, 10));
    }

    [Fact]
    public void Hit_rate_is_one_when_any_relevant_item_is_in_the_top_k()
    {
        Assert.Equal(1, RankingMetrics.HitRate(["x", "z"], Grades, 2));
        Assert.Equal(0, RankingMetrics.HitRate(["x", "z"], Grades, 1));
    }

    [Fact]
    public void A_list_repeating_a_relevant_item_earns_for_it_once_so_no_metric_exceeds_one()
    {
        // c is relevant (grade 1) alone among these; the repeat keeps its slot but earns nothing.
        var grades = new Dictionary<string, int> { ["c"] = 1 };
        Assert.Equal(1, RankingMetrics.Hits(["c", "c", "c"], grades, 10));
        Assert.Equal(1, RankingMetrics.Recall(["c", "c"], grades, 10), 12);
        Assert.Equal(1, RankingMetrics.Ndcg(["c", "c"], grades, 10), 12);
        // b (grade 2) then a repeat of b, then z (grade 1): DCG = 3 + 1/log2(4); ideal = 3 + 1/log2(3) + 1/log2(4).
        Assert.Equal((3 + 0.5) / (3 + 1 / Math.Log2(3) + 0.5), RankingMetrics.Ndcg(["b", "b", "z"], Grades, 10), 12);
        Assert.Equal(2.0 / 3, RankingMetrics.Recall(["b", "b", "z"], Grades, 10), 12);
    }
}
