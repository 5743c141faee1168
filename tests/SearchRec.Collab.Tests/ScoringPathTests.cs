using SearchRec.Collab.Models;
using SearchRec.Core.Events;
using Xunit;

namespace SearchRec.Collab.Tests;

/// <summary>The allocation-light scoring path keeps the documented meaning of each score.</summary>
public class ScoringPathTests
{
    private static readonly CollabModels Models = Fixture.Train();

    // a long history with repeats of items and categories, more distinct items than the per-thread tables start with
    private static List<UserEvent> LongHistory(long user, int n, int seed)
    {
        var rng = new Random(seed);
        var list = new List<UserEvent>();
        for (int k = 0; k < n; k++)
        {
            long item = rng.Next(3) == 0 ? 100 + rng.Next(10) : 10_000 + rng.Next(400);
            list.Add(new UserEvent(user, item, item < 10_000 ? 1 : 5 + item % 7, (Behavior)rng.Next(4), Fixture.T0 + k * 3600));
        }
        return list;
    }

    [Fact]
    public void Repeat_score_is_the_sum_of_each_events_decayed_weight_on_that_item()
    {
        var events = LongHistory(9, 150, 3);
        var h = new UserHistory(9, events);
        var o = Models.TrainedOptions;
        var expected = new Dictionary<long, double>();
        foreach (var e in events)
            expected[e.ItemId] = expected.GetValueOrDefault(e.ItemId) + o.Weight(e.Behavior) * Math.Pow(2, -(h.AsOf - e.Timestamp) / (o.HistoryHalfLifeDays * 86400.0));
        var items = expected.Keys.Append(999_999).ToArray();
        var scores = new float[items.Length];
        Models.Repeat.Score(h, items, scores);
        for (int j = 0; j < items.Length - 1; j++) Assert.Equal(expected[items[j]], scores[j], 1e-4);
        Assert.Equal(0f, scores[^1]);
    }

    [Fact]
    public void Als_top_lists_asked_again_of_one_history_match_a_fresh_computation_at_every_length()
    {
        var events = LongHistory(13, 80, 7);
        var shared = new UserHistory(13, events);
        int third = Models.ItemCount / 3;
        Assert.True(third >= 5, $"the fixture has {Models.ItemCount} items");
        var first = Models.Als.TopK(shared, third);
        Assert.Equal(third, first.Count);
        // Shorter, equal and longer lists from the same history (the kept list serves the first two), the blend that
        // asks for one inside, and one without history items: each as a history seen for the first time gives it.
        foreach (var k in new[] { 2, third, 2 * third })
            Assert.Equal(Models.Als.TopK(new UserHistory(13, events), k), Models.Als.TopK(shared, k));
        Assert.Equal(Models.Blend.TopK(new UserHistory(13, events), 20), Models.Blend.TopK(shared, 20));
        Assert.Equal(Models.Als.TopK(new UserHistory(13, events), 10, excludeHistory: true), Models.Als.TopK(shared, 10, excludeHistory: true));
        Assert.Equal(first, Models.Als.TopK(shared, third));
    }

    [Fact]
    public void Als_top_lists_are_the_best_items_over_every_item_although_the_scan_stops_early()
    {
        // 2,000 items with skewed popularity, so factor norms spread and the norm-ordered scan has something to skip
        var rng = new Random(11);
        var events = new List<UserEvent>();
        for (long u = 1; u <= 300; u++)
            for (int j = 0; j < 20; j++)
            {
                long item = 1 + (long)(2000 * Math.Pow(rng.NextDouble(), 3));
                events.Add(new UserEvent(u, item, 1 + item % 20, (Behavior)rng.Next(4), Fixture.T0 + u * 100 + j));
            }
        var models = CollabModels.Train(events, new CollabOptions { Factors = 16, AlsIterations = 5, Threads = 2 });
        var all = events.Select(e => e.ItemId).Distinct().ToArray();
        var scores = new float[all.Length];
        foreach (var user in new long[] { 3, 77, 150, 299 })
        {
            var history = events.Where(e => e.UserId == user).ToList();
            models.Als.Score(new UserHistory(user, history), all, scores);
            var ranked = all.Select((item, j) => (item, s: scores[j])).OrderByDescending(x => x.s).ThenBy(x => x.item).ToArray();
            var own = history.Select(e => e.ItemId).ToHashSet();
            foreach (var k in new[] { 1, 10, 50, all.Length })
            {
                Assert.Equal(ranked.Take(k).Select(x => new ScoredItem(x.item, x.s)), models.Als.TopK(new UserHistory(user, history), k));
                Assert.Equal(ranked.Where(x => !own.Contains(x.item)).Take(k).Select(x => new ScoredItem(x.item, x.s)),
                    models.Als.TopK(new UserHistory(user, history), k, excludeHistory: true));
            }
        }
    }

