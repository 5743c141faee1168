using SearchRec.Evaluation.Statistics;
using SearchRec.Evaluation.Trec;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class RunComparisonTests
{
    [Fact]
    public void Comparing_a_run_with_itself_gives_zero_deltas_and_p_one()
    {
        var run = new TrecRun("a");
        run.Set("1", [("d1", 2f), ("d2", 1f)]);
        run.Set("2", [("d5", 1f)]);
        var qrels = new Qrels();
        qrels.Set("1", "d2", 1);
        qrels.Set("2", "d5", 2);
        var c = RunComparison.Compare(run, run, qrels);
        Assert.Equal(2, c.Queries);
        Assert.All(c.Metrics, m => { Assert.Equal(0, m.Delta); Assert.Equal(1, m.PValue); Assert.Equal(0, m.Wins + m.Losses); });
    }

    [Fact]
    public void Comparing_with_a_run_that_finds_every_answer_first_shows_the_gain()
    {
        var qrels = new Qrels();
        var weak = new TrecRun("weak");
        var strong = new TrecRun("strong");
        for (var q = 0; q < 40; q++)
        {
            qrels.Set("q" + q, "hit" + q, 1);
            weak.Set("q" + q, [.. Enumerable.Range(0, 20).Select(i => ("miss" + i, 20f - i)), ("hit" + q, 0f)]);
            strong.Set("q" + q, [("hit" + q, 5f)]);
        }
        var c = RunComparison.Compare(weak, strong, qrels);
        var mrr = c.Metrics.Single(m => m.Metric == "mrr@10");
        Assert.Equal(0, mrr.MeanA);
        Assert.Equal(1, mrr.MeanB);
        Assert.Equal(40, mrr.Wins);
        Assert.True(mrr.PValue < 0.001);
        Assert.Equal(1, c.Metrics.Single(m => m.Metric == "recall@100").PValue);
    }
}
