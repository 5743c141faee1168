using SearchRec.Collab.Models;
using SearchRec.Core.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.NextItem;
using SearchRec.Ranking.Training;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class NextItemTests
{
    private const long Day = 86_400;
    private const long T0 = 1_512_000_000;

    // 30 users over 4 days: each views items 100+u%5 and 200+u%7, then carts 300+u%3 late on each day.
    private static List<UserEvent> Events()
    {
        var events = new List<UserEvent>();
        for (var u = 1; u <= 30; u++)
            for (var d = 0; d < 4; d++)
            {
                var t = T0 + d * Day + u * 60;
                events.Add(new UserEvent(u, 100 + u % 5, 1, Behavior.View, t));
                events.Add(new UserEvent(u, 200 + u % 7, 2, Behavior.View, t + 600));
                events.Add(new UserEvent(u, 300 + u % 3, 3, Behavior.Cart, t + 40_000));
            }
        return events;
    }

    private static NextItemSources SourcesAt(List<UserEvent> events, long time)
    {
        var before = events.Where(e => e.Timestamp < time).ToList();
        return new NextItemSources(CollabModels.Train(before, new CollabOptions { Factors = 4, AlsIterations = 1, Threads = 1 }), ItemActivity.Build(before));
    }

    [Fact]
    public void Candidates_describe_what_the_user_did_with_each_item_and_leave_untouched_items_unknown()
    {
        var events = Events();
        var cut = T0 + 3 * Day;
        var src = SourcesAt(events, cut);
        var hist = events.Where(e => e.UserId == 7 && e.Timestamp < cut).OrderByDescending(e => e.Timestamp).ToArray();
        var (items, f) = NextItemRanking.Candidates(src, new Collab.Models.UserHistory(7, hist, cut), 5);
        var s = NextItemRanking.Schema;
        Assert.Equal(items.Length * s.Count, f.Length);
        float At(long item, string col) => f[Array.IndexOf(items, item) * s.Count + s.IndexOf(col)];
        Assert.Contains(301L, items); // 300 + 7 % 3: the last item, carted
        Assert.Equal((float)(int)Behavior.Cart, At(301, "last_behaviour"));
        Assert.Equal(MathF.Log2(2), At(301, "recency_rank"));
        Assert.Equal(3f, At(301, "user_carts"));
        Assert.Equal(MathF.Log2(3), At(200, "recency_rank")); // 200 + 7 % 7, viewed before the cart
        Assert.Equal(1f, At(301, "category_is_latest"));
        var other = items.First(i => !hist.Any(e => e.ItemId == i));
        Assert.True(float.IsNaN(At(other, "hours_since_touch")));
        Assert.True(float.IsNaN(At(other, "last_behaviour")));
        Assert.Equal(0f, At(other, "user_views"));
        Assert.True(float.IsNaN(At(301, "deep_user_item"))); // no tower given
        Assert.Equal(0f, At(301, "has_deep_user"));
        // Each item was touched once a day on three days; the views of 102 and 200 share a session, the cart is hours later.
        Assert.Equal(3f, At(301, "days_touched"));
        Assert.Equal(3f, At(301, "sessions_touched"));
        Assert.Equal(3f, At(102, "sessions_touched"));
        Assert.Equal(0f, At(other, "days_touched"));
    }

    [Fact]
    public void Touches_in_one_session_count_as_one_day_and_one_session()
    {
        var events = Events();
        var cut = T0 + 3 * Day;
        // User 7 also views item 102 three more times right after its first view on the last day.
        var last = T0 + 2 * Day + 7 * 60;
        events.AddRange([new UserEvent(7, 102, 1, Behavior.View, last + 30), new UserEvent(7, 102, 1, Behavior.View, last + 60), new UserEvent(7, 102, 1, Behavior.View, last + 90)]);
        var hist = events.Where(e => e.UserId == 7 && e.Timestamp < cut).OrderByDescending(e => e.Timestamp).ToArray();
        var (items, f) = NextItemRanking.Candidates(SourcesAt(events, cut), new Collab.Models.UserHistory(7, hist, cut), 5);
        var s = NextItemRanking.Schema;
        float At(long item, string col) => f[Array.IndexOf(items, item) * s.Count + s.IndexOf(col)];
        Assert.Equal(6f, At(102, "user_views"));
        Assert.Equal(3f, At(102, "days_touched"));
        Assert.Equal(3f, At(102, "sessions_touched"));
    }

    [Fact]
    public void Training_labels_are_binary_and_cover_any_behaviour_in_the_window_after_the_inner_cut()
    {
        var events = Events();
        var innerCut = T0 + 2 * Day;
        var b = new RankingDatasetBuilder(NextItemRanking.Schema);
        NextItemRanking.AddTrainingData(b, SourcesAt(events, innerCut), events, innerCut, innerCut + Day, new HashSet<long> { 1 }, 5);
        var data = b.Build();
        Assert.Equal(29, data.Groups.Count); // user 1 excluded
        Assert.All(data.Labels, l => Assert.True(l is 0f or 1f));
        var g = data.Groups.First(x => x.QueryId.StartsWith("7@", StringComparison.Ordinal));
        var positives = Enumerable.Range(g.Start, g.Count).Where(r => data.Labels[r] > 0).Select(r => data.Items[r]).Order().ToArray();
        Assert.Equal(["102", "200", "301"], positives); // viewed, viewed and carted the next day
        Assert.Equal(3, g.Judgments.Count);

        // A combiner that sorts by the repeat score puts the three repeated items first: nDCG@20 of 1.
        var w = new float[NextItemRanking.Schema.Count];
        w[NextItemRanking.Schema.IndexOf("user_views")] = 1;
        w[NextItemRanking.Schema.IndexOf("user_carts")] = 1;
        var byHistory = new Models.LinearRanker(NextItemRanking.Schema, new float[w.Length], Enumerable.Repeat(1f, w.Length).ToArray(), w, 0);
        Assert.Equal(1.0, NextItemRanking.MeanNdcg(byHistory, data, 20), 6);
    }

    [Fact]
    public void Ideal_weights_divide_the_pooled_truths_ideal_dcg_by_that_of_all_truths_as_the_metric_does()
    {
        Assert.Equal(1 / (1 + 1 / Math.Log2(3) + 0.5), NextItemRanking.IdealWeight(1, 3, 20), 6);
        Assert.Equal(1f, NextItemRanking.IdealWeight(2, 2, 20));
        Assert.Equal(1f, NextItemRanking.IdealWeight(25, 30, 20)); // both ideal lists stop at 20
        Assert.Equal(1f, NextItemRanking.IdealWeight(0, 5, 20)); // no gradient to weigh
        Assert.Throws<ArgumentOutOfRangeException>(() => NextItemRanking.IdealWeight(4, 3, 20));
    }

    [Fact]
    public void With_ideal_weights_a_user_whose_truths_lie_outside_the_pool_weighs_less_in_training()
    {
        var events = Events();
        var innerCut = T0 + 2 * Day;
        // User 7 also touches two items next day that nothing before the inner cut can propose.
        events.AddRange([new UserEvent(7, 9001, 1, Behavior.View, innerCut + 3600), new UserEvent(7, 9002, 1, Behavior.View, innerCut + 7200)]);
        var plain = new RankingDatasetBuilder(NextItemRanking.Schema);
        var weighted = new RankingDatasetBuilder(NextItemRanking.Schema);
        NextItemRanking.AddTrainingData(plain, SourcesAt(events, innerCut), events, innerCut, innerCut + Day, new HashSet<long>(), 5);
        NextItemRanking.AddTrainingData(weighted, SourcesAt(events, innerCut), events, innerCut, innerCut + Day, new HashSet<long>(), 5, idealWeights: true);
        var (p, w) = (plain.Build(), weighted.Build());

        Assert.False(p.IsWeighted);
        Assert.True(w.IsWeighted);
        var g = w.Groups.First(x => x.QueryId.StartsWith("7@", StringComparison.Ordinal));
        Assert.Equal(5, g.Judgments.Count);
        Assert.Equal(NextItemRanking.IdealWeight(3, 5, 20), g.Weight);
        Assert.True(g.Weight < 1f);
        Assert.Equal(p.Labels, w.Labels);
        Assert.Equal(p.Features, w.Features);
    }

    [Fact]
    public void The_recommender_ranks_the_pool_by_the_rankers_score_best_first_ties_by_item_id()
    {
        var events = Events();
        var cut = T0 + 3 * Day;
        var src = SourcesAt(events, cut);
        var s = NextItemRanking.Schema;
        var w = new float[s.Count];
        w[s.IndexOf("user_views")] = 1; // the viewed items first; the rest tie at 0 and go by item id
        var ones = Enumerable.Repeat(1f, s.Count).ToArray();
        var recommender = new NextItemRecommender(new Models.LinearRanker(s, new float[s.Count], ones, w, 0), src, 5);
        var hist = new Collab.Models.UserHistory(7, events.Where(e => e.UserId == 7 && e.Timestamp < cut), cut);

        var top = recommender.Recommend(hist, 4);

        Assert.Equal([102L, 200L], top.Take(2).Select(x => x.ItemId).ToArray()); // 3 views each: the tie goes by item id
        Assert.Equal(3f, top[0].Score);
        Assert.True(top[2].Score == 0 && top[3].Score == 0 && top[2].ItemId < top[3].ItemId);
        // Explained: the same items in the same order; all contributions and the unexplained part add up to the score.
        var explained = recommender.Explain(hist, 4, features: s.Count);
        Assert.Equal(top.Select(x => x.ItemId), explained.Select(x => x.ItemId));
        Assert.All(explained, x => Assert.Equal(x.Score, x.Top.Sum(c => c.Contribution) + x.Unexplained, 4));
        Assert.Equal("user_views", recommender.Explain(hist, 1, features: 1)[0].Top[0].Feature);

        // A user with no history gets the pool of the sources that need none (popularity), ranked the same way: all
        // tie at 0 here, so by item id.
        var cold = recommender.Recommend(Collab.Models.UserHistory.Empty(null, cut), 4);
        Assert.Equal(4, cold.Count);
        Assert.All(cold, x => Assert.Equal(0f, x.Score));
        Assert.Equal(cold.Select(x => x.ItemId).Order(), cold.Select(x => x.ItemId));
        var popular = src.Models.Popularity.TopK(Collab.Models.UserHistory.Empty(null, cut), 50).Select(x => x.ItemId).ToHashSet();
        Assert.Contains(cold, x => popular.Contains(x.ItemId));
    }

    [Fact]
    public void A_feed_is_the_pool_ranked_by_its_rows_scores_on_every_call_whatever_the_thread_ranked_before()
    {
        // Recommend writes the pool's feature rows, scores and order into pooled arrays that the next request rents
        // again: each user's feed must be what scoring the rows of Candidates gives, asked in any order, twice, on
        // several threads. The ranker reads every column, so a cell left from another request would move a score.
        var events = Events();
        var cut = T0 + 3 * Day;
        var src = SourcesAt(events, cut);
        var s = NextItemRanking.Schema;
        var w = Enumerable.Range(0, s.Count).Select(i => (i % 2 == 0 ? 1f : -0.5f) * (1 + 0.37f * i)).ToArray();
        var ranker = new Models.LinearRanker(s, new float[s.Count], Enumerable.Repeat(1f, s.Count).ToArray(), w, 0);
        var recommender = new NextItemRecommender(ranker, src, 5);
        Collab.Models.UserHistory History(long user) => user == 0
            ? Collab.Models.UserHistory.Empty(null, cut)
            : new Collab.Models.UserHistory(user, events.Where(e => e.UserId == user && e.Timestamp < cut), cut);
        var expected = new Dictionary<(long, int), ScoredItem[]>();
        foreach (var user in Enumerable.Range(0, 31).Select(u => (long)u))
            foreach (var k in new[] { 1, 4, 50 })
            {
                var (items, f) = NextItemRanking.Candidates(src, History(user), 5);
                var scores = new float[items.Length];
                ranker.Score(f, items.Length, scores);
                expected[(user, k)] = [.. Enumerable.Range(0, items.Length).OrderBy(i => float.IsNaN(scores[i]) ? float.PositiveInfinity : -scores[i]).ThenBy(i => i)
                    .Take(k).Select(i => new ScoredItem(items[i], scores[i]))];
            }
        Assert.Contains(expected, kv => kv.Value.Length >= 4);
        var keys = expected.Keys.ToList();
        Parallel.For(0, 3, new ParallelOptions { MaxDegreeOfParallelism = 3 }, t =>
        {
            var rng = new Random(t);
            for (var i = 0; i < 2 * keys.Count; i++)
            {
                var (user, k) = keys[rng.Next(keys.Count)];
                Assert.Equal(expected[(user, k)], recommender.Recommend(History(user), k));
            }
        });
        Assert.Equal(expected[(7, 4)].Select(x => x.ItemId), recommender.Explain(History(7), 4).Select(x => x.ItemId));
    }

    [Fact]
    public void The_recommender_refuses_a_ranker_of_another_schema_naming_both()
    {
        var events = Events();
        var other = new FeatureSchema(["bm25", "bm25_title"], 1);
        var ranker = new Models.WeightedRanker(other, ["bm25"], [1f]);
        var e = Assert.Throws<Models.RankerSchemaMismatchException>(() => new NextItemRecommender(ranker, SourcesAt(events, T0 + Day), 5));
        Assert.Contains(other.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(NextItemRanking.Schema.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void What_the_card_says_of_a_next_item_ranker_round_trips_and_a_bad_value_is_refused_naming_its_key()
    {
        var card = new Models.ModelCard();
        Assert.Equal(NextItemRankerInfo.Defaults, NextItemRankerInfo.Read(card));
        Assert.Equal(NextItemRankerInfo.Defaults, NextItemRankerInfo.Read(null));
        new NextItemRankerInfo(20, 0, 1_512_230_400).WriteTo(card);
        Assert.Equal(new NextItemRankerInfo(20, 0, 1_512_230_400), NextItemRankerInfo.Read(card));
        card.Options["next_item.tower_epochs"] = "two";
        var e = Assert.Throws<InvalidDataException>(() => NextItemRankerInfo.Read(card));
        Assert.Contains("next_item.tower_epochs", e.Message, StringComparison.Ordinal);
        card.Options["next_item.tower_epochs"] = "0";
        card.Options["next_item.per_source"] = "0";
        Assert.Contains("next_item.per_source", Assert.Throws<InvalidDataException>(() => NextItemRankerInfo.Read(card)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_next_item_schema_is_refused_as_a_search_ranker_saying_what_it_is()
    {
        var e = Assert.Throws<Models.RankerSchemaMismatchException>(() => StandardFeatures.ForSchema(NextItemRanking.Schema, new FeatureSources()));
        Assert.Contains("next-item ranker", e.Message, StringComparison.Ordinal);
        Assert.Contains("--feed-ranker", e.Message, StringComparison.Ordinal);
        Assert.False(NextItemRanking.IsNextItemSchema(StandardFeatures.ForSearch().Schema));
    }

    [Fact]
    public void Validation_warning_says_the_blend_would_serve_better_when_it_beats_the_ranker_and_names_a_better_single_source_otherwise()
    {
        var singles = new Dictionary<string, double> { ["cf_blend"] = 0.20, ["cf_repeat"] = 0.18, ["cf_als"] = 0.22 };

        var belowBlend = NextItemRanking.ValidationWarning(0.19, singles);
        Assert.NotNull(belowBlend);
        Assert.Contains("0.1900 is below the collaborative blend alone (0.2000; best single source cf_als 0.2200)", belowBlend, StringComparison.Ordinal);
        Assert.Contains("`serve` would do better with the blend", belowBlend, StringComparison.Ordinal);

        var belowSingle = NextItemRanking.ValidationWarning(0.21, singles);
        Assert.NotNull(belowSingle);
        Assert.Contains("below cf_als alone (0.2200), though above the blend (0.2000)", belowSingle, StringComparison.Ordinal);

        Assert.Null(NextItemRanking.ValidationWarning(0.23, singles));
    }
}
