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

    [Fact]
    public void Later_tower_warning_names_a_tower_that_learnt_from_events_at_or_after_the_first_timed_evaluated_query()
    {
        var context = Context(firstQueryTime: 1_511_000_000);
        var warning = RankingEvalState.LaterTowerWarning("models/deep", 1_511_000_000, context);
        Assert.NotNull(warning);
        Assert.StartsWith("warning: the behaviour tower in models/deep learnt from events up to 2017-11-18 10:13:20Z, at or after the first evaluated query (2017-11-18 10:13:20Z)", warning, StringComparison.Ordinal);
        Assert.Null(RankingEvalState.LaterTowerWarning("models/deep", 1_510_999_999, context));
        // Untimed queries are the whole-history warning's: only q2's time counts here.
        Assert.Null(RankingEvalState.LaterTowerWarning("models/deep", 1_511_500_000, Context(firstQueryTime: null)));
        Assert.NotNull(RankingEvalState.LaterTowerWarning("models/deep", 1_512_000_000, Context(firstQueryTime: null)));
    }
}
