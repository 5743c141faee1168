using SearchRec.Collab.Models;
using SearchRec.Core.Events;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Collab.Tests;

/// <summary>A small shop with two taste groups: users 1-40 like items 100-109 (category 1), users 41-80 items 200-209 (category 2).</summary>
internal static class Fixture
{
    public const long T0 = 1_500_000_000;

    public static List<UserEvent> Events()
    {
        var rng = new Random(7);
        var list = new List<UserEvent>();
        for (long u = 1; u <= 80; u++)
        {
            bool a = u <= 40;
            long baseItem = a ? 100 : 200, cat = a ? 1 : 2;
            long t = T0 + u * 10;
            for (int s = 0; s < 6; s++)
            {
                long item = baseItem + rng.Next(10);
                list.Add(new UserEvent(u, item, cat, Behavior.View, t));
                // item 100 is always followed by 101: a strong behavioural pair
                if (item == 100) list.Add(new UserEvent(u, 101, cat, Behavior.Cart, t + 60));
                t += 600;
            }
        }
        // item 300 is the most popular overall (bought by many)
        for (long u = 1; u <= 80; u += 2) list.Add(new UserEvent(u, 300, 3, Behavior.Buy, T0 + 50_000));
        return list;
    }

    public static CollabModels Train() => CollabModels.Train(Events(), new CollabOptions { Factors = 8, AlsIterations = 8, Threads = 2 });
}

public class ModelTests
{
    private static readonly CollabModels Models = Fixture.Train();

    private static UserHistory History(long user, params (long Item, long Cat, Behavior B, long T)[] ev) =>
        new(user, ev.Select(e => new UserEvent(user, e.Item, e.Cat, e.B, e.T)));

    [Fact]
    public void Popularity_puts_the_most_bought_item_first()
    {
        var top = Models.Popularity.TopK(UserHistory.Empty(), 3);
        Assert.Equal(300, top[0].ItemId);
    }

    [Fact]
    public void Repeat_ranks_a_bought_item_above_a_viewed_one_of_the_same_age()
    {
        var h = History(1, (100, 1, Behavior.View, Fixture.T0), (105, 1, Behavior.Buy, Fixture.T0));
        var top = Models.Repeat.TopK(h, 5);
        Assert.Equal(new long[] { 105, 100 }, top.Select(s => s.ItemId));
    }

    [Fact]
    public void Item_item_neighbours_find_the_item_that_always_follows()
    {
        var n = Models.Neighbours(100, 3);
        Assert.Equal(101, n[0].ItemId);
        var h = History(99, (100, 1, Behavior.View, Fixture.T0));
        Assert.Equal(101, Models.ItemItem.TopK(h, 1)[0].ItemId);
    }

    [Fact]
    public void A_score_is_NaN_for_an_item_the_models_never_saw()
    {
        var h = History(1, (100, 1, Behavior.View, Fixture.T0));
        var scores = new float[2];
        foreach (var name in new[] { "popularity", "item-item", "als", "category" })
        {
            Models.Scorer(name).Score(h, [999_999, 101], scores);
            Assert.True(float.IsNaN(scores[0]), name);
            Assert.False(float.IsNaN(scores[1]), name);
        }
    }

    [Fact]
    public void Scores_are_NaN_when_the_history_is_empty_for_history_based_scorers()
    {
        var scores = new float[1];
        foreach (var name in new[] { "repeat", "item-item", "als", "category" })
        {
            Models.Scorer(name).Score(UserHistory.Empty(), [101], scores);
            Assert.True(float.IsNaN(scores[0]), name);
        }
    }

    [Fact]
    public void Als_folds_in_a_new_user_towards_their_taste_group()
    {
        var h = History(5000, (200, 2, Behavior.View, Fixture.T0), (203, 2, Behavior.Cart, Fixture.T0), (207, 2, Behavior.View, Fixture.T0));
        var scores = new float[2];
        Models.Als.Score(h, [205, 105], scores);
        Assert.True(scores[0] > scores[1], $"in-group {scores[0]} vs out-group {scores[1]}");
        var top = Models.Als.TopK(h, 5, excludeHistory: true);
        Assert.All(top, s => Assert.InRange(s.ItemId, 200, 300));
    }

    [Fact]
    public void Als_gives_the_same_floats_whatever_the_thread_count()
    {
        // Enough users and factors that summing the Gram matrix in another order changes its last bits.
        var rng = new Random(3);
        var events = new List<UserEvent>();
        for (long u = 1; u <= 6000; u++)
            for (var k = 0; k < 10; k++)
                events.Add(new UserEvent(u, 1000 + rng.Next(6000), 1, (Behavior)rng.Next(4), Fixture.T0 + u * 100 + k));
        float[] Scores(int threads)
        {
            var m = CollabModels.Train(events, new CollabOptions { Factors = 48, AlsIterations = 2, Threads = threads });
            var items = Enumerable.Range(1000, 6000).Select(i => (long)i).ToArray();
            var all = new List<float>();
            foreach (var u in new long[] { 1, 3000, 6000 })
            {
                var s = new float[items.Length];
                m.Als.Score(new UserHistory(u, events.Where(e => e.UserId == u)), items, s);
                all.AddRange(s);
            }
            return all.ToArray();
        }
        var one = Scores(1);
        Assert.Equal(one, Scores(4));
        Assert.Equal(one, Scores(2));
    }

