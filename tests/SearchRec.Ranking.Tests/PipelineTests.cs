using System.Text.Json;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Interleaving;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.Models;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class PipelineTests
{
    private static SearchPipeline Pipeline(IRankerModel? model = null, IFeatureLogger? logger = null, Func<long, bool>? known = null)
    {
        var fx = Fixtures.Extractor();
        model ??= new WeightedRanker(fx.Schema, ["bm25", "term_coverage"], [0.2f, 1f]);
        return new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model,
            new SearchPipelineOptions { RecallWindow = 50, TopK = 3 }, logger, known);
    }

    [Fact]
    public void Search_returns_the_top_k_best_first_with_stage_timings()
    {
        var r = Pipeline().Search(new SearchRequest("华为 手机"));
        Assert.Equal(3, r.Hits.Count);
        Assert.Equal("1", r.Hits[0].Product.Id);
        for (var i = 1; i < r.Hits.Count; i++) Assert.True(r.Hits[i - 1].Score >= r.Hits[i].Score);
        Assert.True(r.Recalled >= 3);
        Assert.True(r.Timings.TotalMs >= 0);
        Assert.Null(r.Notice);
    }

    [Fact]
    public void A_query_with_no_recall_gets_an_empty_answer_and_a_notice()
    {
        var r = Pipeline().Search(new SearchRequest("zzzz"));
        Assert.Empty(r.Hits);
        Assert.Contains("No product matched", r.Notice);
        Assert.Empty(Pipeline().Search(new SearchRequest("   ")).Hits);
    }

    [Fact]
    public void An_unknown_user_is_answered_unpersonalised_with_a_notice()
    {
        var r = Pipeline(known: _ => false).Search(new SearchRequest("华为 手机") { UserId = 424242 });
        Assert.NotEmpty(r.Hits);
        Assert.Contains("424242", r.Notice);
    }

    [Fact]
    public void Explain_lists_every_feature_and_the_parts_add_up_to_the_score()
    {
        var r = Pipeline().Search(new SearchRequest("华为 手机") { Explain = true, TopK = 2 });
        foreach (var hit in r.Hits)
        {
            Assert.NotNull(hit.Explanation);
            Assert.Equal(Fixtures.Extractor().Schema.Count, hit.Explanation!.Count);
            Assert.Equal(hit.Score, hit.Explanation.Sum(c => c.Contribution) + hit.Unexplained, 4);
        }
    }

    [Fact]
    public void A_ranker_trained_on_other_features_is_refused_when_the_pipeline_is_built()
    {
        var other = new LinearRanker(new FeatureSchema(["bm25", "deep_query_item"], 9), [0, 0], [1, 1], [1, 1], 0);
        var e = Assert.Throws<RankerSchemaMismatchException>(() => Pipeline(other));
        Assert.Contains("deep_query_item", e.Message);
    }

    [Fact]
    public void Bad_options_name_the_field()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SearchPipelineOptions { RecallWindow = 0 }.Validate());
        Assert.Contains("RecallWindow", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipeline().Search(new SearchRequest("手机") { TopK = 0 }));
    }

    [Fact]
    public void Feature_logging_writes_one_json_line_per_request_with_nulls_for_unknown_values()
    {
        using var dir = new TempDir();
        using (var logger = new JsonlFeatureLogger(dir.File("features.jsonl")))
        {
            var p = Pipeline(logger: logger);
            p.Search(new SearchRequest("华为 手机") { RequestId = "req-1", UserId = 7 });
            p.Search(new SearchRequest("连衣裙") { RequestId = "req-2" });
        }
        var lines = File.ReadAllLines(dir.File("features.jsonl"));
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal("req-1", root.GetProperty("request_id").GetString());
        Assert.Equal(7, root.GetProperty("user").GetInt64());
        Assert.Equal(Fixtures.Extractor().Schema.Hash, root.GetProperty("schema_hash").GetString());
        var first = root.GetProperty("candidates")[0];
        Assert.Equal("1", first.GetProperty("id").GetString());
        Assert.Equal(0, first.GetProperty("rank").GetInt32());
        var four = root.GetProperty("candidates").EnumerateArray().First(c => c.GetProperty("id").GetString() == "4");
        Assert.Equal(JsonValueKind.Null, four.GetProperty("features").GetProperty("brand_match").ValueKind);
        using var doc2 = JsonDocument.Parse(lines[1]);
        Assert.Equal(JsonValueKind.Null, doc2.RootElement.GetProperty("user").ValueKind);
    }

    [Fact]
    public void A_logged_search_names_the_filters_it_recalled_with_and_its_window_and_an_unfiltered_one_names_none()
    {
        using var dir = new TempDir();
        var recall = new RecordingRecall(new FakeRecall(Fixtures.Catalog));
        var fx = Fixtures.Extractor();
        SearchResponse filtered, plain;
        using (var logger = new JsonlFeatureLogger(dir.File("features.jsonl")))
        {
            // Written during the search, as `search --feature-log` writes it.
            var p = new SearchPipeline(recall, new SpaceTokenizer(), fx, new WeightedRanker(fx.Schema, ["bm25"], [1f]),
                new SearchPipelineOptions { RecallWindow = 4, FeatureLogDepth = 2 }, logger);
            filtered = p.Search(new SearchRequest("华为 手机") { Brand = "华为", PriceMin = 1000, PriceMax = 2999.5 });
            plain = p.Search(new SearchRequest("华为 手机"));
        }

        // The price filters reach recall, as category and brand do.
        Assert.Equal((1000d, 2999.5d), (recall.Asked[0].PriceMin, recall.Asked[0].PriceMax));
        var lines = File.ReadAllLines(dir.File("features.jsonl"));
        using var f = JsonDocument.Parse(lines[0]);
        Assert.Equal("""{"brand":"华为","priceMin":1000,"priceMax":2999.5}""", f.RootElement.GetProperty("filters").GetRawText());
        // The window is what was re-ranked, though the record holds only the depth's best.
        Assert.Equal(filtered.Recalled, f.RootElement.GetProperty("window").GetInt32());
        Assert.Equal(2, f.RootElement.GetProperty("candidates").GetArrayLength());
        using var u = JsonDocument.Parse(lines[1]);
        Assert.False(u.RootElement.TryGetProperty("filters", out _));
        Assert.Equal(4, plain.Recalled);
        Assert.Equal(plain.Recalled, u.RootElement.GetProperty("window").GetInt32());
    }

    // Notes each recall request, for tests of what the pipeline asks recall for.
    private sealed class RecordingRecall(SearchRec.Index.IProductRecall inner) : SearchRec.Index.IProductRecall
    {
        public List<SearchRec.Index.RecallRequest> Asked { get; } = [];
        public int Count => inner.Count;
        public IReadOnlyList<SearchRec.Index.RecallCandidate> Recall(SearchRec.Index.RecallRequest request) { Asked.Add(request); return inner.Recall(request); }
        public SearchRec.Core.Product? GetProduct(string productId) => inner.GetProduct(productId);
        public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) => inner.MoreLikeThis(productId, k);
    }

    [Fact]
    public void A_wider_logged_feature_set_is_logged_while_the_ranker_scores_its_own_columns_as_before()
    {
        using var dir = new TempDir();
        var fx = Fixtures.Extractor();
        var wide = new FeatureExtractor([new RecallFeatures(), new TextFeatures(), new ListFeatures(), new HeadFeatures()]);
        var n = fx.Schema.Count;
        var model = new LinearRanker(fx.Schema, new float[n], [.. Enumerable.Repeat(1f, n)], [.. Enumerable.Range(0, n).Select(i => (i % 3) - 1f)], 0.5f);
        var request = () => new SearchRequest("华为 手机") { RequestId = "wide", Explain = true, TopK = 5 };
        var plain = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model).Search(request());
        SearchResponse logged;
        using (var logger = new JsonlFeatureLogger(dir.File("features.jsonl")))
            logged = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model, logger: logger, logged: wide).Search(request());

        Assert.Equal(plain.Hits.Select(h => (h.Product.Id, h.Score)), logged.Hits.Select(h => (h.Product.Id, h.Score)));
        Assert.Equal(plain.Hits.Select(h => h.Explanation!.Select(c => (c.Feature, c.Value, c.Contribution))), logged.Hits.Select(h => h.Explanation!.Select(c => (c.Feature, c.Value, c.Contribution))));
        using var doc = JsonDocument.Parse(File.ReadAllLines(dir.File("features.jsonl")).Single());
        Assert.Equal(wide.Schema.Hash, doc.RootElement.GetProperty("schema_hash").GetString());
        var first = doc.RootElement.GetProperty("candidates")[0].GetProperty("features");
        Assert.True(first.TryGetProperty("head_match", out _));
        Assert.Equal(plain.Hits[0].Explanation!.Single(c => c.Feature == "term_coverage").Value, first.GetProperty("term_coverage").GetSingle());
    }

    [Fact]
    public void A_logged_feature_set_without_the_rankers_columns_or_without_a_logger_is_refused()
    {
        var fx = new FeatureExtractor([new RecallFeatures(), new TextFeatures(), new ListFeatures()]);
        var model = new WeightedRanker(fx.Schema, ["bm25", "list_cov_gap"], [1f, 1f]);
        using var dir = new TempDir();
        using var logger = new JsonlFeatureLogger(dir.File("features.jsonl"));
        var e = Assert.Throws<RankerSchemaMismatchException>(() =>
            new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model, logger: logger, logged: Fixtures.Extractor()));
        Assert.Contains("lack list_cov_gap", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model,
            logged: new FeatureExtractor([new RecallFeatures(), new TextFeatures(), new ListFeatures(), new HeadFeatures()])));
    }

    [Fact]
    public void A_feature_log_depth_keeps_the_best_ranked_candidates_of_the_whole_window()
    {
        using var dir = new TempDir();
        var fx = Fixtures.Extractor();
        var model = new WeightedRanker(fx.Schema, ["bm25", "term_coverage"], [0.2f, 1f]);
        SearchPipeline Make(IFeatureLogger logger, int depth) => new(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model,
            new SearchPipelineOptions { RecallWindow = 50, TopK = 3, FeatureLogDepth = depth }, logger);
        List<string> Logged(int depth)
        {
            var path = dir.File($"depth-{depth}.jsonl");
            using (var logger = new JsonlFeatureLogger(path)) Make(logger, depth).Search(new SearchRequest("华为 手机"));
            using var doc = JsonDocument.Parse(File.ReadAllLines(path).Single());
            return doc.RootElement.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
        }

        var all = Logged(0);
        var two = Logged(2);

        Assert.True(all.Count > 2, "the query should recall more than two products");
        Assert.Equal(all.Take(2), two);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SearchPipelineOptions { FeatureLogDepth = -1 }.Validate());
    }

    [Fact]
    public void A_held_record_is_written_with_its_page_adding_the_items_ranked_below_the_depth_with_their_own_rank_place_and_team()
    {
        using var dir = new TempDir();
        var (whole, make) = WholeWindowLogged(dir);
        string Id(int rank) => whole[rank].GetProperty("id").GetString()!;

        var path = dir.File("held.jsonl");
        using (var logger = new JsonlFeatureLogger(path))
        {
            var response = make(logger, 2).Search(new SearchRequest("华为 手机") { RequestId = "held", HoldFeatureLog = true });
            Assert.Equal("", File.ReadAllText(path));
            // A page at places 4 and 5: the other team's pick of the ranker's fourth, then the ranker's first.
            response.FeatureLog!.Write(4, [new(Id(3), InterleavingTeam.Challenger), new(Id(0), InterleavingTeam.Control)]);
            response.FeatureLog.Write(4, []);
        }
        var held = LoggedCandidates(path);
        Assert.Equal([Id(0), Id(1), Id(3)], held.Select(c => c.GetProperty("id").GetString()));
        Assert.Equal([0, 1, 3], held.Select(c => c.GetProperty("rank").GetInt32()));
        Assert.Equal([(5, "control"), (-1, null), (4, "challenger")], held.Select(c =>
            c.TryGetProperty("shown", out var s) ? (s.GetInt32(), c.GetProperty("team").GetString()) : (-1, (string?)null)));
        for (var i = 0; i < held.Length; i++)
            Assert.Equal(whole[held[i].GetProperty("rank").GetInt32()].GetProperty("features").GetRawText(), held[i].GetProperty("features").GetRawText());
        Assert.Null(Pipeline().Search(new SearchRequest("华为 手机") { HoldFeatureLog = true }).FeatureLog);
    }

    [Fact]
    public void A_held_record_written_with_a_page_of_one_ranking_marks_each_item_of_it_shown_without_a_team_and_adds_those_ranked_below_the_depth()
    {
        using var dir = new TempDir();
        var (whole, make) = WholeWindowLogged(dir);
        string Id(int rank) => whole[rank].GetProperty("id").GetString()!;

        var path = dir.File("page.jsonl");
        using (var logger = new JsonlFeatureLogger(path))
        {
            var response = make(logger, 2).Search(new SearchRequest("华为 手机") { HoldFeatureLog = true });
            // Places 3 and 4 of a list reordered after the ranker (a blend lifting its fourth to the top of the page).
            response.FeatureLog!.WritePlain(3, [Id(3), Id(0)]);
        }
        var held = LoggedCandidates(path);
        Assert.Equal([Id(0), Id(1), Id(3)], held.Select(c => c.GetProperty("id").GetString()));
        Assert.Equal([0, 1, 3], held.Select(c => c.GetProperty("rank").GetInt32()));
        Assert.Equal([4, -1, 3], held.Select(c => c.TryGetProperty("shown", out var shown) ? shown.GetInt32() : -1));
        Assert.All(held, c => Assert.False(c.TryGetProperty("team", out _)));
        for (var i = 0; i < held.Length; i++)
            Assert.Equal(whole[held[i].GetProperty("rank").GetInt32()].GetProperty("features").GetRawText(), held[i].GetProperty("features").GetRawText());
    }

    // A pipeline over the fixtures' catalog logging at a given depth, and the record of the whole window it logs for
    // 华为 手机 (every candidate's rank and features), which held records are checked against.
    private static (JsonElement[] Whole, Func<IFeatureLogger, int, SearchPipeline> Make) WholeWindowLogged(TempDir dir)
    {
        var fx = Fixtures.Extractor();
        var model = new WeightedRanker(fx.Schema, ["bm25", "term_coverage"], [0.2f, 1f]);
        SearchPipeline Make(IFeatureLogger logger, int depth) => new(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, model,
            new SearchPipelineOptions { RecallWindow = 50, TopK = 3, FeatureLogDepth = depth }, logger);
        var wholePath = dir.File("whole.jsonl");
        using (var logger = new JsonlFeatureLogger(wholePath)) Make(logger, 0).Search(new SearchRequest("华为 手机"));
        var whole = LoggedCandidates(wholePath);
        Assert.True(whole.Length > 3, "the query should recall more than three products");
        return (whole, Make);
    }

    private static JsonElement[] LoggedCandidates(string path) =>
        [.. JsonDocument.Parse(File.ReadAllLines(path).Single()).RootElement.GetProperty("candidates").EnumerateArray()];

    // Counts the requests it computes features for.
    private sealed class CountingGroup : IFeatureGroup
    {
        public int Calls;
        public string Name => "counted";
        public int Version => 1;
        public IReadOnlyList<string> FeatureNames { get; } = ["counted_title_length"];

        public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
        {
            Interlocked.Increment(ref Calls);
            for (var i = 0; i < candidates.Length; i++) output.Set(i, 0, candidates[i].Product.Title.Length);
        }
    }

    [Fact]
    public void Two_rankers_over_the_same_features_compute_them_once_and_answer_byte_for_byte_as_two_searches()
    {
        var counted = new CountingGroup();
        var fx = new FeatureExtractor([new RecallFeatures(), new TextFeatures(), counted]);
        var wide = new FeatureExtractor([new RecallFeatures(), new TextFeatures(), counted, new ListFeatures()]);
        var n = fx.Schema.Count;
        var control = new WeightedRanker(fx.Schema, ["bm25", "term_coverage"], [0.2f, 1f]);
        var challenger = new LinearRanker(fx.Schema, new float[n], [.. Enumerable.Repeat(1f, n)], [.. Enumerable.Range(0, n).Select(i => (i % 3) - 1f)], 0.5f);
        static string Answer(SearchResponse r) => string.Join("\n", r.Hits.Select(h =>
            $"{h.Rank} {h.Product.Id} {BitConverter.SingleToInt32Bits(h.Score)} {BitConverter.SingleToInt32Bits(h.Unexplained)} "
            + string.Join(",", h.Explanation!.Select(c => $"{c.Feature}={BitConverter.SingleToInt32Bits(c.Value)}/{BitConverter.SingleToInt32Bits(c.Contribution)}")))) + "|" + r.Notice + "|" + r.Recalled;
        using var dir = new TempDir();
        using var logger = new JsonlFeatureLogger(dir.File("features.jsonl"));
        foreach (var logged in new FeatureExtractor?[] { null, wide })
        {
            var first = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, control, new SearchPipelineOptions { RecallWindow = 50 }, logger, _ => false, logged: logged);
            var second = first.WithModel(challenger);
            var request = new SearchRequest("华为 手机") { UserId = 7, TopK = 6, Explain = true, RequestId = "both" };

            counted.Calls = 0;
            var (a, b) = first.SearchBoth(request, second);
            Assert.Equal(1, counted.Calls);
            Assert.True(first.SharesFeaturesWith(second));

            var alone = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, challenger, new SearchPipelineOptions { RecallWindow = 50 }, isKnownUser: _ => false);
            Assert.Equal(Answer(first.Search(request)), Answer(a));
            Assert.Equal(Answer(alone.Search(request)), Answer(b));
            Assert.NotEqual(Answer(a), Answer(b));

            // A pipeline built on its own computes its own features, as two searches do.
            Assert.False(first.SharesFeaturesWith(alone));
            counted.Calls = 0;
            var (c, d) = first.SearchBoth(request, alone);
            Assert.Equal(2, counted.Calls);
            Assert.Equal(Answer(a), Answer(c));
            Assert.Equal(Answer(b), Answer(d));
        }
        Assert.Throws<RankerSchemaMismatchException>(() => new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, control)
            .WithModel(new WeightedRanker(Fixtures.Extractor().Schema, ["bm25"], [1f])));
    }

    [Fact]
    public void Feature_log_rotates_when_the_file_grows_past_its_limit()
    {
        using var dir = new TempDir();
        var path = dir.File("f.jsonl");
        using (var logger = new JsonlFeatureLogger(path, maxBytes: 2048, keep: 2))
        {
            var p = Pipeline(logger: logger);
            for (var i = 0; i < 20; i++) p.Search(new SearchRequest("华为 手机") { RequestId = $"r{i}" });
        }
        Assert.True(File.Exists(path + ".1"));
        Assert.True(File.Exists(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
        Assert.Contains("\"r19\"", File.ReadAllText(path));
    }

    [Fact]
    public void TopK_matches_a_full_stable_sort()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, rng.Next(1, 60)).Select(_ => (float)rng.Next(0, 10)).ToArray();
            var k = rng.Next(1, scores.Length + 1);
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            Assert.Equal(expected, SearchPipeline.TopK(scores, k));
        }
    }
}

