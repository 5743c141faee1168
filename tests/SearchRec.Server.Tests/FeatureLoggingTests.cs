using System.Text.Json;
using SearchRec.Collab.Events;
using SearchRec.Ranking.Logging;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The service logs ranked searches' features, and the log joins with the service's own event store into training data.</summary>
public sealed class FeatureLoggingTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

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
