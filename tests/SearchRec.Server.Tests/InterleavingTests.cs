using System.Text.Json;
using SearchRec.Collab.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Interleaving;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.Models;
using SearchRec.Server.Adapters;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>
/// <c>serve --challenger</c>: searches by a known user in relevance order show a team-draft interleaving of the served
/// ranker's and the challenger's lists, each hit with its team, and the pages shown go to the impression log.
/// </summary>
public sealed class InterleavingTests(TinyShop shop) : IClassFixture<TinyShop>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A ranker of another kind that orders the window nearly the other way round from the shop's (BM25 and title BM25),
    // so both teams have picks of their own to draft.
    private string Challenger()
    {
        var dir = _dir.File("challenger-linear");
        if (Directory.Exists(dir)) return dir;
        var schema = StandardFeatures.ForSearch().Schema;
        var w = new float[schema.Count];
        w[schema.IndexOf("bm25")] = -1;
        var ones = new float[schema.Count];
        Array.Fill(ones, 1f);
        RankerStore.Save(new LinearRanker(schema, new float[schema.Count], ones, w, 0), dir);
        return dir;
    }

    private Task<(TestServer Server, SqliteEventStore Store)> StartInterleavingAsync(IInterleavingLog log, double share = 1) =>
        shop.StartAsync(withRanker: true, configureLoader: o =>
        {
            o.ChallengerPath = Challenger();
            o.InterleavingLog = log;
            o.InterleaveShare = share;
        });

    private static string Q(string text) => Uri.EscapeDataString(text);

    private static List<(string Id, string? Team)> Hits(JsonElement answer) =>
        [.. answer.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("id").GetString()!, r.TryGetProperty("team", out var t) ? t.GetString() : null))];

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) Copy(d, Path.Combine(to, Path.GetFileName(d)));
    }

    // A ranker on BM25 and the shop's deep query–item score in layout/name; it finds the deep folder beside it
    // (layout/deep), as train-ranker leaves them.
    private string DeepRanker(string layout, string name, float deepWeight)
    {
        var dir = Path.Combine(layout, name);
        using var deep = SearchRec.Deep.Scoring.DeepScorer.Open(shop.DeepPath);
        var schema = StandardFeatures.ForSearch(new FeatureSources { DeepText = deep }).Schema;
        RankerStore.Save(new WeightedRanker(schema, ["bm25", "deep_query_item"], [1f, deepWeight]), dir);
        return dir;
    }

    // A user of the shop with a history, so the rankers are fused with their blend as in real traffic.
    private const long User = 1;

    [Fact]
    public async Task Hits_carry_their_team_and_are_the_team_draft_of_the_two_rankers_lists_with_each_rankers_own_scores_and_explanations()
    {
        string query = shop.Queries[0];
        string path = $"/search?q={Q(query)}&user={User}&k=10&explain=true";
        JsonElement control, challenger, interleaved;
        var (a, aStore) = await shop.StartAsync(withRanker: true);
        await using (a) using (aStore) control = await a.GetJsonAsync(path);
        var (b, bStore) = await shop.StartAsync(rankerPath: Challenger());
        await using (b) using (bStore) challenger = await b.GetJsonAsync(path);
        using (var log = new JsonlInterleavingLog(_dir.File("draft.jsonl")))
        {
            var (s, store) = await StartInterleavingAsync(log);
            await using (s) using (store) interleaved = await s.GetJsonAsync(path);
        }

        var hits = Hits(interleaved);
        Assert.Equal(10, hits.Count);
        Assert.All(hits, h => Assert.Contains(h.Team, new[] { "control", "challenger" }));
        // Team draft: the team with fewer picks goes next, so each pair of places holds one pick of each team.
        for (int i = 0; i + 1 < hits.Count; i += 2) Assert.NotEqual(hits[i].Team, hits[i + 1].Team);
        Assert.Contains(hits, h => h.Team == "challenger");

        // The very list TeamDraft makes of the two rankers' own answers, with the seed of the user and the query.
        var normalised = interleaved.GetProperty("query").GetString()!;
        var expected = TeamDraft.Interleave([.. Hits(control).Select(h => h.Id)], [.. Hits(challenger).Select(h => h.Id)], 10, TeamDraft.SeedOf($"{User}\n{normalised}"));
        Assert.Equal(expected.Select(e => (e.ItemId, (string?)JsonlInterleavingLog.NameOf(e.Team))), hits);

        // Each hit's score and explanation are its own team's ranker's.
        var own = new Dictionary<string, Dictionary<string, JsonElement>>
        {
            ["control"] = control.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!),
            ["challenger"] = challenger.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!),
        };
        foreach (var r in interleaved.GetProperty("results").EnumerateArray())
        {
            var mine = own[r.GetProperty("team").GetString()!][r.GetProperty("id").GetString()!];
            Assert.Equal(mine.GetProperty("score").GetDouble(), r.GetProperty("score").GetDouble());
            Assert.Equal(mine.GetProperty("explain").GetRawText(), r.GetProperty("explain").GetRawText());
        }
        Assert.True(interleaved.GetProperty("stagesMs").TryGetProperty("rank.challenger", out _));
    }

    [Fact]
    public async Task Page_two_continues_page_one_without_repeating_or_skipping_an_item_and_the_log_holds_each_page_as_shown()
    {
        var logPath = _dir.File("pages.jsonl");
        string query = shop.Queries[1];
        JsonElement first, second, whole;
        using (var log = new JsonlInterleavingLog(logPath))
        {
            var (s, store) = await StartInterleavingAsync(log);
            await using (s) using (store)
            {
                first = await s.GetJsonAsync($"/search?q={Q(query)}&user={User}&k=5");
                second = await s.GetJsonAsync($"/search?q={Q(query)}&user={User}&k=5&offset=5");
                whole = await s.GetJsonAsync($"/search?q={Q(query)}&user={User}&k=10");
            }
        }
        var paged = Hits(first).Concat(Hits(second)).ToList();
        Assert.Equal(Hits(whole), paged);
        Assert.Equal(10, paged.Select(h => h.Id).Distinct().Count());

        // One record per page shown, as shown, under the answer's request id.
        var records = JsonlInterleavingLog.Read([logPath]).ToList();
        Assert.Equal(3, records.Count);
        var answers = new[] { (first, 0), (second, 5), (whole, 0) };
        for (int i = 0; i < 3; i++)
        {
            var (answer, offset) = answers[i];
            var r = records[i];
            Assert.Equal(answer.GetProperty("requestId").GetString(), r.RequestId);
            Assert.Equal(User, r.UserId);
            Assert.Equal(answer.GetProperty("query").GetString(), r.Query);
            Assert.Equal(offset, r.Offset);
            Assert.Equal(Hits(answer), r.Items.Select(it => (it.ItemId, (string?)JsonlInterleavingLog.NameOf(it.Team))));
            Assert.Equal(new InterleavedRankers("ranker", "weighted", "challenger-linear", "linear"), r.Rankers);
            Assert.True(DateTimeOffset.UtcNow - r.Timestamp < TimeSpan.FromMinutes(5));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_feature_log_holds_every_item_of_an_interleaved_page_with_its_place_team_and_the_controls_features_so_a_purchase_of_a_challenger_pick_below_the_depth_labels_it(bool sharedFeatures)
    {
        string query = shop.Queries[6];
        string Page(int offset) => $"/search?q={Q(query)}&user={User}&k=5&offset={offset}";
        static JsonElement[] Candidates(string line) => [.. JsonDocument.Parse(line).RootElement.GetProperty("candidates").EnumerateArray()];

        // The control's own ranking of the whole window and its features, from a service without a challenger.
        var wholePath = _dir.File("whole-window.jsonl");
        using (var whole = new JsonlFeatureLogger(wholePath))
        {
            var (a, aStore) = await shop.StartAsync(withRanker: true, featureLogger: whole, configureLoader: o => o.FeatureLogDepth = 10_000);
            await using (a) using (aStore) await a.GetJsonAsync(Page(0));
        }
        var control = Candidates(File.ReadAllLines(wholePath).Single());
        var controlRank = control.ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("rank").GetInt32());
        var controlFeatures = control.ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("features").GetRawText());

        const int depth = 3;
        var logPath = _dir.File("interleaved-features.jsonl");
        JsonElement[] pages;
        string bought;
        (SearchRec.Ranking.Training.RankingDataset Data, FeatureLogJoin.Report Report) joined;
        using (var features = new JsonlFeatureLogger(logPath))
        using (var log = new JsonlInterleavingLog(_dir.File("interleaved-pages.jsonl")))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, featureLogger: features, configureLoader: o =>
            {
                o.ChallengerPath = Challenger();
                o.InterleavingLog = log;
                o.FeatureLogDepth = depth;
                o.ShareChallengerFeatures = sharedFeatures;
            });
            await using (s) using (store)
            {
                pages = [await s.GetJsonAsync(Page(0)), await s.GetJsonAsync(Page(5))];
                // A challenger pick on page 2 that the control ranks below the logged depth: the record used to lack it.
                bought = Hits(pages[1]).First(h => h.Team == "challenger" && controlRank[h.Id] >= depth).Id;
                var post = await s.PostEventsAsync($$"""[{"user":{{User}},"item":"{{bought}}","behavior":"buy"}]""");
                Assert.Equal(200, (int)post.StatusCode);
                joined = FeatureLogJoin.Join([logPath], SqliteEventStore.ReadFile(store.Path), TimeSpan.FromMinutes(30));
            }
        }

        var lines = File.ReadAllLines(logPath);
        Assert.Equal(2, lines.Length);
        for (int p = 0; p < 2; p++)
        {
            using var record = JsonDocument.Parse(lines[p]);
            Assert.Equal(pages[p].GetProperty("requestId").GetString(), record.RootElement.GetProperty("request_id").GetString());
            var candidates = Candidates(lines[p]);
            // The control's best-ranked first, as without a challenger; then the page's items it ranked lower.
            Assert.Equal(control.Take(depth).Select(c => c.GetProperty("id").GetString()), candidates.Take(depth).Select(c => c.GetProperty("id").GetString()));
            var byId = candidates.ToDictionary(c => c.GetProperty("id").GetString()!);
            var page = Hits(pages[p]);
            for (int i = 0; i < page.Count; i++)
            {
                var c = byId[page[i].Id];
                Assert.Equal(5 * p + i, c.GetProperty("shown").GetInt32());
                Assert.Equal(page[i].Team, c.GetProperty("team").GetString());
            }
            Assert.Equal(page.Count, candidates.Count(c => c.TryGetProperty("shown", out _)));
            Assert.Equal(depth + page.Count(h => controlRank[h.Id] >= depth), candidates.Length);
            foreach (var c in candidates)
            {
                // The control's features and its rank of each item, whichever team showed it.
                string id = c.GetProperty("id").GetString()!;
                Assert.Equal(controlRank[id], c.GetProperty("rank").GetInt32());
                Assert.Equal(controlFeatures[id], c.GetProperty("features").GetRawText());
            }
        }

        // train-ranker --labels-from-events now learns from the purchase.
        var (data, report) = joined;
        Assert.Equal(1, report.Groups);
        var group = Assert.Single(data.Groups);
        Assert.Equal(pages[1].GetProperty("requestId").GetString(), group.QueryId);
        int row = Array.IndexOf(data.Items, bought, group.Start, group.Count);
        Assert.True(row >= 0);
        Assert.Equal(4, data.Labels[row]);
    }

    [Fact]
    public async Task Past_the_thousandth_place_an_interleaved_search_ends_where_the_rankers_lists_end()
    {
        // 1,200 candidates of titles of 7 lengths, which BM25 prefers short and the challenger long: each ranker returns
        // its best 1,000, and their union is larger. A draft run past 1,000 places
        // would go on with whichever team still had items (every pick one team's), where the ranker alone ends.
        var products = Enumerable.Range(1, 1_200).Select(i => SearchRec.Core.Product.Of(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"陶瓷 杯子 {i}" + string.Concat(Enumerable.Repeat(" 白色 大号", i % 7))) with { Price = 2_000 - i }).ToList();
        var index = _dir.File("index-1200");
        using (SearchRec.Index.ProductIndex.Build(products, new SearchRec.Index.IndexOptions(), index)) { }
        var logPath = _dir.File("past.jsonl");
        string q = Q("杯子");
        JsonElement late, past;
        using (var log = new JsonlInterleavingLog(logPath))
        {
            var (s, store) = await shop.StartAsync(withRanker: true, indexPath: index, recallWindow: 2_000, configureLoader: o =>
            {
                o.ChallengerPath = Challenger();
                o.InterleavingLog = log;
            });
            await using (s) using (store)
            {
                late = await s.GetJsonAsync($"/search?q={q}&user={User}&k=10&offset=995");
                past = await s.GetJsonAsync($"/search?q={q}&user={User}&k=10&offset=1000");
            }
        }
        Assert.Equal(5, Hits(late).Count);
        Assert.All(Hits(late), h => Assert.NotNull(h.Team));
        Assert.Empty(Hits(past));
    }

    [Fact]
    public async Task A_reload_loads_the_challenger_again_and_one_that_broke_keeps_the_old_generation_interleaving()
    {
        // A challenger folder of its own, so breaking it leaves the other tests' alone.
        var challenger = _dir.File("reload/challenger-linear");
        Directory.CreateDirectory(challenger);
        foreach (var f in Directory.GetFiles(Challenger())) File.Copy(f, Path.Combine(challenger, Path.GetFileName(f)));
        string path = $"/search?q={Q(shop.Queries[5])}&user={User}&k=10";
        using var log = new JsonlInterleavingLog(_dir.File("reload.jsonl"));
        var (s, store) = await shop.StartAsync(withRanker: true, configureLoader: o =>
        {
            o.ChallengerPath = challenger;
            o.InterleavingLog = log;
        });
        await using (s) using (store)
        {
            var before = await s.GetJsonAsync(path);
            string generation = before.GetProperty("generation").GetString()!;
            File.WriteAllText(Path.Combine(challenger, RankerStore.ModelFile), "{ not a ranker");
            var (status, body) = await TestServer.ReadAsync(await s.ReloadAsync());
            Assert.NotEqual(200, status);
            Assert.Contains("challenger", body.GetRawText(), StringComparison.Ordinal);
            var after = await s.GetJsonAsync(path);
            Assert.Equal(generation, after.GetProperty("generation").GetString());
            Assert.Equal(Hits(before), Hits(after));
            Assert.All(Hits(after), h => Assert.NotNull(h.Team));
        }
    }

    [Fact]
    public async Task A_head_request_shows_no_page_so_it_logs_no_impression()
    {
        var logPath = _dir.File("head.jsonl");
        string path = $"/search?q={Q(shop.Queries[4])}&user={User}&k=10";
        using (var log = new JsonlInterleavingLog(logPath))
        {
            var (s, store) = await StartInterleavingAsync(log);
            await using (s) using (store)
            {
                using var head = await s.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
                Assert.Equal(System.Net.HttpStatusCode.OK, head.StatusCode);
                Assert.All(Hits(await s.GetJsonAsync(path)), h => Assert.NotNull(h.Team));
            }
        }
        // Only the GET's page: a HEAD (a monitor, a link checker) sends the headers and no results to anybody.
        Assert.Single(File.ReadAllLines(logPath));
    }

    [Fact]
    public async Task Sorted_and_anonymous_searches_are_not_interleaved_and_answer_as_the_ranker_alone_does()
    {
        string query = shop.Queries[2];
        var paths = new[] { $"/search?q={Q(query)}&k=10", $"/search?q={Q(query)}&user={User}&k=10&sort=price_asc", $"/search?q={Q(query)}&user={User}&k=10&sort=popular" };
        var alone = new List<string>();
        var (a, aStore) = await shop.StartAsync(withRanker: true);
        await using (a) using (aStore)
            foreach (var p in paths) alone.Add((await a.GetJsonAsync(p)).GetProperty("results").GetRawText());
        var logPath = _dir.File("not-interleaved.jsonl");
        using (var log = new JsonlInterleavingLog(logPath))
        {
            var (s, store) = await StartInterleavingAsync(log);
            await using (s) using (store)
            {
                for (int i = 0; i < paths.Length; i++)
                {
                    var answer = await s.GetJsonAsync(paths[i]);
                    Assert.All(Hits(answer), h => Assert.Null(h.Team));
                    Assert.Equal(alone[i], answer.GetProperty("results").GetRawText());
                }
                // The same search by a known user in relevance order is interleaved.
                Assert.All(Hits(await s.GetJsonAsync($"/search?q={Q(query)}&user={User}&k=10")), h => Assert.NotNull(h.Team));
            }
        }
        Assert.Single(File.ReadAllLines(logPath));
    }

    [Fact]
    public async Task A_service_without_a_challenger_answers_byte_for_byte_as_one_whose_challenger_leaves_the_search_out()
    {
        // Share 0.3: find users whose query is out (the choice follows the user and query alone).
        string query = shop.Queries[3];
        var (s, store) = await shop.StartAsync(withRanker: true);
        var plain = new Dictionary<long, string>();
        await using (s) using (store)
            for (long u = 1; u <= 30; u++)
                plain[u] = (await s.GetJsonAsync($"/search?q={Q(query)}&user={u}&k=10&explain=true")).GetProperty("results").GetRawText();
        Assert.All(plain.Values, raw => Assert.DoesNotContain("\"team\"", raw, StringComparison.Ordinal));

        var logPath = _dir.File("share.jsonl");
        int inside = 0, outside = 0;
        using (var log = new JsonlInterleavingLog(logPath))
        {
            var (i, iStore) = await StartInterleavingAsync(log, share: 0.3);
            await using (i) using (iStore)
                for (long u = 1; u <= 30; u++)
                {
                    var first = (await i.GetJsonAsync($"/search?q={Q(query)}&user={u}&k=10&explain=true")).GetProperty("results").GetRawText();
                    var again = (await i.GetJsonAsync($"/search?q={Q(query)}&user={u}&k=10&explain=true")).GetProperty("results").GetRawText();
                    // A user's query is always in or always out.
                    Assert.Equal(first, again);
                    if (first.Contains("\"team\"", StringComparison.Ordinal)) inside++;
                    else
                    {
                        outside++;
                        Assert.Equal(plain[u], first);
                    }
                }
        }
        Assert.True(inside > 0 && outside > 0, $"{inside} interleaved, {outside} not");
        Assert.Equal(2 * inside, File.ReadAllLines(logPath).Length);
    }

    [Fact]
    public async Task A_challenger_reading_the_controls_features_scores_the_controls_matrix_and_its_pages_are_byte_for_byte_those_of_two_computations()
    {
        // Text rankers fused with the user's blend (the shop's and the linear challenger), and deep rankers on the same
        // tower (a copy of its folder beside the challenger): both pairs read one schema from the same sources.
        var layout = _dir.File("features-shared");
        Copy(shop.DeepPath, Path.Combine(layout, "deep"));
        var pairs = new (string Control, string Challenger)[] { (shop.RankerPath, Challenger()), (DeepRanker(layout, "control", 0.05f), DeepRanker(layout, "challenger", 20f)) };
        var paths = new List<string>();
        foreach (long user in new long[] { User, 2, 900_101 })
            foreach (var q in shop.Queries.Take(4))
                foreach (int offset in new[] { 0, 5 })
                    paths.Add($"/search?q={Q(q)}&user={user}&k=5&offset={offset}&explain=true");

        foreach (var (control, challenger) in pairs)
        {
            var answers = new Dictionary<bool, List<string>>();
            foreach (bool share in new[] { true, false })
            {
                using var log = new JsonlInterleavingLog(_dir.File($"share-{share}-{Guid.NewGuid():N}.jsonl"));
                var (s, store) = await shop.StartAsync(rankerPath: control, configureLoader: o =>
                {
                    o.ChallengerPath = challenger;
                    o.InterleavingLog = log;
                    o.ShareChallengerFeatures = share;
                });
                await using (s) using (store)
                {
                    var state = (SearchRec.Server.Internals.ServiceState)s.App.Services.GetService(typeof(SearchRec.Server.Internals.ServiceState))!;
                    Assert.Equal(share, ((IndexSearchBackend)state.Peek.Search).SharesFeatures);
                    var list = answers[share] = [];
                    foreach (var path in paths) list.Add((await s.GetJsonAsync(path)).GetProperty("results").GetRawText());
                }
            }
            Assert.Contains(answers[true], raw => raw.Contains("\"team\":\"challenger\"", StringComparison.Ordinal));
            Assert.Equal(answers[false], answers[true]);
        }
    }

    [Fact]
    public async Task A_challenger_on_the_same_deep_files_as_the_control_reads_its_loaded_towers_and_one_on_another_deep_model_loads_its_own()
    {
        string Ranker(string layout, string name, float deepWeight) => DeepRanker(_dir.File(layout), name, deepWeight);
        Copy(shop.DeepPath, _dir.File("same/deep"));
        var control = Ranker("same", "control", 1f);
        var sameFolder = Ranker("same", "challenger", 3f);
        Copy(shop.DeepPath, _dir.File("copy/deep"));
        var copiedFolder = Ranker("copy", "challenger", 3f);
        // Another model: the same towers but one item vector changed, so another fingerprint.
        Copy(shop.DeepPath, _dir.File("other/deep"));
        var vectors = Directory.GetFiles(_dir.File("other/deep"), "*.bin").Single(f => Path.GetFileName(f).StartsWith("text-item-vectors", StringComparison.Ordinal));
        using (var fs = File.OpenWrite(vectors))
        {
            fs.Seek(-4, SeekOrigin.End);
            fs.Write(BitConverter.GetBytes(0.5f));
        }
        var otherModel = Ranker("other", "challenger", 3f);
        Assert.NotEqual(ModelLocations.DeepFingerprint(_dir.File("same/deep")), ModelLocations.DeepFingerprint(_dir.File("other/deep")));
        // The same item vectors (so the same fingerprint) beside another query tower: not the same model either.
        Copy(shop.DeepPath, _dir.File("query/deep"));
        // (The text tower that encodes queries, with a doc string added: ONNX reads a field given again, the last one.)
        using (var tower = File.Open(Path.Combine(_dir.File("query/deep"), "text-tower.onnx"), FileMode.Append)) tower.Write([0x32, 0x01, (byte)'x']);
        var otherQueryTower = Ranker("query", "challenger", 3f);
        Assert.Equal(ModelLocations.DeepFingerprint(_dir.File("same/deep")), ModelLocations.DeepFingerprint(_dir.File("query/deep")));

        using var log = new JsonlInterleavingLog(_dir.File("deep-shared.jsonl"));
        async Task<int> DeepModelsLoaded(string challenger)
        {
            var events = _dir.File($"events-{Guid.NewGuid():N}.db");
            File.Copy(shop.EventsPath, events);
            using var store = new SqliteEventStore(events, new SqliteEventStoreOptions { SynchronousFull = false });
            var loader = new ShopLoader(new ShopLoaderOptions
            {
                IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = control, ChallengerPath = challenger, InterleavingLog = log, WarmUp = TimeSpan.Zero,
            }, new EventStoreLog(store));
            using var generation = await loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None);
            // Both rankers serve from it: the interleaved page holds picks of each.
            var recalled = generation.Search.Recall(new SearchQuery(shop.Queries[0], null, null, null, null));
            var ranked = generation.Search.Rank(new SearchQuery(shop.Queries[0], null, null, null, null), recalled, User, 10, false);
            Assert.NotNull(ranked.Interleaving);
            Assert.Contains(ranked.Hits, h => h.Team == InterleavingTeam.Challenger);
            return generation.Owned.OfType<SearchRec.Deep.Scoring.IDenseScorer>().Count();
        }

        Assert.Equal(1, await DeepModelsLoaded(sameFolder));
        Assert.Equal(1, await DeepModelsLoaded(copiedFolder));
        Assert.Equal(2, await DeepModelsLoaded(otherModel));
        Assert.Equal(2, await DeepModelsLoaded(otherQueryTower));

        // A challenger whose card records another deep model is refused on the shared copy as on its own.
        var stale = Ranker("same", "stale", 3f);
        File.WriteAllText(Path.Combine(stale, "model-card.json"), """{"kind": "weighted", "data": {"deep_fingerprint": "00112233aabbccdd"}}""");
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => DeepModelsLoaded(stale));
        Assert.StartsWith($"challenger {stale}: ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("00112233aabbccdd", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_refuses_a_challenger_it_cannot_serve_and_says_why()
    {
        using var log = new JsonlInterleavingLog(_dir.File("refused.jsonl"));
        ShopLoaderOptions Options(Action<ShopLoaderOptions> change)
        {
            var o = new ShopLoaderOptions { IndexPath = shop.IndexPath, CollabModelsPath = shop.CollabPath, RankerPath = shop.RankerPath, ChallengerPath = Challenger(), InterleavingLog = log };
            change(o);
            return o;
        }
        (Action<ShopLoaderOptions> Change, string Message)[] cases =
        [
            (o => o.ChallengerPath = _dir.File("nowhere"), $"ShopLoaderOptions.ChallengerPath: ranker folder '{_dir.File("nowhere")}' does not exist."),
            (o => o.RankerPath = null, "ShopLoaderOptions.ChallengerPath is compared with the ranker in service: set RankerPath as well."),
            (o => o.InterleavingLog = null, "ShopLoaderOptions.ChallengerPath needs InterleavingLog"),
            (o => o.PipelineFactory = (_, _, _) => throw new InvalidOperationException("not called"), "which PipelineFactory replaces: leave one of them out."),
            (o => o.InterleaveShare = 0, "ShopLoaderOptions.InterleaveShare must be in (0, 1] (is 0)."),
            (o => o.InterleaveShare = 1.5, "ShopLoaderOptions.InterleaveShare must be in (0, 1] (is 1.5)."),
            (o => o.InterleaveShare = double.NaN, "ShopLoaderOptions.InterleaveShare must be in (0, 1] (is NaN)."),
            (o => o.ChallengerPath = null, "ShopLoaderOptions.InterleavingLog logs interleaved pages: set ChallengerPath as well."),
        ];
        foreach (var (change, message) in cases)
        {
            var e = Assert.Throws<ArgumentException>(() => Options(change).Validate());
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
        }

        // A challenger whose features cannot be computed (deep columns, no deep model beside it) is refused at load as
        // the ranker would be, naming it as the challenger.
        var copy = _dir.File("events-refused.db");
        File.Copy(shop.EventsPath, copy);
        using var store = new SqliteEventStore(copy, new SqliteEventStoreOptions { SynchronousFull = false });
        var orphan = _dir.File("orphan/challenger-deep");
        Directory.CreateDirectory(orphan);
        foreach (var f in Directory.GetFiles(shop.DeepRankerPath)) File.Copy(f, Path.Combine(orphan, Path.GetFileName(f)));
        var loader = new ShopLoader(Options(o => { o.ChallengerPath = orphan; o.WarmUp = TimeSpan.Zero; }), new EventStoreLog(store));
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => loader.LoadAsync(new ReloadRequest(false), null, CancellationToken.None));
        Assert.StartsWith($"challenger {orphan}: ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("deep", refused.Message, StringComparison.Ordinal);
    }
}
