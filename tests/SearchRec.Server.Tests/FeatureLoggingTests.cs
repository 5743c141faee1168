using System.Text.Json;
using SearchRec.Collab.Events;
using SearchRec.Ranking.Logging;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The service logs ranked searches' features, and the log joins with the service's own event store into training data.</summary>
public sealed class FeatureLoggingTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_head_request_shows_nobody_a_page_and_writes_no_feature_log_record()
    {
        var logPath = _dir.File("head-features.jsonl");
        string path = $"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=5&user=1";
        string requestId;
        using (var logger = new JsonlFeatureLogger(logPath))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: logger);
            await using var _ = s;
            using var __ = store;
            using (var head = await s.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path)))
                Assert.Equal(System.Net.HttpStatusCode.OK, head.StatusCode);
            requestId = (await s.GetJsonAsync(path)).GetProperty("requestId").GetString()!;
        }

        using var record = JsonDocument.Parse(File.ReadAllLines(logPath).Single());
        Assert.Equal(requestId, record.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task A_filtered_searchs_record_names_only_the_filters_given_and_the_window_its_answer_reports()
    {
        var logPath = _dir.File("filtered-features.jsonl");
        string q = Uri.EscapeDataString(shop.Queries[0]);
        JsonElement answer;
        string leaf;
        double price;
        using (var logger = new JsonlFeatureLogger(logPath))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: logger);
            await using var _ = s;
            using var __ = store;
            // Filters that keep at least one product: the category and price of a product the search finds.
            var first = (await s.GetJsonAsync($"/search?q={q}&k=20&sort=price_asc")).GetProperty("results").EnumerateArray()
                .First(r => r.GetProperty("price").ValueKind == JsonValueKind.Number);
            (leaf, price) = (first.GetProperty("category").GetString()!.Split('/')[^1], first.GetProperty("price").GetDouble());
            answer = await s.GetJsonAsync($"/search?q={q}&k=5&user=1&category={Uri.EscapeDataString(leaf)}&priceMax={price.ToString(System.Globalization.CultureInfo.InvariantCulture)}&window=30");
        }

        Assert.NotEmpty(answer.GetProperty("results").EnumerateArray());
        using var record = JsonDocument.Parse(File.ReadAllLines(logPath).Single());   // the sorted search is not logged
        var root = record.RootElement;
        Assert.Equal(answer.GetProperty("requestId").GetString(), root.GetProperty("request_id").GetString());
        // Only the filters given, under /search's names: no brand, no priceMin.
        var filters = root.GetProperty("filters");
        Assert.Equal(["category", "priceMax"], filters.EnumerateObject().Select(f => f.Name));
        Assert.Equal(leaf, filters.GetProperty("category").GetString());
        Assert.Equal(price, filters.GetProperty("priceMax").GetDouble());
        Assert.Equal(answer.GetProperty("window").GetInt32(), root.GetProperty("window").GetInt32());
        Assert.True(root.GetProperty("window").GetInt32() <= 30);
    }

    [Fact]
    public async Task An_unfiltered_searchs_record_has_no_filters_and_the_window_its_answer_reports()
    {
        var logPath = _dir.File("unfiltered-features.jsonl");
        string q = Uri.EscapeDataString(shop.Queries[0]);
        var answers = new List<JsonElement>();
        using (var logger = new JsonlFeatureLogger(logPath))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: logger);
            await using var _ = s;
            using var __ = store;
            // The service's whole window, and a smaller one the request asks for; anonymous and a known user.
            answers.Add(await s.GetJsonAsync($"/search?q={q}&k=5"));
            answers.Add(await s.GetJsonAsync($"/search?q={q}&k=5&user=1&window=3"));
        }

        var lines = File.ReadAllLines(logPath);
        Assert.Equal(2, lines.Length);
        Assert.Equal(3, answers[1].GetProperty("window").GetInt32());
        Assert.True(answers[0].GetProperty("window").GetInt32() > 3);
        for (int i = 0; i < lines.Length; i++)
        {
            using var record = JsonDocument.Parse(lines[i]);
            Assert.False(record.RootElement.TryGetProperty("filters", out _), lines[i][..Math.Min(200, lines[i].Length)]);
            Assert.Equal(answers[i].GetProperty("window").GetInt32(), record.RootElement.GetProperty("window").GetInt32());
        }
    }

    [Fact]
    public async Task A_deep_rankers_logged_searches_name_the_deep_model_that_scored_them()
    {
        var logPath = _dir.File("deep-features.jsonl");
        using (var logger = new JsonlFeatureLogger(logPath))
        {
            var (s, store) = await shop.StartAsync(withDeepRanker: true, featureLogger: logger);
            await using var _ = s;
            using var __ = store;
            await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=5&user=900102");
        }

        using var record = JsonDocument.Parse(File.ReadAllLines(logPath).Single());
        // The fingerprint a ranker learnt from this log records, and that search and serve then check.
        Assert.Equal(SearchRec.Ranking.Features.ModelLocations.DeepFingerprint(shop.DeepPath), record.RootElement.GetProperty("deep_fingerprint").GetString());
    }

    [Fact]
    public async Task Searches_are_logged_under_the_answers_request_id_and_a_later_purchase_labels_its_candidate()
    {
        var logPath = _dir.File("features.jsonl");
        using var logger = new JsonlFeatureLogger(logPath);
        var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: logger);
        await using var _ = s;
        using var __ = store;
        const long user = 900_101;
        var ids = new List<string>();
        var answers = new List<JsonElement>();
        foreach (var q in shop.Queries.Take(3))
            answers.Add(await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(q)}&k=5&user={user}"));
        var bought = answers[1].GetProperty("results")[2].GetProperty("id").GetString()!;
        var post = await s.PostEventsAsync($$"""[{"user":{{user}},"item":"{{bought}}","behavior":"buy"}]""");
        Assert.Equal(200, (int)post.StatusCode);

        // A view sorted by price is not logged: its clicks follow the prices, not the ranking.
        Assert.Equal(200, (int)(await s.Client.GetAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=5&user={user}&sort=price_asc")).StatusCode);

        // One line per answered search: the warm-up's searches are not in the log.
        var lines = File.ReadAllLines(logPath);
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            using var record = JsonDocument.Parse(lines[i]);
            Assert.Equal(answers[i].GetProperty("requestId").GetString(), record.RootElement.GetProperty("request_id").GetString());
            Assert.Equal(user, record.RootElement.GetProperty("user").GetInt64());
        }

        // Operators see the log at work in /metrics (the counter is process-wide, so at least these three).
        var metrics = await s.Client.GetStringAsync("/metrics");
        var written = System.Text.RegularExpressions.Regex.Match(metrics, @"^searchrec_feature_log_records_total(?:\{[^}]*\})? (\d+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(written.Success, "no feature-log counter in /metrics");
        Assert.True(long.Parse(written.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 3);

        // The service's own store labels the logged candidates (read-only, while the service runs).
        var (data, report) = FeatureLogJoin.Join([logPath], SqliteEventStore.ReadFile(store.Path), TimeSpan.FromMinutes(30));
        Assert.Equal(3, report.Requests);
        Assert.Equal(1, report.Groups);
        Assert.Equal(2, report.NoPositive);
        var group = Assert.Single(data.Groups);
        var labels = data.Labels.AsSpan(group.Start, group.Count).ToArray();
        Assert.Equal(1, labels.Count(l => l > 0));
        Assert.Equal(4, labels.Max());   // buy
    }

    [Fact]
    public async Task With_all_features_logged_a_text_only_ranker_logs_the_collaborative_group_and_a_ranker_reading_it_serves()
    {
        const long user = 900_102;
        var query = $"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=5&user={user}";
        string[] Ids(JsonElement answer) => [.. answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];

        var logPath = _dir.File("all-features.jsonl");
        string[] plain, wide;
        using (var narrowLogger = new JsonlFeatureLogger(_dir.File("ranker-features.jsonl")))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: narrowLogger);
            await using (s) using (store) plain = Ids(await s.GetJsonAsync(query));
        }
        using (var logger = new JsonlFeatureLogger(logPath))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: logger, logAllFeatures: true);
            await using (s) using (store)
            {
                var answer = await s.GetJsonAsync(query);
                wide = Ids(answer);
                var post = await s.PostEventsAsync($$"""[{"user":{{user}},"item":"{{wide[1]}}","behavior":"buy"}]""");
                Assert.Equal(200, (int)post.StatusCode);
                var (data, report) = FeatureLogJoin.Join([logPath], SqliteEventStore.ReadFile(store.Path), TimeSpan.FromMinutes(30));
                Assert.Equal(1, report.Groups);
                Assert.Contains("cf_item_item", data.Schema.Names);
                Assert.Contains("item_hours_since_event", data.Schema.Names);
                Assert.Contains("bm25_title", data.Schema.Names);

                // A ranker trained from such a log reads the collaborative columns, and the service computes them for it.
                var personal = _dir.File("personal-ranker");
                SearchRec.Ranking.Models.RankerStore.Save(new SearchRec.Ranking.Models.WeightedRanker(data.Schema, ["bm25", "cf_item_item"], [1f, 1f]), personal);
                var (served, servedStore) = await shop.StartAsync(rankerPath: personal);
                await using (served) using (servedStore)
                    Assert.Equal(5, (await served.GetJsonAsync(query)).GetProperty("results").GetArrayLength());
            }
        }
        // The ranker's own answers do not change with what is logged.
        Assert.Equal(plain, wide);
        var narrow = JsonDocument.Parse(File.ReadLines(_dir.File("ranker-features.jsonl")).Single()).RootElement;
        Assert.False(narrow.GetProperty("candidates")[0].GetProperty("features").TryGetProperty("cf_item_item", out _));
    }

    private static string Q(string text) => Uri.EscapeDataString(text);

    private static JsonElement[] Candidates(string line) => [.. JsonDocument.Parse(line).RootElement.GetProperty("candidates").EnumerateArray()];

    private static string[] Ids(JsonElement answer) => [.. answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];

    [Fact]
    public async Task A_known_users_page_holds_an_item_their_blend_lifted_from_below_the_depth_so_a_purchase_of_it_labels_it()
    {
        // A user of the shop with a history: the shop's ranker reads text alone, so it is fused with their blend after ranking.
        const long user = 1;
        const int depth = 5, k = 5;

        // The ranker's own order of each query's whole window (its records' ranks) and the pages the fusion made of it.
        var wholePath = _dir.File("whole-window.jsonl");
        var answers = new List<(string Query, string RequestId, string[] Page)>();
        using (var whole = new JsonlFeatureLogger(wholePath))
        {
            var (a, aStore) = await shop.StartAsync(withRanker: true, featureLogger: whole, configureLoader: o => o.FeatureLogDepth = 10_000);
            await using (a) using (aStore)
                foreach (var q in shop.Queries)
                {
                    var answer = await a.GetJsonAsync($"/search?q={Q(q)}&user={user}&k={k}");
                    answers.Add((q, answer.GetProperty("requestId").GetString()!, Ids(answer)));
                }
        }
        var byRequest = File.ReadAllLines(wholePath).ToDictionary(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()!, Candidates);
        // A query whose first page shows an item the ranker placed below the depth.
        var (query, wholeId, _) = answers.First(x => byRequest.TryGetValue(x.RequestId, out var c) && x.Page.Any(id => c.Single(e => e.GetProperty("id").GetString() == id).GetProperty("rank").GetInt32() >= depth));
        var window = byRequest[wholeId];
        var rank = window.ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("rank").GetInt32());
        var features = window.ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("features").GetRawText());

        var logPath = _dir.File("page-features.jsonl");
        JsonElement[] pages;
        string lifted;
        (SearchRec.Ranking.Training.RankingDataset Data, FeatureLogJoin.Report Report) joined;
        using (var logger = new JsonlFeatureLogger(logPath))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: logger, configureLoader: o => o.FeatureLogDepth = depth);
            await using (s) using (store)
            {
                pages = [await s.GetJsonAsync($"/search?q={Q(query)}&user={user}&k={k}"), await s.GetJsonAsync($"/search?q={Q(query)}&user={user}&k={k}&offset={k}")];
                lifted = Ids(pages[0]).First(id => rank[id] >= depth);
                var post = await s.PostEventsAsync($$"""[{"user":{{user}},"item":"{{lifted}}","behavior":"buy"}]""");
                Assert.Equal(200, (int)post.StatusCode);
                joined = FeatureLogJoin.Join([logPath], SqliteEventStore.ReadFile(store.Path), TimeSpan.FromMinutes(30));
            }
        }

        // train-ranker --labels-from-events learns from the purchase; the record used to stop at the depth and miss it.
        var (data, report) = joined;
        Assert.Equal(1, report.Groups);
        var group = Assert.Single(data.Groups);
        Assert.Equal(pages[0].GetProperty("requestId").GetString(), group.QueryId);
        int row = Array.IndexOf(data.Items, lifted, group.Start, group.Count);
        Assert.True(row >= 0, $"{lifted} is not in the joined group");
        Assert.Equal(4, data.Labels[row]);

        var lines = File.ReadAllLines(logPath);
        Assert.Equal(2, lines.Length);
        var top = rank.Where(r => r.Value < depth).OrderBy(r => r.Value).Select(r => r.Key).ToArray();
        for (int p = 0; p < 2; p++)
        {
            Assert.Equal(pages[p].GetProperty("requestId").GetString(), JsonDocument.Parse(lines[p]).RootElement.GetProperty("request_id").GetString());
            var candidates = Candidates(lines[p]);
            var page = Ids(pages[p]);
            // The ranker's best-ranked first, as before; then the page's items it ranked lower.
            Assert.Equal(top, candidates.Take(depth).Select(c => c.GetProperty("id").GetString()));
            Assert.Equal(depth + page.Count(id => rank[id] >= depth), candidates.Length);
            var byId = candidates.ToDictionary(c => c.GetProperty("id").GetString()!);
            for (int i = 0; i < page.Length; i++) Assert.Equal(k * p + i, byId[page[i]].GetProperty("shown").GetInt32());
            Assert.Equal(page.Length, candidates.Count(c => c.TryGetProperty("shown", out _)));
            foreach (var c in candidates)
            {
                // One ranking: no team. The ranker's own rank and features, wherever the page put the item.
                Assert.False(c.TryGetProperty("team", out _));
                string id = c.GetProperty("id").GetString()!;
                Assert.Equal(rank[id], c.GetProperty("rank").GetInt32());
                Assert.Equal(features[id], c.GetProperty("features").GetRawText());
            }
        }
    }

    [Fact]
    public async Task A_program_ranking_in_process_gets_the_record_written_with_the_hits_it_was_given_and_without_a_feature_log_nothing_is_held()
    {
        const long user = 1;
        var events = _dir.File("in-process-events.db");
        File.Copy(shop.EventsPath, events);
        using var store = new SqliteEventStore(events);
        ShopLoader Loader(IFeatureLogger? logger) => new(new ShopLoaderOptions
        {
            IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = shop.RankerPath, FeatureLogger = logger, FeatureLogDepth = 3,
            WarmUp = TimeSpan.Zero,
        }, new EventStoreLog(store));
        var query = new SearchQuery(shop.Queries[0], null, null, null, null);

        // Without a feature log there is no record to hold, so the host gathers no page for one.
        using (var plain = await Loader(null).LoadAsync(new ReloadRequest(false), null, CancellationToken.None))
            Assert.Null(plain.Search.Rank(query with { HostWritesFeatureLog = true }, plain.Search.Recall(query), user, 5, explain: false).FeatureLog);

        var logPath = _dir.File("in-process.jsonl");
        RankResult ranked;
        using (var logger = new JsonlFeatureLogger(logPath))
        using (var logged = await Loader(logger).LoadAsync(new ReloadRequest(false), null, CancellationToken.None))
        {
            Assert.NotNull(logged.Search.Rank(query with { HostWritesFeatureLog = true }, logged.Search.Recall(query), user, 5, explain: false).FeatureLog);
            Assert.False(File.Exists(logPath) && File.ReadAllText(logPath).Length > 0, "the host's record waits for its page");
            // A caller that does not write the record itself (examples/InProcess) has it written with the hits it asked for.
            ranked = logged.Search.Rank(query, logged.Search.Recall(query), user, 5, explain: false);
            Assert.Null(ranked.FeatureLog);
        }
        var candidates = Candidates(File.ReadAllLines(logPath).Single());
        var byId = candidates.ToDictionary(c => c.GetProperty("id").GetString()!);
        for (int i = 0; i < ranked.Hits.Count; i++) Assert.Equal(i, byId[ranked.Hits[i].ProductId].GetProperty("shown").GetInt32());
        Assert.Equal(ranked.Hits.Count, candidates.Count(c => c.TryGetProperty("shown", out _)));
    }

    [Fact]
    public async Task Without_a_logger_nothing_is_written_and_answers_still_name_their_request()
    {
        var (s, store) = await shop.StartAsync(withRanker: true);
        await using var _ = s;
        using var __ = store;
        var r = await s.GetJsonAsync($"/search?q={Uri.EscapeDataString(shop.Queries[0])}&k=3");
        Assert.Equal(32, r.GetProperty("requestId").GetString()!.Length);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }
}
