using SearchRec.Core.Judgments;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class PersonalTests
{
    private const long T0 = 1_512_000_000;

    // Every product matches "手机"; the ones with more query characters rank higher on BM25 alone.
    private static readonly Product[] Shop =
    [
        new("1", "手机 手机壳 华为", "华为", [], new Dictionary<string, IReadOnlyList<string>>(), 100),
        new("2", "手机 支架", "绿联", [], new Dictionary<string, IReadOnlyList<string>>(), 30),
        new("3", "手机 耳机", "索尼", [], new Dictionary<string, IReadOnlyList<string>>(), 800),
        new("4", "机 贴膜", "索尼", [], new Dictionary<string, IReadOnlyList<string>>(), 700),
        new("5", "机 充电器", "小米", [], new Dictionary<string, IReadOnlyList<string>>(), 50),
    ];

    // Many users buy 3 then 4 together; others buy 1 and 2 together.
    private static CollabModels Models()
    {
        var events = new List<UserEvent>();
        for (var u = 0; u < 40; u++)
        {
            var (a, b) = u % 2 == 0 ? (3L, 4L) : (1L, 2L);
            events.Add(new UserEvent(u, a, 10, Behavior.Buy, T0 + u * 100));
            events.Add(new UserEvent(u, b, 10, Behavior.Buy, T0 + u * 100 + 60));
        }
        events.Add(new UserEvent(99, 5, 10, Behavior.View, T0));
        return CollabModels.Train(events, new CollabOptions { Factors = 4, AlsIterations = 2, Threads = 1 });
    }

    private static FeatureExtractor Extractor(CollabModels m, FakeRecall recall) =>
        StandardFeatures.ForSearch(new FeatureSources { Collab = m, Products = recall.GetProduct });

    [Fact]
    public void A_new_purchase_moves_items_bought_with_it_up_for_that_user()
    {
        var recall = new FakeRecall(Shop);
        var models = Models();
        var fx = Extractor(models, recall);
        var ranker = new WeightedRanker(fx.Schema, ["bm25", "cf_item_item"], [1f, 2f]);
        var events = new List<UserEvent>();
        var pipeline = new SearchPipeline(recall, new SpaceTokenizer(), fx, ranker, new SearchPipelineOptions { TopK = 5 },
            history: u => new UserHistory(u, events.OrderByDescending(e => e.Timestamp).ToArray(), T0 + 10_000));

        int RankOf(string id) => pipeline.Search(new SearchRequest("手机") { UserId = 500 }).Hits.ToList().FindIndex(h => h.Product.Id == id);
        var before = RankOf("4");
        events.Add(new UserEvent(500, 3, 10, Behavior.Buy, T0 + 9_000));
        var after = RankOf("4");
        Assert.True(after < before, $"item 4 was at {before} and is now at {after}");
        Assert.Equal(0, after);
    }

    [Fact]
    public void Personal_features_are_unknown_for_anonymous_users_and_known_after_events()
    {
        var recall = new FakeRecall(Shop);
        var models = Models();
        var fx = Extractor(models, recall);
        var cands = recall.Recall(new Index.RecallRequest("手机")).Select(c => new RankingCandidate(c, recall.GetProduct(c.ProductId)!)).ToArray();
        var anon = fx.Extract(RankingQuery.Create("手机", new SpaceTokenizer()), cands);
        var col = fx.Schema.IndexOf("cf_item_item");
        var has = fx.Schema.IndexOf("has_history");
        for (var r = 0; r < cands.Length; r++)
        {
            Assert.True(float.IsNaN(anon[r * fx.Schema.Count + col]));
            Assert.Equal(0f, anon[r * fx.Schema.Count + has]);
        }
        var history = new UserHistory(7, [new UserEvent(7, 3, 10, Behavior.Buy, T0)], T0 + 60);
        var known = fx.Extract(RankingQuery.Create("手机", new SpaceTokenizer(), 7, history), cands);
        var row4 = Array.FindIndex(cands, c => c.Product.Id == "4");
        Assert.Equal(1f, known[row4 * fx.Schema.Count + has]);
        Assert.True(known[row4 * fx.Schema.Count + col] > 0);
        Assert.Equal(1f, known[row4 * fx.Schema.Count + fx.Schema.IndexOf("user_brand_share")]); // bought 索尼, item 4 is 索尼
        Assert.Equal(1f, known[row4 * fx.Schema.Count + fx.Schema.IndexOf("has_price_band")]);
    }

    [Fact]
    public void A_user_with_ten_thousand_events_is_answered()
    {
        var recall = new FakeRecall(Shop);
        var fx = Extractor(Models(), recall);
        var ranker = new LinearRanker(fx.Schema, new float[fx.Schema.Count], Enumerable.Repeat(1f, fx.Schema.Count).ToArray(), Enumerable.Repeat(0.1f, fx.Schema.Count).ToArray(), 0);
        var big = Enumerable.Range(0, 10_000).Select(i => new UserEvent(1, 1 + i % 5, 10, (Behavior)(i % 4), T0 + i)).ToList();
        var histories = new UserHistories(big);
        var pipeline = new SearchPipeline(recall, new SpaceTokenizer(), fx, ranker, history: u => histories.History(u, max: 500));
        var r = pipeline.Search(new SearchRequest("手机") { UserId = 1 });
        Assert.NotEmpty(r.Hits);
        Assert.Null(r.Notice);
        Assert.Equal(500, histories.History(1, max: 500).Count);
        var unknown = pipeline.Search(new SearchRequest("手机") { UserId = 123_456 });
        Assert.NotEmpty(unknown.Hits);
        Assert.Contains("no history", unknown.Notice);
    }

    [Fact]
    public void History_as_of_a_time_holds_only_earlier_events_most_recent_first()
    {
        var h = new UserHistories([
            new UserEvent(1, 10, 1, Behavior.View, 100), new UserEvent(1, 11, 1, Behavior.Buy, 300), new UserEvent(1, 12, 1, Behavior.Cart, 200),
        ]);
        var asOf = h.History(1, asOf: 300);
        Assert.Equal(2, asOf.Count);
        Assert.Equal(12, asOf.Events[0].ItemId);
        Assert.Equal(10, asOf.Events[1].ItemId);
        Assert.Equal(0, h.History(2).Count);
    }

    [Fact]
    public void Schema_driven_extractor_refuses_a_ranker_needing_missing_models()
    {
        var schema = new FeatureSchema(StandardFeatures.ForSearch().Schema.Names.Append("cf_item_item"), 3);
        var e = Assert.Throws<ArgumentException>(() => StandardFeatures.ForSchema(schema, new FeatureSources()));
        Assert.Contains("train-cf", e.Message);
        Assert.Equal(StandardFeatures.ForSearch().Schema, StandardFeatures.ForSchema(StandardFeatures.ForSearch().Schema, new FeatureSources()).Schema);
    }

    [Fact]
    public void Bad_judgment_and_event_lines_are_refused_naming_file_and_line()
    {
        using var dir = new TempDir();
        var qrels = dir.Write("q.txt", "1 0 7 1\n1 0 8 x\n");
        var e = Assert.Throws<JudgmentFormatException>(() => JudgmentReader.ReadQrels(qrels));
        Assert.Contains("q.txt:2", e.Message);
        var events = dir.Write("e.csv", "1,2,3,buy,100\n1,2,3,click,100\n");
        var e2 = Assert.Throws<InvalidDataException>(() => UserHistories.ReadCsv([events]));
        Assert.Contains("e.csv:2", e2.Message);
        var queries = dir.Write("qs.tsv", "1\t手机\n1\t手机壳\n");
        Assert.Contains("twice", Assert.Throws<JudgmentFormatException>(() => JudgmentFiles.ReadQueries(queries)).Message);
    }

    [Fact]
    public void Events_are_read_from_a_service_event_store_as_from_its_csv()
    {
        // search --events, eval --events and train-ranker --events read histories here; the demo's events.db (what
        // recommend, eval-rec and train-cf take) was read as text and refused as "not valid UTF-8 ... GBK?".
        using var dir = new TempDir();
        var csv = dir.Write("e.csv", "1,2,3,buy,100\n1,4,3,pv,90\n");
        var db = dir.File("events.db");
        using (var store = new SearchRec.Collab.Events.SqliteEventStore(db))
            store.AppendBatch([new UserEvent(1, 2, 3, Behavior.Buy, 100), new UserEvent(1, 4, 3, Behavior.View, 90)]);
        var fromDb = UserHistories.ReadCsv([db]);
        Assert.Equal(UserHistories.ReadCsv([csv]).OrderBy(e => e.Timestamp), fromDb.OrderBy(e => e.Timestamp));
        Assert.Equal(2, UserHistories.ReadCsv([db, csv]).Count);   // the same events from both are read once
    }

    [Fact]
    public void Product_cache_serves_repeated_lookups_from_memory()
    {
        var recall = new FakeRecall(Shop);
        var cache = new ProductCache(recall, capacity: 2);
        Assert.Same(cache.GetProduct("1"), cache.GetProduct("1"));
        cache.GetProduct("2");
        cache.GetProduct("3");
        Assert.Equal(2, cache.Cached);
        Assert.Null(cache.GetProduct("404"));
    }

    [Fact]
    public void Product_cache_counts_what_it_holds_once_per_product_and_stops_at_its_capacity()
    {
        var recall = new FakeRecall(Shop);
        var cache = new ProductCache(recall, capacity: 4);
        Assert.Equal(2, cache.Preload(Shop.Take(2)));
        Assert.Equal(2, cache.Preload(Shop.Take(2)));   // the same ids again replace, and count once
        cache.GetProduct("1");
        Assert.Equal(2, cache.Cached);
        Assert.Equal(4, cache.Preload(Shop));
        Assert.Equal(4, cache.Held.Count());
        Assert.NotNull(cache.GetProduct("5"));   // found, but not held beyond the capacity
        Assert.Equal(4, cache.Cached);
        Assert.Equal(4, cache.Held.Count());
    }

    [Fact]
    public void Behaviour_cut_keeps_the_events_strictly_before_the_first_timed_query_and_counts_the_rest()
    {
        JudgedQuery[] queries = [new("a", "x", 1) { Timestamp = T0 + 50 }, new("b", "x", 1), new("c", "x", 2) { Timestamp = T0 + 20 }, new("d", "x", 2) { Timestamp = T0 + 90 }];
        UserEvent[] events = [new(1, 1, 1, Behavior.View, T0), new(1, 2, 1, Behavior.Buy, T0 + 20), new(2, 3, 1, Behavior.View, T0 + 19), new(2, 4, 1, Behavior.Buy, T0 + 60)];

        Assert.Equal(T0 + 20, BehaviourCut.First(queries));
        Assert.Equal(T0 + 50, BehaviourCut.Median(queries));
        Assert.Null(BehaviourCut.First([new JudgedQuery("b", "x", 1)]));
        var (before, leftOut) = BehaviourCut.Split(events, T0 + 20);
        Assert.Equal([1L, 3L], before.Select(e => e.ItemId));
        Assert.Equal(2, leftOut);
    }
}
