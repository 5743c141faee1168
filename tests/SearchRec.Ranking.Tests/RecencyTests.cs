using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class RecencyTests
{
    private const long T0 = 1_512_000_000;

    private static readonly Product[] Shop =
    [
        new("1", "手机 华为", "华为", [], new Dictionary<string, IReadOnlyList<string>>(), 100),
        new("2", "手机 支架", "绿联", [], new Dictionary<string, IReadOnlyList<string>>(), 30),
        new("3", "手机 耳机", "索尼", [], new Dictionary<string, IReadOnlyList<string>>(), 800),
    ];

    // Item 1: events 48 h and 2 h before T0; item 2: one event 10 h before T0 and one after; item 3: none.
    private static readonly UserEvent[] Events =
    [
        new(1, 1, 10, Behavior.View, T0 - 48 * 3600), new(2, 1, 10, Behavior.Buy, T0 - 2 * 3600),
        new(3, 2, 10, Behavior.View, T0 - 10 * 3600), new(4, 2, 10, Behavior.View, T0 + 3600),
    ];

    [Fact]
    public void Item_activity_is_read_as_of_a_time_and_ignores_later_events()
    {
        var a = ItemActivity.Build(Events);
        Assert.Equal(T0 + 3600, a.Latest);
        var (since, age, day, total) = a.At(1, T0);
        Assert.Equal(2f, since, 3);
        Assert.Equal(48f, age, 3);
        Assert.Equal(1, day); // the 48 h old event is outside the last day
        Assert.Equal(2, total);
        var item2 = a.At(2, T0);
        Assert.Equal(10f, item2.HoursSinceLast, 3);
        Assert.Equal(1, item2.Total); // the event after T0 is not seen
        Assert.True(float.IsNaN(a.At(3, T0).HoursSinceLast));
        Assert.True(float.IsNaN(a.At(2, T0 - 11 * 3600).AgeHours)); // before its first event the item has no past
        Assert.Equal(0, ItemActivity.Build(Events, until: T0).At(2, T0 + 7200).Total - 1);
    }

    [Fact]
    public void Collab_features_give_item_recency_as_of_the_query_time_and_NaN_for_items_without_events()
    {
        var recall = new FakeRecall(Shop);
        var models = CollabModels.Train(Events, new CollabOptions { Factors = 4, AlsIterations = 1, Threads = 1 });
        var fx = StandardFeatures.ForSearch(new FeatureSources { Collab = models, Products = recall.GetProduct, Activity = ItemActivity.Build(Events) });
        var cands = recall.Recall(new Index.RecallRequest("手机")).Select(c => new RankingCandidate(c, recall.GetProduct(c.ProductId)!)).ToArray();
        var m = fx.Extract(RankingQuery.Create("手机", new SpaceTokenizer(), asOf: T0), cands);
        int dim = fx.Schema.Count, since = fx.Schema.IndexOf("item_hours_since_event"), age = fx.Schema.IndexOf("item_age_hours"), has = fx.Schema.IndexOf("has_item_activity");
        float At(string id, int col) => m[Array.FindIndex(cands, c => c.Product.Id == id) * dim + col];
        Assert.Equal(MathF.Log(1 + 2), At("1", since), 3);
        Assert.Equal(MathF.Log(1 + 48), At("1", age), 3);
        Assert.Equal(MathF.Log(1 + 10), At("2", since), 3);
        Assert.Equal(1f, At("2", has));
        Assert.True(float.IsNaN(At("3", since)));
        Assert.True(float.IsNaN(At("3", age)));
        Assert.Equal(0f, At("3", has));

        // Without a time the request is "now": just after the newest event known.
        var now = fx.Extract(RankingQuery.Create("手机", new SpaceTokenizer()), cands);
        Assert.Equal(MathF.Log(1 + 1 / 3600f), now[Array.FindIndex(cands, c => c.Product.Id == "2") * dim + since], 4);

        // Without activity the columns exist (same schema) but are unknown.
        var bare = StandardFeatures.ForSearch(new FeatureSources { Collab = models, Products = recall.GetProduct });
        Assert.Equal(fx.Schema, bare.Schema);
        var b = bare.Extract(RankingQuery.Create("手机", new SpaceTokenizer(), asOf: T0), cands);
        Assert.True(float.IsNaN(b[Array.FindIndex(cands, c => c.Product.Id == "1") * dim + since]));
    }

    [Fact]
    public void A_ranker_saved_with_the_collab_group_before_recency_is_refused_naming_the_versions()
    {
        using var dir = new TempDir();
        var recall = new FakeRecall(Shop);
        var models = CollabModels.Train(Events, new CollabOptions { Factors = 4, AlsIterations = 1, Threads = 1 });
        var current = StandardFeatures.ForSearch(new FeatureSources { Collab = models, Products = recall.GetProduct }).Schema;
        string[] added = ["has_item_activity", "item_hours_since_event", "item_age_hours"];
        var old = new FeatureSchema(current.Names.Where(n => !added.Contains(n)), current.Version - 1);
        var w = new float[old.Count];
        RankerStore.Save(new LinearRanker(old, new float[old.Count], Enumerable.Repeat(1f, old.Count).ToArray(), w, 0), dir.Path, new SearchRec.Ranking.Models.ModelCard { Kind = "linear" });
        var saved = RankerStore.Read(dir.Path);
        var fx = StandardFeatures.ForSchema(saved.Schema, new FeatureSources { Collab = models, Products = recall.GetProduct });
        var e = Assert.Throws<RankerSchemaMismatchException>(() => new SearchPipeline(recall, new SpaceTokenizer(), fx, saved));
        Assert.Contains("item_hours_since_event", e.Message);
        Assert.Contains("version", e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
