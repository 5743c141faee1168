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
}
