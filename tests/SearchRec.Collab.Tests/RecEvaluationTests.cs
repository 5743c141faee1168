using SearchRec.Collab.Models;
using SearchRec.Core.Events;
using SearchRec.Evaluation.Recommendation;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Collab.Tests;

public class RecEvaluationTests
{
    [Fact]
    public void Events_before_the_cut_train_and_test_users_items_after_it_are_the_truth()
    {
        UserEvent E(long u, long i, long t) => new(u, i, 1, Behavior.View, t);
        var events = new[] { E(1, 10, 100), E(1, 11, 200), E(2, 10, 150), E(1, 12, 300), E(2, 13, 400), E(3, 14, 500) };
        var split = RecSplit.Create(events, 250, new HashSet<long> { 1, 2 });
        Assert.Equal(3, split.Train.Count);
        Assert.Equal(2, split.Test.Count);
        var u1 = split.Test.Single(t => t.UserId == 1);
        Assert.Equal(new long[] { 10, 11 }, u1.History.Select(e => e.ItemId));
        Assert.Equal(new HashSet<long> { 12 }, u1.Truth);
    }

    [Fact]
    public void Lists_from_any_model_are_scored_per_user_and_a_wrong_count_is_refused()
    {
        UserEvent E(long u, long i, long t) => new(u, i, 1, Behavior.View, t);
        var split = RecSplit.Create([E(1, 10, 100), E(1, 12, 300), E(2, 10, 150), E(2, 13, 400)], 250, new HashSet<long> { 1, 2 });
        // User 1's truth (12) is first; user 2's truth (13) is missed.
        var r = RecEvaluator.Score("lists", split, [[12, 10], [10, 11]], [1, 2], catalogItems: 4);
        Assert.Equal(2, r.Users);
        Assert.Equal(0.5, r.Metrics["hr@1"]);
        Assert.Equal(0.5, r.Metrics["ndcg@2"]);
        Assert.Equal(0.75, r.Metrics["coverage@2"]);
        var first = split.Test.FindIndex(t => t.UserId == 1);
        Assert.Equal(1.0, r.PerUser["hr@1"][first]);
        Assert.Equal(0.0, r.PerUser["ndcg@2"][1 - first]);
        Assert.False(r.PerUser.ContainsKey("coverage@2")); // a catalogue figure, not a user's
        var e = Assert.Throws<ArgumentException>(() => RecEvaluator.Score("lists", split, [[12]], [1], 4));
        Assert.Contains("2 test users", e.Message);
    }

    [Fact]
    public void A_list_repeating_a_true_item_scores_it_once_so_recall_and_ndcg_stay_at_most_one()
    {
        UserEvent E(long u, long i, long t) => new(u, i, 1, Behavior.View, t);
        var split = RecSplit.Create([E(1, 10, 100), E(1, 12, 300), E(1, 13, 300)], 250, new HashSet<long> { 1 });
        // Truth {12, 13}; the list finds 12 twice and never 13.
        var r = RecEvaluator.Score("lists", split, [[12, 12, 10]], [3], catalogItems: 3);
        Assert.Equal(0.5, r.Metrics["recall@3"], 12);
        Assert.Equal(1 / (1 + 1 / Math.Log2(3)), r.Metrics["ndcg@3"], 12);
        Assert.Equal(2.0 / 3, r.Metrics["coverage@3"], 12);
    }

    [Fact]
    public void Repeat_scores_a_perfect_hit_when_users_come_back_to_their_only_item()
    {
        var events = new List<UserEvent>();
        for (long u = 1; u <= 10; u++)
        {
            events.Add(new UserEvent(u, 100 + u, 1, Behavior.View, 1000));
            events.Add(new UserEvent(u, 100 + u, 1, Behavior.Buy, 3000));
        }
        var split = RecSplit.Create(events, 2000, Enumerable.Range(1, 10).Select(i => (long)i).ToHashSet());
        var models = CollabModels.Train(split.Train, new CollabOptions { SkipAls = true });
        var repeat = RecEvaluator.Evaluate(models, split, "repeat", [1, 5]);
        Assert.Equal(10, repeat.Users);
        Assert.Equal(1.0, repeat.Metrics["hr@1"]);
        Assert.Equal(1.0, repeat.Metrics["ndcg@5"]);
        Assert.Equal(1.0, repeat.Metrics["coverage@1"]);
        var pop = RecEvaluator.Evaluate(models, split, "popularity", [1]);
        Assert.True(pop.Metrics["hr@1"] < 0.5);
    }

    [Fact]
    public void Test_users_are_read_from_an_id_list_or_an_events_csv_and_a_line_that_is_no_user_id_is_named()
    {
        using var dir = new TempDir();
        Assert.Equal(new HashSet<long> { 5, 7 }, RecEvaluator.ReadUserIds(dir.Write("u.txt", "5\n7\n\n")));
        Assert.Equal(new HashSet<long> { 1, 2 }, RecEvaluator.ReadUserIds(dir.Write("e.csv", "user_id,item_id\n1,10,100,pv,1\n2,10,100,pv,1\n1,3,4,buy,5\n")));
        var skipped = new List<string>();
        var path = dir.Write("users.txt", "abc\n100030\n\n7 x\n");
        Assert.Equal(new HashSet<long> { 100030, 7 }, RecEvaluator.ReadUserIds(path, skipped.Add));
        Assert.Equal([$"{path}:1: 'abc' is not a user id; line skipped"], skipped);
        var none = Assert.Throws<InvalidDataException>(() => RecEvaluator.ReadUserIds(dir.Write("none.txt", "abc\n\n")));
        Assert.StartsWith($"{dir.File("none.txt")} lists no user id", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_user_split_is_seeded_and_takes_the_fraction()
    {
        var users = Enumerable.Range(1, 100).Select(i => (long)i).ToList();
        var a = RecEvaluator.SplitUsers(users, 0.2, 42);
        Assert.Equal(20, a.Count);
        Assert.Equal(a, RecEvaluator.SplitUsers(users, 0.2, 42));
        Assert.NotEqual(a, RecEvaluator.SplitUsers(users, 0.2, 43));
    }
}
