using SearchRec.Core;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using Xunit;

namespace SearchRec.Evaluation.Tests;

/// <summary>The warning that untimed queries feed their users' whole histories (later behaviour included) to the behaviour tower.</summary>
public sealed class WholeHistoryWarningTests
{
    // q1 and q4 name a user and carry no time, but q4 has no relevant judgment (not evaluated); q2 is timed; q3 names no user.
    private static EvalContext Context(long? firstQueryTime)
    {
        var products = new List<Product> { Product.Of("d1", "shoe 1") };
        var queries = new List<EvalQuery>
        {
            new("q1", "shoe") { UserId = 1, Timestamp = firstQueryTime },
            new("q2", "shoe red") { UserId = 2, Timestamp = 1_512_000_000 },
            new("q3", "shoe blue"),
            new("q4", "shoe green") { UserId = 4 },
        };
        var qrels = new Qrels();
        foreach (var q in new[] { "q1", "q2", "q3" }) qrels.Set(q, "d1", 1);
        qrels.Set("q4", "d1", 0);
        return new EvalContext(new FakeRecall(products), products, queries, qrels);
    }

    [Fact]
    public void Whole_history_warning_counts_the_evaluated_queries_with_users_that_carry_no_time_and_names_the_tower()
    {
        var warning = RankingEvalState.WholeHistoryWarning("models/deep", Context(firstQueryTime: null));
        Assert.NotNull(warning);
        Assert.StartsWith("warning: 1 of the 2 evaluated queries with users carry no time, so their users' whole histories, behaviour after the queries included", warning, StringComparison.Ordinal);
        Assert.Contains("feed the behaviour tower's user–item scores (models/deep)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_history_warning_is_null_when_every_evaluated_query_with_a_user_carries_a_time()
    {
        Assert.Null(RankingEvalState.WholeHistoryWarning("models/deep", Context(firstQueryTime: 1_511_000_000)));
    }
}