    [Fact]
    public void Category_score_follows_the_users_share_of_decayed_weight_in_that_category()
    {
        // two equal-age views in category 1 and one in category 2: category-1 items score higher at equal popularity
        var h = new UserHistory(5, [
            new UserEvent(5, 100, 1, Behavior.View, Fixture.T0), new UserEvent(5, 102, 1, Behavior.View, Fixture.T0),
            new UserEvent(5, 200, 2, Behavior.View, Fixture.T0)]);
        var scores = new float[3];
        Models.Category.Score(h, [103, 203, 999_999], scores);
        Assert.True(scores[0] > scores[1], $"{scores[0]} vs {scores[1]}");
        Assert.True(float.IsNaN(scores[2]));
    }

    [Fact]
    public void Histories_longer_than_the_scratch_tables_score_the_same_as_a_fresh_build_each_time()
    {
        var events = LongHistory(11, 600, 5); // 600 > MaxHistory: only the most recent 200 count
        foreach (var name in CollabModels.ScorerNames)
        {
            var a = new float[50];
            var b = new float[50];
            var items = Enumerable.Range(0, 50).Select(i => i % 2 == 0 ? 100L + i % 10 : 200L + i % 10).ToArray();
            Models.Scorer(name).Score(new UserHistory(11, events), items, a);
            Models.Scorer(name).Score(new UserHistory(11, LongHistory(12, 30, 8)), items, new float[50]); // reuse the per-thread tables
            Models.Scorer(name).Score(new UserHistory(11, events), items, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void One_history_shared_by_parallel_requests_gives_every_thread_the_same_scores()
    {
        var items = Enumerable.Range(0, 40).Select(i => i < 20 ? 100L + i % 10 : 200L + i % 10).ToArray();
        var reference = new Dictionary<string, float[]>();
        foreach (var name in CollabModels.ScorerNames)
        {
            var s = new float[items.Length];
            Models.Scorer(name).Score(new UserHistory(3, LongHistory(3, 80, 9)), items, s);
            reference[name] = s;
        }
        for (int round = 0; round < 20; round++)
        {
            var shared = new UserHistory(3, LongHistory(3, 80, 9)); // lazily built parts race here
            Parallel.ForEach(CollabModels.ScorerNames.Concat(CollabModels.ScorerNames), new ParallelOptions { MaxDegreeOfParallelism = 4 }, name =>
            {
                var s = new float[items.Length];
                Models.Scorer(name).Score(shared, items, s);
                Assert.Equal(reference[name], s);
            });
        }
    }

    // 40 categories of 30 items; each user's events spread over a dozen of them, several at the same time and
    // behaviour, so categories tie in the user's shares.
    private static readonly Lazy<(CollabModels Models, List<UserEvent> Events)> ManyCategories = new(() =>
    {
        var rng = new Random(21);
        var events = new List<UserEvent>();
        for (long u = 1; u <= 120; u++)
            for (int j = 0; j < 25; j++)
            {
                long cat = 1 + (u * 7 + rng.Next(12)) % 40;
                events.Add(new UserEvent(u, cat * 1000 + rng.Next(30), cat, (Behavior)(j % 3 == 0 ? 0 : rng.Next(4)), Fixture.T0 + (j / 4) * 3600));
            }
        return (CollabModels.Train(events, new CollabOptions { Factors = 8, AlsIterations = 3, Threads = 2 }), events);
    });

    [Fact]
    public void Category_top_lists_are_the_best_items_of_the_users_five_largest_categories_ties_in_first_seen_order()
    {
        // The reference: the user's decayed category shares summed as the profile sums them (float, in event order),
        // the five largest by a stable sort, the k + distinct-history-items most popular items of each, the best k
        // of those by the category score, ties to the smaller id.
        var (models, trained) = ManyCategories.Value;
        var o = models.TrainedOptions;
        // User 999 viewed one item in each of seven categories at one time: seven equal shares, of which the first
        // five seen are kept.
        var events = trained.Concat(Enumerable.Range(0, 7).Select(c => new UserEvent(999, (11 + c) * 1000L, 11 + c, Behavior.View, Fixture.T0))).ToList();
        foreach (long user in new long[] { 1, 2, 17, 64, 119, 999 })
        {
            var h = new UserHistory(user, events.Where(e => e.UserId == user));
            var considered = h.Events.ToArray().Take(o.MaxHistory).ToArray();
            double hl = o.HistoryHalfLifeDays * 86400.0;
            var weight = new Dictionary<long, float>();
            float total = 0;
            foreach (var e in considered)
            {
                float w = (float)(o.Weight(e.Behavior) * Math.Pow(2, -Math.Max(0, h.AsOf - e.Timestamp) / hl));
                weight[e.CategoryId] = weight.GetValueOrDefault(e.CategoryId) + w;
                total += w;
            }
            var five = weight.Keys.OrderByDescending(c => weight[c] / total).Take(5).ToList();
            var distinct = considered.Select(e => e.ItemId).Distinct().Count();
            var own = considered.Select(e => e.ItemId).ToHashSet();
            foreach (var k in new[] { 1, 5, 20, 60 })
            {
                var candidates = five.SelectMany(c => models.TopKInCategory(c, k + distinct)).Select(x => x.ItemId).ToArray();
                var scores = new float[candidates.Length];
                models.Category.Score(h, candidates, scores);
                var ranked = candidates.Zip(scores).Where(x => !float.IsNaN(x.Second)).OrderByDescending(x => x.Second).ThenBy(x => x.First).ToList();
                Assert.Equal(ranked.Take(k).Select(x => new ScoredItem(x.First, x.Second)), models.Category.TopK(new UserHistory(user, events.Where(e => e.UserId == user)), k));
                Assert.Equal(ranked.Where(x => !own.Contains(x.First)).Take(k).Select(x => new ScoredItem(x.First, x.Second)),
                    models.Category.TopK(new UserHistory(user, events.Where(e => e.UserId == user)), k, excludeHistory: true));
            }
        }
    }

    [Fact]
    public void The_blend_top_list_ranks_the_union_of_its_sources_lists_whatever_the_thread_asked_before()
    {
        // The blend pools the candidates of its five sources in a set the thread keeps for its next call: the list
        // is the best k by the blend's score over this user's pool alone, after a list of another user's.
        var (models, events) = ManyCategories.Value;
        UserHistory History(long user) => new(user, events.Where(e => e.UserId == user));
        foreach (var (user, before) in new[] { (5L, 100L), (100L, 5L), (33L, 90L), (90L, 33L) })
            foreach (var k in new[] { 3, 60, 150 })
                foreach (var exclude in new[] { false, true })
                {
                    models.Blend.TopK(History(before), 1000); // leaves the thread another user's pool of most items
                    var h = History(user);
                    var own = h.Events.ToArray().Select(e => e.ItemId).ToHashSet();
                    var pool = models.Repeat.TopK(h, Math.Max(k, 200)).Concat(models.ItemItem.TopK(h, Math.Max(k, 200))).Concat(models.Als.TopK(h, k))
                        .Concat(models.Category.TopK(h, k)).Concat(models.Popularity.TopK(h, k)).Select(x => x.ItemId).Distinct().ToArray();
                    var scores = new float[pool.Length];
                    models.Blend.Score(h, pool, scores);
                    var expected = pool.Zip(scores).Where(x => !float.IsNaN(x.Second) && !(exclude && own.Contains(x.First)))
                        .OrderByDescending(x => x.Second).ThenBy(x => x.First).Take(k).Select(x => new ScoredItem(x.First, x.Second));
                    Assert.Equal(expected, models.Blend.TopK(History(user), k, excludeHistory: exclude));
                }
    }

    [Fact]
    public void Top_lists_are_the_same_whatever_lists_a_thread_made_before_them_and_on_any_thread()
    {
        // Each thread keeps the heap of its last top list, and the blend its pool of candidates, for the next request:
        // a list asked alone, after lists of other users and lengths (a larger heap, or one too large to keep), and on
        // other threads at once, must be the same list.
        var (models, events) = ManyCategories.Value;
        var users = new long[] { 3, 40, 77, 118 };
        int[] lengths = [1, 10, 50, 300, 1500];
        UserHistory History(long user) => new(user, events.Where(e => e.UserId == user));
        var alone = new Dictionary<(string, long, int), IReadOnlyList<ScoredItem>>();
        foreach (var name in CollabModels.ScorerNames)
            foreach (var user in users)
                foreach (var k in lengths)
                    alone[(name, user, k)] = models.Scorer(name).TopK(History(user), k);
        Assert.Contains(alone, kv => kv.Value.Count > 50);
        var keys = alone.Keys.ToList();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            var rng = new Random(w);
            for (int i = 0; i < 300; i++)
            {
                var (name, user, k) = keys[rng.Next(keys.Count)];
                Assert.Equal(alone[(name, user, k)], models.Scorer(name).TopK(History(user), k));
            }
        });
    }

    [Fact]
    public void Als_top_k_lists_the_items_with_the_highest_als_scores_in_order_on_every_call()
    {
        var h = new UserHistory(4, LongHistory(4, 40, 11));
        var all = Enumerable.Range(100, 10).Concat(Enumerable.Range(200, 10)).Append(300).Select(i => (long)i).ToArray();
        var scores = new float[all.Length];
        Models.Als.Score(h, all, scores);
        var expected = all.Zip(scores).OrderByDescending(t => t.Second).ThenBy(t => t.First).Take(5).Select(t => t.First).ToArray();
        for (int round = 0; round < 3; round++) // later calls reuse a pooled buffer
            Assert.Equal(expected, Models.Als.TopK(new UserHistory(4, LongHistory(4, 40, 11)), 5).Select(s => s.ItemId));
    }
}