public sealed class FeatureLogJoinTests
{
    // Logs one ranked search per (request id, user, query) to `path` through the pipeline, as the service does.
    private static FeatureExtractor Log(string path, params (string Id, long? User, string Query)[] searches)
    {
        var fx = Fixtures.Extractor();
        using var logger = new JsonlFeatureLogger(path);
        var p = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, new Models.WeightedRanker(fx.Schema, ["bm25"], [1f]), logger: logger);
        foreach (var (id, user, query) in searches) p.Search(new SearchRequest(query) { RequestId = id, UserId = user });
        return fx;
    }

    [Fact]
    public void Logged_features_joined_with_later_events_become_graded_training_groups()
    {
        using var dir = new TempDir();
        var path = dir.File("f.jsonl");
        var fx = Log(path, ("a", 7, "华为 手机"), ("b", 8, "连衣裙"), ("c", null, "手机"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var events = new List<SearchRec.Core.Events.UserEvent>
        {
            new(7, 2, 1, SearchRec.Core.Events.Behavior.View, now + 5),
            new(7, 2, 1, SearchRec.Core.Events.Behavior.Buy, now + 60),
            new(7, 3, 1, SearchRec.Core.Events.Behavior.Cart, now + 7200), // outside the window
            new(8, 6, 1, SearchRec.Core.Events.Behavior.Buy, now - 3600),  // before the request
        };
        var (data, report) = Logging.FeatureLogJoin.Join([path], events, TimeSpan.FromMinutes(30));
        Assert.Equal(3, report.Requests);
        Assert.Equal(1, report.Groups);
        Assert.Equal(1, report.Anonymous);
        Assert.Equal(1, report.NoPositive);
        Assert.Equal(fx.Schema.Names, data.Schema.Names);
        var g = data.Groups[0];
        Assert.Equal("a", g.QueryId);
        for (var r = g.Start; r < g.Start + g.Count; r++)
            Assert.Equal(data.Items[r] == "2" ? 4f : 0f, data.Labels[r]);
        Assert.True(float.IsNaN(data.Row(Array.IndexOf(data.Items, "4"))[fx.Schema.IndexOf("brand_match")]));
    }

    [Fact]
    public void A_logger_reopening_a_log_cut_mid_line_starts_its_records_on_a_line_of_their_own()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.jsonl", "{\"request_id\":\"cut");
        Log(path, ("a", 7, "华为 手机"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var (data, report) = Logging.FeatureLogJoin.Join([path], [new(7, 2, 1, SearchRec.Core.Events.Behavior.Buy, now + 60)], TimeSpan.FromMinutes(30));

        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Equal(1, report.Malformed);
        Assert.Equal("a", Assert.Single(data.Groups).QueryId);
    }

    [Fact]
    public void A_log_of_nothing_but_malformed_lines_is_refused_and_each_line_named()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.jsonl", "{\"request_id\":\"x\"}\nnot json\n");
        var named = new List<string>();
        var e = Assert.Throws<InvalidDataException>(() => Logging.FeatureLogJoin.Join([path], [], TimeSpan.FromMinutes(30), named.Add));
        Assert.Contains("2 lines are not feature-log records", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, named.Count);
        Assert.StartsWith($"{path}:1: not a feature-log record", named[0], StringComparison.Ordinal);
        Assert.StartsWith($"{path}:2: not a feature-log record", named[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_last_line_cut_short_by_a_killed_writer_is_skipped_and_the_records_before_it_are_kept()
    {
        using var dir = new TempDir();
        var path = dir.File("f.jsonl");
        Log(path, ("a", 7, "华为 手机"), ("b", 7, "华为 手机"));
        var lines = File.ReadAllLines(path);
        File.WriteAllText(path, lines[0] + "\n" + lines[1][..(lines[1].Length / 2)]);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var named = new List<string>();

        var (data, report) = Logging.FeatureLogJoin.Join([path], [new(7, 2, 1, SearchRec.Core.Events.Behavior.Buy, now + 60)], TimeSpan.FromMinutes(30), named.Add);

        Assert.Equal(1, report.Requests);
        Assert.Equal(1, report.Malformed);
        Assert.Equal("a", Assert.Single(data.Groups).QueryId);
        Assert.StartsWith($"{path}:2: not a feature-log record", Assert.Single(named), StringComparison.Ordinal);
    }

    // 2024-01-01T00:00:00Z, the time of the logged requests below.
    private const long At = 1_704_067_200;

    private static string Request(string id, string candidates) =>
        $$"""{"request_id":"{{id}}","ts":"2024-01-01T00:00:00Z","query":"q","user":1,"schema_version":2,"candidates":[{{candidates}}]}""";

    private static string Candidate(string id, string features) => $$$"""{"id":"{{{id}}}","rank":0,"features":{{{{features}}}}}""";

    [Fact]
    public void Records_with_shown_places_with_or_without_a_team_join_as_older_records_without_them_do()
    {
        using var dir = new TempDir();
        static string Marked(string id, int rank, string marks, string features) => $$$"""{"id":"{{{id}}}","rank":{{{rank}}},{{{marks}}}"features":{{{{features}}}}}""";
        var log = dir.Write("log.jsonl", string.Join('\n',
            Request("old", Candidate("10", "\"a\":1,\"b\":2") + "," + Candidate("11", "\"a\":3,\"b\":4")),
            Request("plain", Marked("10", 0, "", "\"a\":1,\"b\":2") + "," + Marked("11", 73, "\"shown\":0,", "\"a\":3,\"b\":4")),
            Request("interleaved", Marked("10", 0, "\"shown\":1,\"team\":\"control\",", "\"a\":1,\"b\":2") + "," + Marked("11", 73, "\"shown\":0,\"team\":\"challenger\",", "\"a\":3,\"b\":4"))) + "\n");
        SearchRec.Core.Events.UserEvent[] events = [new(1, 11, 1, SearchRec.Core.Events.Behavior.Buy, At + 60)];

        var (data, report) = Logging.FeatureLogJoin.Join([log], events, TimeSpan.FromMinutes(30));

        Assert.Equal(0, report.Malformed);
        Assert.Equal(["old", "plain", "interleaved"], data.Groups.Select(g => g.QueryId));
        Assert.Equal([1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f], data.Features);
        Assert.Equal([0f, 4f, 0f, 4f, 0f, 4f], data.Labels);
    }

    [Fact]
    public void Records_naming_filters_and_a_window_join_as_older_records_without_them_do()
    {
        using var dir = new TempDir();
        var log = dir.Write("log.jsonl", Request("old", Candidate("10", "\"a\":1,\"b\":2") + "," + Candidate("11", "\"a\":3,\"b\":4")) + "\n");
        // Today's records, as the logger writes them: one of a filtered search, one of an unfiltered one.
        var schema = new FeatureSchema(["a", "b"], 2);
        using (var logger = new JsonlFeatureLogger(log))
            foreach (var (id, filters) in new[] { ("filtered", FeatureLogFilters.Of("女装/连衣裙", null, null, 200)), ("unfiltered", null) })
                logger.Log(new FeatureLogRecord(id, DateTimeOffset.FromUnixTimeSeconds(At), "q", 1, schema, ["10", "11"], [1f, 2f, 3f, 4f]) { Filters = filters, Window = 2 });
        Assert.Contains("\"filters\":{\"category\":\"女装/连衣裙\",\"priceMax\":200},\"window\":2,", File.ReadAllLines(log)[1], StringComparison.Ordinal);
        SearchRec.Core.Events.UserEvent[] events = [new(1, 11, 1, SearchRec.Core.Events.Behavior.Buy, At + 60)];

        var (data, report) = Logging.FeatureLogJoin.Join([log], events, TimeSpan.FromMinutes(30));

        Assert.Equal((0, 0), (report.Malformed, report.OtherSchema));
        Assert.Equal(["old", "filtered", "unfiltered"], data.Groups.Select(g => g.QueryId));
        Assert.Equal([1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f], data.Features);
        Assert.Equal([0f, 4f, 0f, 4f, 0f, 4f], data.Labels);
    }

    [Theory]
    [InlineData("\"a\":1,\"c\":3")]            // a feature missing
    [InlineData("\"a\":1,\"c\":3,\"b\":2")]    // the features in another order than the first candidate's
    [InlineData("\"a\":1,\"b\":2,\"x\":3")]    // a feature the first candidate does not have
    [InlineData("\"a\":1,\"b\":1e300,\"c\":3")] // a value no 32-bit float holds
    public void A_candidate_whose_features_do_not_match_the_first_ones_is_named_not_read_by_position(string second)
    {
        using var dir = new TempDir();
        var log = dir.Write("log.jsonl", string.Join('\n',
            Request("r1", Candidate("10", "\"a\":1,\"b\":2,\"c\":3") + "," + Candidate("11", "\"a\":4,\"b\":5,\"c\":6")),
            Request("r2", Candidate("10", "\"a\":1,\"b\":2,\"c\":3") + "," + Candidate("11", second))) + "\n");
        SearchRec.Core.Events.UserEvent[] events = [new(1, 10, 1, SearchRec.Core.Events.Behavior.Buy, At + 60)];
        var problems = new List<string>();

        var (data, report) = Logging.FeatureLogJoin.Join([log], events, TimeSpan.FromMinutes(30), problems.Add);

        Assert.Equal(1, report.Malformed);
        Assert.StartsWith($"{log}:2: not a feature-log record (candidate '11'", Assert.Single(problems), StringComparison.Ordinal);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], data.Features);
    }
}

public sealed class LongInputTests
{
    [Fact]
    public void A_pasted_ten_thousand_character_query_is_answered()
    {
        var fx = Fixtures.Extractor();
        var p = new SearchPipeline(new FakeRecall(Fixtures.Catalog), new SpaceTokenizer(), fx, new Models.WeightedRanker(fx.Schema, ["bm25", "lcs_ratio"], [1f, 1f]));
        var r = p.Search(new SearchRequest(string.Concat(Enumerable.Repeat("华为 手机 ", 2_000))));
        Assert.NotEmpty(r.Hits);
        Assert.True(RankingQuery.Create(new string('手', 10_000), new SpaceTokenizer()).Normalized.Length <= RankingQuery.MaxQueryChars);
    }
}