    [Fact]
    public void Category_affinity_prefers_the_users_category()
    {
        var h = History(5000, (200, 2, Behavior.View, Fixture.T0));
        var scores = new float[2];
        Models.Category.Score(h, [205, 105], scores);
        Assert.True(scores[0] > scores[1]);
    }

    [Fact]
    public void A_user_without_history_gets_popularity_and_by_category_where_known()
    {
        var blend = Models.Blend.TopK(UserHistory.Empty(), 3).Select(s => s.ItemId);
        var pop = Models.Popularity.TopK(UserHistory.Empty(), 3).Select(s => s.ItemId);
        Assert.Equal(pop, blend);
        Assert.All(Models.TopKInCategory(2, 5), s => Assert.InRange(s.ItemId, 200, 209));
    }

    [Fact]
    public void Excluding_history_leaves_out_the_users_items()
    {
        var h = History(1, (100, 1, Behavior.View, Fixture.T0), (101, 1, Behavior.View, Fixture.T0));
        foreach (var name in CollabModels.ScorerNames)
            Assert.DoesNotContain(Models.Scorer(name).TopK(h, 20, excludeHistory: true), s => s.ItemId is 100 or 101);
    }

    [Fact]
    public void Saved_models_load_and_score_the_same_without_retraining()
    {
        using var dir = new TempDir();
        Models.Save(dir.Path);
        Assert.True(File.Exists(dir.File("model-card.json")));
        var loaded = CollabModels.Load(dir.Path);
        Assert.Equal(Models.Card.Events, loaded.Card.Events);
        var h = History(1, (100, 1, Behavior.View, Fixture.T0), (203, 2, Behavior.Buy, Fixture.T0));
        long[] items = [101, 205, 300, 999];
        foreach (var name in CollabModels.ScorerNames)
        {
            var a = new float[4];
            var b = new float[4];
            Models.Scorer(name).Score(h, items, a);
            loaded.Scorer(name).Score(new UserHistory(1, h.Events.ToArray()), items, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Loading_a_folder_without_models_says_what_is_missing()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<InvalidDataException>(() => CollabModels.Load(dir.Path));
        Assert.Contains("train-cf", ex.Message);
    }

    [Fact]
    public void A_truncated_or_damaged_model_file_is_refused_naming_it()
    {
        using var dir = new TempDir();
        Models.Save(dir.Path);
        var path = dir.File("collab.bin");
        var whole = File.ReadAllBytes(path);

        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        var truncated = Assert.Throws<InvalidDataException>(() => CollabModels.Load(dir.Path));

        var damaged = (byte[])whole.Clone();
        BitConverter.GetBytes(int.MaxValue).CopyTo(damaged, 1 + 8 + 4 + 8); // the first array's length
        File.WriteAllBytes(path, damaged);
        var huge = Assert.Throws<InvalidDataException>(() => CollabModels.Load(dir.Path));

        Assert.All(new[] { truncated, huge }, e => Assert.StartsWith($"{path} is truncated or damaged (", e.Message, StringComparison.Ordinal));
        Assert.Contains("2147483647 values", huge.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"Events\": ")]                       // cut short
    [InlineData("[1, 2]")]                                // not an object
    [InlineData("{\"Events\": \"many\"}")]              // a field of the wrong type
    [InlineData("{\"Options\": null}")]                  // no options
    [InlineData("{\"Options\": {\"Factors\": -1}}")]     // options no training would take
    public void A_damaged_model_card_is_refused_naming_it(string card)
    {
        using var dir = new TempDir();
        Models.Save(dir.Path);
        var path = dir.File("model-card.json");
        File.WriteAllText(path, card);
        var ex = Assert.Throws<InvalidDataException>(() => CollabModels.Load(dir.Path));
        Assert.StartsWith($"{path}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_makes_a_new_item_known_to_popularity_and_category()
    {
        var m = Fixture.Train();
        Assert.True(float.IsNaN(m.PopularityOf(777)));
        m.Observe(new UserEvent(1, 777, 2, Behavior.Buy, Fixture.T0 + 60_000));
        Assert.True(m.PopularityOf(777) > 0);
        Assert.Equal(2, m.CategoryOf(777));
        var before = m.PopularityOf(300);
        m.Observe(new UserEvent(2, 300, 3, Behavior.View, Fixture.T0 + 60_000));
        Assert.True(m.PopularityOf(300) > before);
    }

    [Fact]
    public void Bad_options_name_the_field()
    {
        var ex = Assert.Throws<ArgumentException>(() => CollabModels.Train(Fixture.Events(), new CollabOptions { Factors = 0 }));
        Assert.Contains("Factors", ex.Message);
    }

    [Fact]
    public void An_unknown_model_name_is_refused_listing_the_known_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => Models.Scorer("magic"));
        Assert.Contains("item-item", ex.Message);
    }

    [Fact]
    public void Scoring_is_thread_safe_across_shared_histories()
    {
        var h = History(1, (100, 1, Behavior.View, Fixture.T0), (203, 2, Behavior.Buy, Fixture.T0));
        var expected = new float[3];
        Models.Blend.Score(new UserHistory(1, h.Events.ToArray()), [101, 205, 300], expected);
        Parallel.For(0, 64, _ =>
        {
            var s = new float[3];
            Models.Blend.Score(h, [101, 205, 300], s);
            Assert.Equal(expected, s);
        });
    }
}
