using System.Globalization;
using System.CommandLine;
using System.Text.Json;
using SearchRec.Cli.Commands;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Cli.Tests;

/// <summary>Runs the evaluation commands in-process on a tiny generated shop. One class: the tests swap Console.Out.</summary>
public sealed partial class EvalCliTests : IClassFixture<EvalCliTests.TinyShop>
{
    private readonly TinyShop _shop;

    public EvalCliTests(TinyShop shop) => _shop = shop;

    public sealed class TinyShop : IDisposable
    {
        public TinyShop()
        {
            var (code, _, err) = Run(new GenerateCommand(), "--products", "800", "--users", "40", "--sessions", "6", "--seed", "5", "--out", Dir.Path);
            if (code != 0) throw new InvalidOperationException("generate failed: " + err);
        }

        public TempDir Dir { get; } = new();

        public string File(string name) => Dir.File(name);

        public void Dispose() => Dir.Dispose();
    }

    private static readonly Lock ConsoleLock = new();

    private static (int Code, string Out, string Err) Run(ICliCommand command, params string[] args) => Run(command.Build(), args);

    private static (int Code, string Out, string Err) Run(IBenchCommand command, params string[] args) => Run(command.Build(), args);

    private static (int Code, string Out, string Err) Run(Command command, params string[] args)
    {
        lock (ConsoleLock)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (o, e) = (new StringWriter(), new StringWriter());
            Console.SetOut(o);
            Console.SetError(e);
            try
            {
                var code = command.Parse(args).Invoke();
                return (code, o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    // A ranker of BM25 alone (weighted, one column) saved to `folder`, with a card holding the given data entries.
    private static void SaveBm25Ranker(string folder, params (string Key, string Value)[] card)
    {
        SearchRec.Ranking.Models.RankerStore.Save(new SearchRec.Ranking.Models.WeightedRanker(SearchRec.Ranking.Features.StandardFeatures.ForSearch().Schema, ["bm25"], [1f]), folder);
        if (card.Length == 0) return;
        var saved = new SearchRec.Ranking.Models.ModelCard { Kind = "weighted" };
        foreach (var (key, value) in card) saved.Data[key] = value;
        saved.Save(folder);
    }

    private string HalfOfTheUsers(TempDir dir)
    {
        var users = dir.File("users.txt");
        Assert.Equal(0, Run(new SplitUsersCommand(), "--events", _shop.File("events.csv"), "--fraction", "0.5", "--out", users).Code);
        return users;
    }

    // Next-item mode on the tiny shop, small enough to run in seconds: 3 inner cuts, no behaviour tower.
    private (int Code, string Out, string Err) NextItem(string users, string models, params string[] more) =>
        Run(new TrainRankerCommand(), ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users,
            "--models", models, "--inner-cuts", "3", "--tower-epochs", "0", .. more]);

    [Fact]
    public void Train_ranker_next_item_mode_prints_every_model_and_writes_an_html_report_beside_the_ranker()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var models = Path.Combine(outDir.Path, "next");
        var (code, output, err) = NextItem(users, models, "--no-grid");
        Assert.True(code == 0, err);
        foreach (var model in new[] { "repeat", "blend", "oracle-pool", "fused-lambdamart", "fused-linear" })
            Assert.Contains(model, output, StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(models, "next-item-report.html"));
        Assert.Contains("<td>fused-lambdamart</td>", html, StringComparison.Ordinal);
        Assert.Contains("paired randomisation test against", html, StringComparison.Ordinal);
        Assert.Contains("src=\"data:image/png;base64,", html, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(models, "ranker.json")));
    }

    [Fact]
    public void Next_item_mode_averages_every_grid_setting_by_default_logging_each_one_and_refuses_pick_best_without_the_grid()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var models = Path.Combine(outDir.Path, "avg");
        var (code, _, err) = NextItem(users, models);
        Assert.True(code == 0, err);
        Assert.Contains("settings' models averaged", err, StringComparison.Ordinal);
        // The training line says what is trained (not the one setting it used to name), and each setting says when it is done.
        var training = err.Split('\n').Single(l => l.Contains("training on all inner cuts", StringComparison.Ordinal));
        Assert.EndsWith("LambdaMART 7 settings, averaged", training.TrimEnd(), StringComparison.Ordinal);
        for (var k = 1; k <= 7; k++) Assert.Contains($"trained setting {k}/7 on all inner cuts: engine", err, StringComparison.Ordinal);
        using var ranker = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "ranker.json")));
        Assert.Equal("lambdamart-bag", ranker.RootElement.GetProperty("kind").GetString());
        Assert.Equal(7, ranker.RootElement.GetProperty("members").GetArrayLength());
        Assert.Contains("7 settings' models averaged", File.ReadAllText(Path.Combine(models, "model-card.md")), StringComparison.Ordinal);

        (code, _, err) = NextItem(users, Path.Combine(outDir.Path, "bad"), "--no-grid", "--pick-best");
        Assert.Equal(2, code);
        Assert.Contains("--pick-best", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(outDir.Path, "bad")));
    }

    [Fact]
    public void Next_item_pointwise_trains_on_users_without_a_pooled_truth_averages_the_distinct_settings_and_says_so()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var models = Path.Combine(outDir.Path, "pointwise");
        var (code, output, err) = NextItem(users, models, "--pointwise");
        Assert.True(code == 0, err);
        // Every user with events before an inner cut is a training group, not only those with a pooled truth.
        var cutLine = err.Split('\n').First(l => l.Contains("inner cut 1 (", StringComparison.Ordinal));
        var counts = System.Text.RegularExpressions.Regex.Match(cutLine, @"(\d+) users, (\d+) with a positive candidate");
        Assert.True(counts.Success, cutLine);
        Assert.True(int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture) > int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture), cutLine);
        // The two truncation-20 settings are LambdaMART's alone: five distinct settings are averaged.
        Assert.Contains("pointwise trees 5 settings, averaged", err, StringComparison.Ordinal);
        Assert.DoesNotContain("truncation", err, StringComparison.Ordinal);
        Assert.Contains("fused-pointwise", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fused-lambdamart", output, StringComparison.Ordinal);
        Assert.Contains("next_item.loss", File.ReadAllText(Path.Combine(models, "model-card.md")), StringComparison.Ordinal);
        using var ranker = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "ranker.json")));
        Assert.Equal(5, ranker.RootElement.GetProperty("members").GetArrayLength());

        (code, _, err) = NextItem(users, Path.Combine(outDir.Path, "bad"), "--pointwise", "--ideal-weights");
        Assert.Equal(2, code);
        Assert.Contains("--ideal-weights", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(outDir.Path, "bad")));
    }

    [Fact]
    public void Next_item_mode_warns_when_the_saved_ranker_loses_to_the_blend_on_validation_and_saves_it_anyway()
    {
        using var outDir = new TempDir();
        var models = Path.Combine(outDir.Path, "weak");
        // On the tiny shop the given settings' LambdaMART (0.36 on the validation cut) is below cf_blend alone (0.37).
        var (code, _, err) = NextItem(HalfOfTheUsers(outDir), models, "--no-grid");

        Assert.True(code == 0, err);
        Assert.Contains("is below the collaborative blend alone", err, StringComparison.Ordinal);
        Assert.Contains("`serve` would do better with the blend (leave out --feed-ranker)", err, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(models, "ranker.json")));
    }

    [Fact]
    public void Eval_rec_fused_scores_a_saved_next_item_ranker_as_train_ranker_scored_the_same_users()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var models = Path.Combine(outDir.Path, "next");
        var (code, _, err) = Run(new TrainRankerCommand(), ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users,
            "--models", models, "--inner-cuts", "3", "--tower-epochs", "1", "--no-grid"]);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(models, SearchRec.Ranking.NextItem.NextItemRecommender.TowerFolder, "deep-model.json")), "the tower is saved beside the ranker");
        var trained = SearchRec.Ranking.Models.ModelCard.Read(models)!.Metrics["fused-lambdamart"]["ndcg@20"];

        (code, var output, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users,
            "--model", "repeat,fused", "--ranker", models, "--json");
        Assert.True(code == 0, err);
        using var line = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal("fused", line.RootElement.GetProperty("model").GetString());
        // The collaborative models and the tower are retrained on the pre-cut events, as train-ranker built them.
        Assert.Equal(trained, line.RootElement.GetProperty("metrics").GetProperty("ndcg@20").GetDouble(), 9);

        // Evaluated before its own cut, the ranker would be scored on behaviour it learned from.
        (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512144000", "--test-users-from", users,
            "--model", "fused", "--ranker", models);
        Assert.Equal(2, code);
        Assert.Contains("learned from behaviour up to", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_lists_a_users_feed_in_the_feed_rankers_order_and_explains_each_item()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var ranker = Path.Combine(outDir.Path, "next");
        var collab = Path.Combine(outDir.Path, "collab");
        Assert.Equal(0, NextItem(users, ranker, "--no-grid").Code);
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", collab).Code);
        var user = File.ReadLines(users).First().Split(',')[0];
        string[] args = ["--user", user, "--events", _shop.File("events.csv"), "--collab", collab, "--feed-ranker", ranker, "--at", "1512230400", "--k", "4"];

        var (code, plain, err) = Run(new RecommendCommand(), args);
        Assert.True(code == 0, err);
        var items = plain.Split('\n').Where(l => l.EndsWith("fused", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        Assert.Equal(4, items.Count);

        (code, var explained, err) = Run(new RecommendCommand(), [.. args, "--explain"]);
        Assert.True(code == 0, err);
        // The same items in the same order, each followed by its largest contributions, named by feature.
        Assert.Equal(items, explained.Split('\n').Where(l => l.EndsWith("fused", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        Assert.Contains(explained.Split('\n'), l => SearchRec.Ranking.NextItem.NextItemRanking.Schema.Names.Any(f => l.TrimStart().StartsWith(f + " ", StringComparison.Ordinal)));
        Assert.DoesNotContain("NaN", explained, StringComparison.Ordinal);

        // Without the ranker: the blend, as the service answers; a user with no events: popular items.
        Assert.Contains("blend", Run(new RecommendCommand(), "--user", user, "--events", _shop.File("events.csv"), "--collab", collab).Out, StringComparison.Ordinal);
        Assert.Contains("popularity", Run(new RecommendCommand(), "--user", "987654321", "--events", _shop.File("events.csv"), "--collab", collab, "--feed-ranker", ranker).Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--k", "0", "--k must be between 1 and 1,000 (was 0)")]
    [InlineData("--explain", null, "--explain explains a ranker's scores: give --feed-ranker")]
    [InlineData("--feed-ranker", "no-such-folder", "--feed-ranker: no-such-folder: no such folder")]
    [InlineData("--at", "yesterday", "--at: 'yesterday' is neither Unix seconds nor an ISO 8601 time")]
    public void Recommend_refuses_bad_options_naming_them(string option, string? value, string message)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("collab"));
        string[] args = ["--user", "1", "--events", _shop.File("events.csv"), "--collab", dir.File("collab"), option, .. value is null ? Array.Empty<string>() : [value]];
        var (code, _, err) = Run(new RecommendCommand(), args);
        Assert.Equal(2, code);
        Assert.Contains("recommend: " + message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_rec_fused_is_refused_without_a_next_item_ranker()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--model", "fused");
        Assert.Equal(2, code);
        Assert.Contains("--ranker", err, StringComparison.Ordinal);

        var search = outDir.File("search-ranker");
        var schema = SearchRec.Ranking.Features.StandardFeatures.ForSearch().Schema;
        SearchRec.Ranking.Models.RankerStore.Save(new SearchRec.Ranking.Models.WeightedRanker(schema, ["bm25"], [1f]), search);
        (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--model", "fused", "--ranker", search);
        Assert.Equal(2, code);
        Assert.Contains(SearchRec.Ranking.NextItem.NextItemRanking.Schema.ToString(), err, StringComparison.Ordinal);

        (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--model", "repeat", "--ranker", search);
        Assert.Equal(2, code);
        Assert.Contains("--model fused", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_rec_with_report_writes_every_model_tested_against_repeat()
    {
        using var outDir = new TempDir();
        var users = HalfOfTheUsers(outDir);
        var report = outDir.File("rec.html");
        var (code, output, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users,
            "--model", "popularity,repeat,blend", "--k", "10", "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("blend", output, StringComparison.Ordinal);
        var html = File.ReadAllText(report);
        foreach (var model in new[] { "popularity", "repeat", "blend" }) Assert.Contains($"<td>{model}</td>", html, StringComparison.Ordinal);
        Assert.Contains("paired randomisation test against repeat", html, StringComparison.Ordinal);
        Assert.Contains("<th>ndcg@10</th>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_writes_every_file_of_the_shop()
    {
        foreach (var name in new[] { "catalog.jsonl", "events.csv", "queries.tsv", "qrels.tsv", "queries-users.tsv", "users.jsonl" })
            Assert.True(new FileInfo(_shop.File(name)).Length > 0, name);
        Assert.Equal(800, File.ReadLines(_shop.File("catalog.jsonl")).Count());
    }

    [Fact]
    public void Eval_json_ends_with_one_object_holding_the_four_metrics_and_writes_run_and_report()
    {
        var run = _shop.File("out/bm25.run");
        var report = _shop.File("out/report.html");
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25", "--json", "--run-out", run, "--report", report, "--depth", "200");

        Assert.True(code == 0, stderr);
        var last = stdout.TrimEnd().Split('\n')[^1];
        using var json = JsonDocument.Parse(last);
        Assert.Equal("bm25", json.RootElement.GetProperty("ranker").GetString());
        var queries = File.ReadLines(_shop.File("queries.tsv")).Count();
        Assert.Equal(queries, json.RootElement.GetProperty("queries").GetInt32());
        var metrics = json.RootElement.GetProperty("metrics");
        foreach (var m in new[] { "mrr@10", "ndcg@10", "recall@100", "recall@1000" })
            Assert.InRange(metrics.GetProperty(m).GetDouble(), 0.0001, 1.0);
        // The run holds every query; the report embeds the charts.
        Assert.Equal(queries, File.ReadLines(run).Select(l => l.Split(' ')[0]).Distinct().Count());
        Assert.Contains("data:image/png;base64,", File.ReadAllText(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_of_several_rankers_prints_a_p_value_for_each_after_the_first()
    {
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25-title,bm25-bigram", "--json", "--run-out", _shop.File("multi/run.trec"),
            "--report", _shop.File("multi/report.html"), "--depth", "100");

        Assert.True(code == 0, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        using var first = JsonDocument.Parse(lines[^2]);
        using var second = JsonDocument.Parse(lines[^1]);
        Assert.Equal("bm25-title", first.RootElement.GetProperty("ranker").GetString());
        Assert.False(first.RootElement.TryGetProperty("p_vs_first", out _));
        Assert.InRange(second.RootElement.GetProperty("p_vs_first").GetProperty("ndcg@10").GetDouble(), 0.0, 1.0);
        Assert.True(File.Exists(_shop.File("multi/run.bm25-title.trec")));
        Assert.True(File.Exists(_shop.File("multi/run.bm25-bigram.trec")));
    }

    [Fact]
    public void Compare_of_a_run_with_itself_reports_zero_deltas_and_p_one()
    {
        var run = _shop.File("cmp/bm25.run");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25", "--run-out", run, "--report", _shop.File("cmp/report.html"), "--depth", "50");
        Assert.True(code == 0, stderr);

        var (code2, stdout, stderr2) = Run(new CompareCommand(), run, run, "--qrels", _shop.File("qrels.tsv"), "--json", "--report", _shop.File("cmp/self.html"));
        Assert.True(code2 == 0, stderr2);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        foreach (var m in json.RootElement.GetProperty("metrics").EnumerateObject())
        {
            Assert.Equal(0, m.Value.GetProperty("delta").GetDouble());
            Assert.Equal(1, m.Value.GetProperty("p").GetDouble());
        }
    }

    [Fact]
    public void Compare_writes_a_side_by_side_report_of_the_two_runs_with_the_same_figures_as_its_table()
    {
        var runs = _shop.File("cmp2/run.run");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25,bm25-title", "--run-out", runs, "--report", _shop.File("cmp2/eval.html"), "--depth", "50");
        Assert.True(code == 0, stderr);
        var (a, b) = (_shop.File("cmp2/run.bm25.run"), _shop.File("cmp2/run.bm25-title.run"));

        (code, var stdout, stderr) = Run(new CompareCommand(), a, b, "--qrels", _shop.File("qrels.tsv"), "--json", "--report", _shop.File("cmp2/compare.html"));

        Assert.True(code == 0, stderr);
        var ndcg = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.GetProperty("metrics").GetProperty("ndcg@10");
        var html = File.ReadAllText(_shop.File("cmp2/compare.html"));
        Assert.Contains($"Run A (the reference of the p-values and wins): {a}", html, StringComparison.Ordinal);
        Assert.Contains("<td>A: bm25</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>B: bm25-title</td>", html, StringComparison.Ordinal);
        Assert.Contains(ndcg.GetProperty("b").GetDouble().ToString("F4", CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        Assert.Contains($"p={ndcg.GetProperty("p").GetDouble().ToString("F4", CultureInfo.InvariantCulture)}", html, StringComparison.Ordinal);
        Assert.Contains($"<td>B: bm25-title</td><td class=\"win\">{ndcg.GetProperty("wins").GetInt32()}</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<th>seconds</th>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_notes_qrels_that_grade_a_pair_twice_differently_and_scores_the_later_grade()
    {
        using var dir = new TempDir();
        var run = dir.Write("a.run", "1 Q0 d1 1 2.0 a\n1 Q0 d2 2 1.0 a\n");
        var qrels = dir.Write("qrels.txt", "1 0 d1 1\n1 0 d2 0\n1 0 d1 0\n1 0 d2 1\n");
        var (code, stdout, stderr) = Run(new CompareCommand(), run, run, "--qrels", qrels, "--json", "--report", dir.File("c.html"));

        Assert.True(code == 0, stderr);
        Assert.Contains($"note: {qrels}: 2 pairs are graded twice with different grades (first: query '1' document 'd1' graded 1 at line 1 and 0 at line 3); the later grade counts",
            stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        // d2, graded 1 last, is the relevant one: MRR@10 1/2.
        Assert.Equal(0.5, JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.GetProperty("metrics").GetProperty("mrr@10").GetProperty("a").GetDouble(), 6);
    }

    [Fact]
    public void Compare_report_gives_each_metric_the_same_B_minus_A_as_the_console_table_and_json()
    {
        var runs = _shop.File("cmp3/run.run");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25,bm25-title", "--run-out", runs, "--report", _shop.File("cmp3/eval.html"), "--depth", "50");
        Assert.True(code == 0, stderr);

        (code, var stdout, stderr) = Run(new CompareCommand(), _shop.File("cmp3/run.bm25.run"), _shop.File("cmp3/run.bm25-title.run"),
            "--qrels", _shop.File("qrels.tsv"), "--json", "--report", _shop.File("cmp3/compare.html"));

        Assert.True(code == 0, stderr);
        var html = File.ReadAllText(_shop.File("cmp3/compare.html"));
        var row = System.Text.RegularExpressions.Regex.Match(html, "<tr><td>B: bm25-title − A: bm25</td>(.*?)</tr>");
        Assert.True(row.Success, "no B − A row in the report");
        var cells = System.Text.RegularExpressions.Regex.Matches(row.Groups[1].Value, "<td[^>]*>([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();
        // The console's rows: metric │ A │ B │ B − A │ p │ wins/losses.
        var console = stdout.Split('\n').Select(l => l.Split('│', StringSplitOptions.TrimEntries)).Where(c => c.Length == 8)
            .ToDictionary(c => c[1], c => c[4], StringComparer.Ordinal);
        var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.GetProperty("metrics");
        string[] metrics = ["mrr@10", "ndcg@10", "recall@100", "recall@1000"];
        Assert.Equal(metrics.Length, cells.Count);
        for (var i = 0; i < metrics.Length; i++)
        {
            Assert.Equal(console[metrics[i]], cells[i]);
            var delta = json.GetProperty(metrics[i]).GetProperty("delta").GetDouble();
            Assert.InRange(double.Parse(cells[i], CultureInfo.InvariantCulture) - delta, -0.00005001, 0.00005001);
            Assert.True(delta == 0 || cells[i][0] == (delta > 0 ? '+' : '-'), $"{metrics[i]}: {cells[i]} against {delta}");
        }
        Assert.Contains(cells, c => c != "0.0000");   // the two runs differ, so the check is not of zeros alone
    }

    [Fact]
    public void Eval_of_a_catalog_whose_id_holds_a_space_names_that_line_and_writes_a_run_of_the_rest_that_reads_back()
    {
        // Such an id once reached eval, which could write no run for it; the catalog refuses it now, naming the line.
        using var dir = new TempDir();
        var catalog = dir.Write("catalog.jsonl", "{\"id\": \"sku 1\", \"title\": \"红色 连衣裙\"}\n{\"id\": \"sku2\", \"title\": \"红色 衬衫\"}\n");
        var queries = dir.Write("queries.tsv", "1\t连衣裙\n2\t红色\n");
        var qrels = dir.Write("qrels.tsv", "2 0 sku2 1\n");
        var run = dir.Write("bm25.run", "stale 0 x 1 1 old\n");
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", catalog, "--queries", queries, "--qrels", qrels, "--ranker", "bm25",
            "--json", "--run-out", run, "--report", dir.File("report.html"));

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(1, json.RootElement.GetProperty("metrics").GetProperty("recall@100").GetDouble());
        Assert.Contains($"{catalog}:1: field 'id' holds U+0020 (white space) at character 4", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(["2 Q0 sku2"], File.ReadAllLines(run).Select(l => string.Join(' ', l.Split(' ')[..3])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1 0 5 0\n2 0 7 -1\n")]
    public void Compare_and_eval_with_qrels_that_grade_nothing_relevant_say_so_and_exit_2(string content)
    {
        using var dir = new TempDir();
        var qrels = dir.Write("qrels.tsv", content);
        var run = dir.Write("a.run", "1 Q0 5 1 2 a\n2 Q0 7 1 2 a\n");
        var (code, _, stderr) = Run(new CompareCommand(), run, run, "--qrels", qrels, "--report", dir.File("c.html"));
        Assert.Equal(2, code);
        Assert.Contains($"{qrels} has no document graded above 0", stderr, StringComparison.Ordinal);

        // eval says it before indexing the catalog (a missing one would be named first otherwise).
        (code, _, stderr) = Run(new EvalCommand(), "--catalog", dir.File("absent.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", qrels, "--ranker", "bm25", "--report", dir.File("e.html"));
        Assert.Equal(2, code);
        Assert.Contains($"{qrels} has no document graded above 0", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_notes_relevant_judgments_the_catalog_lacks_and_a_depth_below_the_recall_cut_off()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("catalog.tsv", "d1\t红色 连衣裙\nd2\t红色 衬衫\n");
        var queries = dir.Write("queries.tsv", "1\t连衣裙\n2\t衬衫\n");
        var qrels = dir.Write("qrels.tsv", "1 0 d1 1\n1 0 gone 2\n1 0 d2 0\n2 0 d2 1\n2 0 lost 0\n");
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", catalog, "--queries", queries, "--qrels", qrels, "--ranker", "bm25",
            "--json", "--depth", "50", "--run-out", dir.File("bm25.run"), "--report", dir.File("report.html"));

        Assert.True(code == 0, stderr);
        Assert.Contains("note: 1 of the 3 relevant judgments of the evaluated queries (1 query) name a document the catalog lacks (first: 'gone' of query '1')", stderr, StringComparison.Ordinal);
        Assert.Contains("note: --depth 50 ranks at most 50 documents per query, so recall@1000 and recall@100 are recall@50", stderr, StringComparison.Ordinal);
        // The judgment still counts: query 1 finds one of its two relevant documents.
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(0.75, json.RootElement.GetProperty("metrics").GetProperty("recall@100").GetDouble(), 6);
    }

    [Fact]
    public void Eval_with_a_broken_qrels_line_exits_2_naming_the_file_and_line()
    {
        var bad = _shop.Dir.Write("bad-qrels.tsv", "1 0 5 1\n2 0 7\n");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", bad, "--ranker", "bm25");
        Assert.Equal(2, code);
        Assert.Contains($"{bad}:2:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_lambdamart_towers_transfer_learns_over_a_model_of_other_judgments_and_search_serves_it()
    {
        using var dir = new TempDir();
        var ens = TwoTinyTowers(dir);
        var ood = OutsidePairs(dir);

        var (code, stdout, stderr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--combiner", "lambdamart-towers-transfer", "--deep", ens, "--ood-train", ood,
            "--models", dir.File("ranker"), "--folds", "2", "--trees", "20", "--save-index", dir.File("index"));

        Assert.True(code == 0, stderr);
        Assert.Contains($"transfer data: {24:N0} titles, {OutsideTopics.Length} queries", stderr, StringComparison.Ordinal);
        Assert.Contains("saved lambdamart-towers-transfer ranker", stdout, StringComparison.Ordinal);
        var card = File.ReadAllText(dir.File("ranker/model-card.md"));
        Assert.Contains("| lambdamart-towers-transfer |", card, StringComparison.Ordinal);
        Assert.Contains("option transfer:", card, StringComparison.Ordinal);
        var saved = SearchRec.Ranking.Models.RankerStore.Read(dir.File("ranker"));
        var stacked = Assert.IsType<SearchRec.Ranking.Models.StackedRanker>(saved);
        Assert.Equal("lambdamart", stacked.Base.Kind);

        var (hits, _) = SearchServes(dir);
        Assert.Contains("transfer_rank", hits, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_on_outside_judgments_alone_saves_a_ranker_that_search_serves_over_another_catalog()
    {
        using var dir = new TempDir();
        var ood = OutsidePairs(dir);

        var (code, stdout, stderr) = Run(new TrainRankerCommand(), "--ood-train", ood, "--models", dir.File("ranker"), "--folds", "2", "--trees", "20");

        Assert.True(code == 0, stderr);
        Assert.Contains($"outside judgments: {24:N0} titles, {OutsideTopics.Length} queries", stderr, StringComparison.Ordinal);
        Assert.Contains("saved lambdamart ranker", stdout, StringComparison.Ordinal);
        Assert.Contains("trained on outside judgments only", stdout, StringComparison.Ordinal);
        Assert.Contains("no judgment of the catalog it serves", File.ReadAllText(dir.File("ranker/model-card.md")), StringComparison.Ordinal);
        var saved = SearchRec.Ranking.Models.RankerStore.Read(dir.File("ranker"));
        Assert.DoesNotContain(saved.Schema.Names, n => n.StartsWith("deep_", StringComparison.Ordinal) || n.StartsWith("cf_", StringComparison.Ordinal));

        var (indexed, _, indexErr) = Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index"));
        Assert.True(indexed == 0, indexErr);
        var (hits, _) = SearchServes(dir);
        Assert.Contains("bm25_rel", hits, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_pairs_evaluates_graded_query_title_lines_as_catalog_queries_and_judgments_and_a_ranker_trained_on_them()
    {
        using var dir = new TempDir();
        var test = OutsidePairs(dir);
        var more = dir.Write("more.jsonl", """{"id": 1, "query": "雨伞推荐", "title": "折叠雨伞 晴雨两用", "label": "0"}""" + "\n");
        var (trained, _, trainErr) = Run(new TrainRankerCommand(), "--ood-train", test, "--models", dir.File("ranker"), "--folds", "0", "--trees", "20");
        Assert.True(trained == 0, trainErr);

        var (code, stdout, stderr) = Run(new EvalCommand(), "--pairs", test, "--pairs-catalog", more, "--ranker", "bm25,fused", "--models", dir.File("ranker"),
            "--json", "--report", dir.File("report.html"), "--run-out", dir.File("run.run"));

        Assert.True(code == 0, stderr);
        Assert.Contains($"{OutsideTopics.Length * 3} in {test}; 25 titles, {OutsideTopics.Length} queries", stderr, StringComparison.Ordinal);
        // Trained on these very pairs: the card's query fingerprints say so, though no query file is named.
        Assert.Contains($"warning: {OutsideTopics.Length} of the {OutsideTopics.Length} evaluated queries are among the {OutsideTopics.Length} query texts that ranker was trained on", stderr, StringComparison.Ordinal);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["bm25", "fused"], rows.Select(r => r.GetProperty("ranker").GetString()));
        Assert.All(rows, r => Assert.Equal(OutsideTopics.Length, r.GetProperty("queries").GetInt32()));
        // BM25 ranks first the title equal to the query ("连衣裙推荐"), judged only under another query, so unjudged
        // here and not relevant; the query's own graded titles follow it.
        Assert.Equal(0.5, rows[0].GetProperty("metrics").GetProperty("mrr@10").GetDouble(), 3);
        // The report says fused is the saved ranker and shows the importance its card recorded, once.
        var html = File.ReadAllText(dir.File("report.html"));
        Assert.Contains("<b>fused</b> is the saved ranker in", html, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "fused: Feature importance \\(lambdamart, as its model card recorded it at training\\)</h2>"));
        // The judgments made from the pairs are written beside the runs, so compare can score them later.
        var qrels = dir.File("run.pairs.qrels");
        Assert.Contains(qrels, stderr, StringComparison.Ordinal);
        var (compared, compareOut, compareErr) = Run(new CompareCommand(), dir.File("run.bm25.run"), dir.File("run.fused.run"), "--qrels", qrels, "--report", dir.File("compare.html"));
        Assert.True(compared == 0, compareErr);
        Assert.Contains($"{OutsideTopics.Length} judged queries", compareOut + compareErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_window_sets_how_many_candidates_the_trained_rankers_rerank()
    {
        double[] Ndcg(params string[] extra)
        {
            var (code, stdout, stderr) = Run(new EvalCommand(), ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
                "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25,linear", "--json", "--report", _shop.File("window.html"), "--run-out", _shop.File("window.run"), .. extra]);
            Assert.True(code == 0, stderr);
            return [.. stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("metrics").GetProperty("ndcg@10").GetDouble())];
        }
        // With a window of one, the ranker re-ranks BM25's first candidate alone: its run is BM25's.
        var one = Ndcg("--window", "1");
        Assert.Equal(one[0], one[1], 9);
        var wide = Ndcg();
        Assert.NotEqual(wide[0], wide[1], 6);

        var (refused, _, err) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--window", "0");
        Assert.Equal(2, refused);
        Assert.Contains("--window must be between 1 and 10,000 (was 0)", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_pairs_refuses_a_catalog_or_queries_beside_it()
    {
        using var dir = new TempDir();
        var test = OutsidePairs(dir);
        var (code, _, stderr) = Run(new EvalCommand(), "--pairs", test, "--queries", _shop.File("queries.tsv"));
        Assert.Equal(2, code);
        Assert.Contains("leave out --catalog, --queries, --qrels, --query-users and --index", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"));
        Assert.Equal(2, code);
        Assert.Contains("give --queries FILE and --qrels FILE (or --pairs FILE)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_reads_several_outside_judgment_files_as_one_merging_a_query_they_share()
    {
        using var dir = new TempDir();
        var first = OutsidePairs(dir);
        // Two new queries, and one of the first file's queries judged again over a new title.
        var second = dir.Write("more.jsonl", string.Join("\n",
            """{"id": 1, "query": "雨伞推荐", "title": "折叠雨伞 晴雨两用", "label": "2"}""",
            """{"id": 2, "query": "拖鞋推荐", "title": "家用拖鞋 防滑", "label": "1"}""",
            """{"id": 3, "query": "连衣裙推荐", "title": "碎花连衣裙 夏季", "label": "1"}""") + "\n");
        var (code, stdout, stderr) = Run(new TrainRankerCommand(), "--ood-train", first, second, "--models", dir.File("ranker"), "--folds", "0", "--trees", "10");
        Assert.True(code == 0, stderr);
        Assert.Contains($"outside judgments: 27 titles, {OutsideTopics.Length + 2} queries", stderr, StringComparison.Ordinal);
        Assert.Contains($"{first}, {second} alone", File.ReadAllText(dir.File("ranker/model-card.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_judgments_on_a_finer_scale_than_0_to_4_train_and_bad_lines_are_refused_naming_the_line()
    {
        using var dir = new TempDir();
        // The same pairs graded 0 / 3 / 6 instead of 0 / 1 / 2: ML.NET's default gains stop at grade 4.
        var fine = dir.Write("fine.jsonl", File.ReadAllText(OutsidePairs(dir)).Replace("\"label\": \"2\"", "\"label\": \"6\"", StringComparison.Ordinal)
            .Replace("\"label\": \"1\"", "\"label\": \"3\"", StringComparison.Ordinal));
        var (code, stdout, stderr) = Run(new TrainRankerCommand(), "--ood-train", fine, "--models", dir.File("fine"), "--folds", "0", "--trees", "10");
        Assert.True(code == 0, stderr);
        Assert.Contains("saved lambdamart ranker", stdout, StringComparison.Ordinal);

        var lines = File.ReadAllLines(fine);
        void Refused(string name, string badLine, string message)
        {
            var bad = dir.Write(name, string.Join("\n", lines.Take(4).Append(badLine).Concat(lines.Skip(4))) + "\n");
            var (c, _, err) = Run(new TrainRankerCommand(), "--ood-train", bad, "--models", dir.File(name + ".ranker"), "--folds", "0", "--trees", "10");
            Assert.Equal(2, c);
            Assert.Contains($"{bad}:5: {message}", err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir.File(name + ".ranker")));
        }
        Refused("range.jsonl", """{"id": 99, "query": "雨伞推荐", "title": "折叠雨伞", "label": "101"}""", "field 'label' is out of range [-1, 100]: 101");
        Refused("query.jsonl", """{"id": 99, "query": " ", "title": "折叠雨伞", "label": "1"}""", "field 'query' is empty");
        Refused("title.jsonl", """{"id": 99, "query": "雨伞推荐", "title": null, "label": "1"}""", "field 'title' is empty");

        // Grades up to 100 are valid judgments (eval reads them), but LambdaMART's gains stop at 30.
        var steep = dir.Write("steep.jsonl", File.ReadAllText(fine).Replace("\"label\": \"6\"", "\"label\": \"40\"", StringComparison.Ordinal));
        (code, _, stderr) = Run(new TrainRankerCommand(), "--ood-train", steep, "--models", dir.File("steep"), "--folds", "0", "--trees", "10");
        Assert.Equal(2, code);
        Assert.Contains("grade 40 is outside [0, 30], the grades LambdaMART's gains reach: rescale the judgments", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_on_outside_judgments_refuses_in_domain_judgments_beside_them_naming_them()
    {
        using var dir = new TempDir();
        var ood = OutsidePairs(dir);
        var (code, _, stderr) = Run(new TrainRankerCommand(), "--ood-train", ood, "--catalog", _shop.File("catalog.jsonl"), "--qrels", _shop.File("qrels.tsv"),
            "--models", dir.File("ranker"));
        Assert.Equal(2, code);
        Assert.Contains("leave out --catalog, --qrels", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker")));

        (code, _, stderr) = Run(new TrainRankerCommand(), "--ood-train", ood, "--ood-queries", "0", "--models", dir.File("ranker"));
        Assert.Equal(2, code);
        Assert.Contains("--ood-queries must be at least 1", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run(new TrainRankerCommand(), "--ood-train", ood, "--ood-queries", "3", "--models", dir.File("ranker"));
        Assert.Equal(2, code);
        Assert.Contains("3 queries with a relevant title cannot be cross-validated in 5 folds; give --folds 0", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker")));
    }

    [Fact]
    public void Train_ranker_lambdamart_towers_transfer_without_out_of_domain_judgments_is_refused_before_any_indexing()
    {
        Directory.CreateDirectory(_shop.File("transfer-ens"));
        _shop.Dir.Write("transfer-ens/ensemble.json", """{"members": ["../t1"]}""");
        var (code, _, stderr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--combiner", "lambdamart-towers-transfer", "--deep", _shop.File("transfer-ens"), "--models", _shop.File("transfer-ranker"));
        Assert.Equal(2, code);
        Assert.Contains("needs --ood-train", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("indexed", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_shop.File("transfer-ranker")));
    }

    [Theory]
    [InlineData("lambdamart-towers", false)]
    [InlineData("lambdamart-towers", true)]
    [InlineData("lambdamart-towers-stack", false)]
    [InlineData("lambdamart-towers-stack", true)]
    [InlineData("lambdamart-towers-transfer", false)]
    public void Train_ranker_with_tower_combiners_without_an_ensemble_folder_is_refused_before_any_indexing(string combiner, bool oneTowerFolder)
    {
        string[] args = ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--combiner", combiner, "--models", _shop.File("towers-ranker")];
        if (oneTowerFolder) args = [.. args, "--deep", _shop.Dir.Path];
        var (code, _, stderr) = Run(new TrainRankerCommand(), args);
        Assert.NotEqual(0, code);
        Assert.Contains(oneTowerFolder ? "ensemble.json" : $"--combiner {combiner} needs --deep", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("indexed", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_shop.File("towers-ranker")));
    }

    [Fact]
    public void Train_ranker_lambdamart_towers_stack_saves_a_ranker_that_search_serves_with_its_towers()
    {
        using var dir = new TempDir();
        var ens = TwoTinyTowers(dir);
        var (code, stdout, stderr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--combiner", "lambdamart-towers-stack", "--deep", ens, "--models", dir.File("ranker"),
            "--folds", "2", "--trees", "20", "--save-index", dir.File("index"));
        Assert.True(code == 0, stderr);
        Assert.Contains("saved lambdamart-towers-stack ranker", stdout, StringComparison.Ordinal);
        var card = File.ReadAllText(dir.File("ranker/model-card.md"));
        Assert.Contains("| lambdamart-towers-stack |", card, StringComparison.Ordinal);
        Assert.Contains("| lambdamart-towers |", card, StringComparison.Ordinal);
        Assert.Contains("option stack:", card, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("ranker/deep/ensemble.json")));

        var (hits, searchErr) = SearchServes(dir);
        Assert.Contains("lambdamart-towers-stack", searchErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train-ranker")]
    [InlineData("eval")]
    public void A_catalog_with_no_readable_line_exits_2_naming_the_file_and_line(string command)
    {
        var bad = _shop.Dir.Write($"bad-catalog-{command}.jsonl", "{\"id\": \"1\"}\n");
        string[] args = ["--catalog", bad, "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv")];
        var (code, _, stderr) = command == "eval"
            ? Run(new EvalCommand(), [.. args, "--report", _shop.File("bad-catalog/report.html")])
            : Run(new TrainRankerCommand(), [.. args, "--models", _shop.File("bad-catalog-ranker")]);
        Assert.Equal(2, code);
        Assert.Contains($"{bad}:1: field 'title' is missing", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.False(Directory.Exists(_shop.File("bad-catalog-ranker")));
    }

    [Fact]
    public void Train_cf_and_split_users_refuse_an_event_file_with_no_readable_line_and_save_nothing()
    {
        var bad = _shop.Dir.Write("bad-events.csv", "1,2,3,buy,notatime\n");
        var (code, _, stderr) = Run(new TrainCfCommand(), "--events", bad, "--models", _shop.File("bad-events-cf"));
        Assert.Equal(2, code);
        Assert.Contains("bad-events.csv:1: timestamp", stderr, StringComparison.Ordinal);
        Assert.Contains("No event could be read", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_shop.File("bad-events-cf")));

        var (code2, _, stderr2) = Run(new SplitUsersCommand(), "--events", _shop.File("no-such-events.csv"), "--out", _shop.File("split.txt"));
        Assert.Equal(2, code2);
        Assert.Contains("no-such-events.csv", stderr2, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_deep_refuses_zero_epochs_instead_of_saving_untrained_towers()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--models", dir.File("text"), "--text-epochs", "0");
        Assert.Equal(2, code);
        Assert.Contains("--text-epochs must be at least 1 with --catalog", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Run(new TrainDeepCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("behaviour"), "--behaviour-epochs", "0");
        Assert.Equal(2, code);
        Assert.Contains("--behaviour-epochs must be at least 1 with --events", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("text")) && Directory.EnumerateFiles(dir.File("text")).Any());
        Assert.False(Directory.Exists(dir.File("behaviour")) && Directory.EnumerateFiles(dir.File("behaviour")).Any());
    }

    [Fact]
    public void Train_deep_refuses_a_pairs_file_whose_products_are_not_in_the_catalog_naming_the_line()
    {
        var pairs = _shop.Dir.Write("bad-pairs.tsv", "连衣裙\tno-such-product\n");
        var (code, _, stderr) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--pairs", pairs,
            "--models", _shop.File("bad-pairs-deep"), "--text-epochs", "1");
        Assert.NotEqual(0, code);
        Assert.Contains($"{pairs}:1: product 'no-such-product' is not in the catalog", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_shop.File("bad-pairs-deep/deep-model.json")));
    }

    [Fact]
    public void Unknown_or_missing_options_are_bad_input_named_in_one_line_each_with_exit_2()
    {
        var (code, stderr) = RunProgram(trace: false, "import-events", "--filez", "x.csv");
        Assert.Equal(2, code);
        Assert.Contains("import-events: Unrecognized command or argument '--filez'.", stderr, StringComparison.Ordinal);
        Assert.Contains("import-events: Option '--file' is required.", stderr, StringComparison.Ordinal);
        Assert.Contains("`searchrec import-events --help` lists the options", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", stderr, StringComparison.Ordinal);

        (code, _) = RunProgram(trace: false);
        Assert.Equal(2, code);
    }

    [Fact]
    public void Missing_arguments_are_named_once_each()
    {
        var (code, stderr) = RunProgram(trace: false, "compare", "a.run");
        Assert.Equal(2, code);
        Assert.Contains("compare: missing argument RUN_B", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("RUN_A", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Required argument missing", stderr, StringComparison.Ordinal);

        (code, stderr) = RunProgram(trace: false, "compare");
        Assert.Equal(2, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(1, lines.Count(l => l == "compare: missing argument RUN_A"));
        Assert.Equal(1, lines.Count(l => l == "compare: missing argument RUN_B"));
        Assert.Equal(lines.Length, lines.Distinct().Count());
    }

    [Fact]
    public void Import_events_of_a_file_whose_every_line_is_bad_exits_2_and_a_file_with_some_good_lines_exits_0()
    {
        using var dir = new TempDir();
        var wrong = dir.Write("users.txt", "abc\n100030\n");
        var mixed = dir.Write("mixed.csv", "1,10,5,pv,1511544070\nnot an event\n");

        var (code, _, stderr) = Run(new ImportEventsCommand(), "--events", wrong, "--store", dir.File("events.db"));
        Assert.Equal(2, code);
        Assert.Contains($"import-events: no event could be read from {wrong} (2 bad lines)", stderr, StringComparison.Ordinal);

        (code, var stdout, _) = Run(new ImportEventsCommand(), "--events", mixed, "--store", dir.File("events.db"));
        Assert.Equal(0, code);
        Assert.Contains("1 events parsed, 1 new", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_events_skips_the_timestamps_post_events_refuses_naming_the_file_and_line()
    {
        using var dir = new TempDir();
        var csv = dir.Write("slice-2h.csv", "1,10,5,pv,1511544070\n1,11,5,pv,-1\n1,12,5,buy,99999999999999\n");
        var (code, stdout, stderr) = Run(new ImportEventsCommand(), "--events", csv, "--store", dir.File("store.db"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"skipped {csv}:2: timestamp: -1 is negative", stderr, StringComparison.Ordinal);
        Assert.Contains($"skipped {csv}:3: timestamp: 99999999999999 is more than a day in the future", stderr, StringComparison.Ordinal);
        Assert.Contains("1 events parsed, 1 new, 0 already stored, 2 bad lines", stdout, StringComparison.Ordinal);
        Assert.Contains("holds 1 events", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_events_takes_the_names_the_other_commands_use_for_event_files_and_the_store()
    {
        using var dir = new TempDir();
        var csv = dir.Write("e.csv", "1,10,5,pv,1511544070\n1,11,5,buy,1511544080\n");
        var (code, stdout, stderr) = Run(new ImportEventsCommand(), "--events", csv, "--store", dir.File("store.db"));
        Assert.True(code == 0, stderr);
        Assert.Contains("holds 2 events", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_searchrec_program_answers_bad_input_no_command_caught_in_one_line_with_exit_2()
    {
        // Through the real entry point: System.CommandLine's default handler would print a stack trace.
        var (code, stderr) = RunProgram(trace: false, "bench", "search", "--products", "0");
        Assert.Equal(2, code);
        Assert.StartsWith("bench search: ShopOptions.Products must be between 100", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_search_writes_a_page_of_its_stage_latencies_beside_the_printed_table()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(new BenchSearchCommand(), "--products", "2000", "--requests", "40", "--index", dir.File("index"),
            "--report", dir.File("out/bench.html"), "--dump", dir.File("results.txt"), "--alloc-types", "5");
        Assert.True(code == 0, stderr);
        Assert.Contains("total ", stdout, StringComparison.Ordinal);
        var html = File.ReadAllText(dir.File("out/bench.html"));
        foreach (var stage in new[] { "recall", "fetch", "features", "model", "top-k", "total" })
            Assert.Contains($"<td>{stage}</td><td>40</td>", html, StringComparison.Ordinal);
        Assert.Contains("target (issue #4)", html, StringComparison.Ordinal);
        Assert.Equal(2, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
        // What it measured of memory, printed and on the page: bytes per request in all and per stage.
        foreach (var line in new[] { "allocated per request (all threads", "allocated per request by stage" })
        {
            Assert.Contains(line, stdout, StringComparison.Ordinal);
            Assert.Contains(line, html, StringComparison.Ordinal);
        }
        Assert.Contains("allocations by type, search requests", stdout, StringComparison.Ordinal);
        // --dump: one line per timed request, its query id, the recalled count and the hits as id:score.
        var dumped = File.ReadAllLines(dir.File("results.txt"));
        Assert.Equal(40, dumped.Length);
        Assert.All(dumped, l => Assert.Matches(@"^\S+ \d+( \S+:\S+)*$", l));
    }

    [Fact]
    public void Bench_recall_writes_a_page_of_the_mix_and_each_query_kind()
    {
        using var dir = new TempDir();
        var (code, stderr) = RunProgram(trace: false, "bench", "recall", "--products", "1500", "--queries", "120",
            "--index", dir.File("index"), "--report", dir.File("out/recall.html"));
        Assert.True(code == 0, stderr);
        var html = File.ReadAllText(dir.File("out/recall.html"));
        Assert.Contains("<td>all queries</td><td>120</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>long queries</td><td>100</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>brand</td>", html, StringComparison.Ordinal);
        Assert.Equal(2, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
    }

    [Fact]
    public void Bench_cf_latency_writes_a_page_of_every_timed_call_beside_the_printed_lines()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(new BenchCfLatencyCommand(), "--events", "3000", "--products", "500", "--requests", "30", "--report", dir.File("out/cf.html"));
        Assert.True(code == 0, stderr);
        Assert.Contains("top 50 als", stdout, StringComparison.Ordinal);
        var html = File.ReadAllText(dir.File("out/cf.html"));
        foreach (var name in new[] { "score repeat", "top 50 als", "top 50 blend", "similar items (k 10, with user; uniform items" })
            Assert.Contains($"<td>{name}", html, StringComparison.Ordinal);
        Assert.Contains("<td>30</td>", html, StringComparison.Ordinal);
        Assert.Equal(2, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
        // Each timed path's bytes per call, printed and on the page.
        Assert.Contains("top 50 blend     : wall p50", stdout, StringComparison.Ordinal);
        Assert.Matches(@"top 50 blend .* KiB/call", stdout);
        Assert.Matches(@"top 50 blend\s*: \d+\.\d KiB allocated per call", html);
        Assert.Matches(@"similar items \(k 10, with user; uniform items[^<]*: \d+\.\d KiB allocated per call", html);

        (code, _, stderr) = Run(new BenchCfLatencyCommand(), "--requests", "0");
        Assert.Equal(2, code);
        Assert.Contains("bench cf-latency: --requests must be at least 1 (was 0).", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_suggest_times_chinese_and_pinyin_typing_and_says_how_often_pinyin_reads_as_meant()
    {
        using var dir = new TempDir();
        var products = new SearchRec.Synthetic.ShopGenerator(new SearchRec.Synthetic.ShopOptions { Products = 800, Users = 1, Seed = 3 }).Products().ToList();
        using (SearchRec.Index.ProductIndex.Build(products, new SearchRec.Index.IndexOptions(), dir.File("index"))) { }
        var log = dir.Write("log.tsv", string.Join("\n", products.Take(300).Select((p, i) => $"{i}\t{p.Title[..Math.Min(8, p.Title.Length)]}")) + "\n1000\tlianyiqun\n");

        var (code, stdout, stderr) = Run(new BenchSuggestCommand(), "--index", dir.File("index"), "--log", log, "--typed", "100");

        Assert.True(code == 0, stderr);
        foreach (var line in new[] { "Chinese, first 1-3 characters of a log query (k 8): p50 ", "pinyin typed whole (first 2-4 characters, the last cut anywhere) (k 8): p50 ",
            "pinyin initials (first 2-4 characters) (k 8): p50 ", "pinyin typed whole: the first completion is the one the spelled characters give for ", " all-Latin queries: ",
            "homophone typos of log queries the index answers: ", "did-you-mean, one call (log queries as typed): p50 " })
            Assert.Contains(line, stdout, StringComparison.Ordinal);
        (code, _, stderr) = Run(new BenchSuggestCommand(), "--index", dir.File("missing"));
        Assert.Equal(2, code);
        Assert.StartsWith("bench suggest: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void With_SEARCHREC_TRACE_the_program_also_prints_the_stack_trace_of_bad_input()
    {
        var (code, stderr) = RunProgram(trace: true, "bench", "search", "--products", "0");
        Assert.Equal(2, code);
        Assert.StartsWith("bench search: ShopOptions.Products must be between 100", stderr, StringComparison.Ordinal);
        Assert.Contains("   at ", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stderr) RunProgram(bool trace, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(typeof(ICliCommand).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (trace) psi.Environment["SEARCHREC_TRACE"] = "1";
        else psi.Environment.Remove("SEARCHREC_TRACE");
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr);
    }

    [Fact]
    public void Build_prior_leaves_out_the_traditional_and_spacing_twins_of_excluded_queries()
    {
        var log = _shop.Dir.Write("prior-log.tsv", "1\t連衣裙\n2\t连衣裙 \n3\t手机 壳\n4\t耳机\n");
        var excluded = _shop.Dir.Write("prior-exclude.tsv", "q1\t连衣裙\nq2\t手机壳\n");
        var (code, _, stderr) = Run(new BuildPriorCommand(), "--catalog", _shop.File("catalog.jsonl"), "--query-log", log,
            "--exclude-queries", excluded, "--models", _shop.File("prior-twins"));
        Assert.Equal(0, code);
        Assert.Contains("query log: 4 queries, 3 equal to an excluded query", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_prior_refuses_a_log_whose_every_query_is_excluded_naming_the_counts_before_indexing()
    {
        using var dir = new TempDir();
        var log = dir.Write("log.tsv", "1\t連衣裙\n2\t手机 壳\n");
        var excluded = dir.Write("exclude.tsv", "q1\t连衣裙\nq2\t手机壳\nq3\t耳机\n");
        var (code, _, stderr) = Run(new BuildPriorCommand(), "--catalog", _shop.File("catalog.jsonl"), "--query-log", log,
            "--exclude-queries", excluded, "--models", dir.File("prior"));

        Assert.Equal(2, code);
        Assert.Contains($"--query-log {log}: 2 of its 2 queries equal one of the 3 excluded queries (--exclude-queries {excluded})", stderr, StringComparison.Ordinal);
        Assert.Contains("the prior would be empty", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("catalog: read", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("prior")));
    }

    [Fact]
    public void Eval_with_several_fold_seeds_prints_each_seeds_figure_for_trained_rankers()
    {
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25,weighted", "--seeds", "5,6", "--folds", "2", "--json", "--depth", "50",
            "--run-out", _shop.File("seeds/run.trec"), "--report", _shop.File("seeds/report.html"));
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToArray();
        Assert.False(lines[0].TryGetProperty("by_seed", out _));
        var bySeed = lines[1].GetProperty("by_seed");
        var at5 = bySeed.GetProperty("5").GetProperty("ndcg@10").GetDouble();
        var at6 = bySeed.GetProperty("6").GetProperty("ndcg@10").GetDouble();
        Assert.Equal((at5 + at6) / 2, lines[1].GetProperty("metrics").GetProperty("ndcg@10").GetDouble(), 5);
        Assert.Contains("cross-validated at fold seeds 5, 6", File.ReadAllText(_shop.File("seeds/report.html")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("42,x", "'x' is not a whole number")]
    [InlineData("1,2,1", "1 is listed twice")]
    public void Eval_refuses_bad_fold_seeds_naming_the_entry(string seeds, string expected)
    {
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25", "--seeds", seeds);
        Assert.Equal(2, code);
        Assert.Contains("--seeds: " + expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_all_leaves_out_rankers_the_inputs_cannot_feed_and_a_named_one_is_refused_saying_what_it_needs()
    {
        string[] common = ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--report", _shop.File("all.html"), "--run-out", _shop.File("all.run"), "--limit", "40", "--json"];
        var (code, stdout, stderr) = Run(new EvalCommand(), [.. common, "--ranker", "all"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("all: left out dense: needs --models DIR holding a text tower", stderr, StringComparison.Ordinal);
        Assert.Contains("all: left out cf-repeat: needs --events", stderr, StringComparison.Ordinal);
        var ran = stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("ranker").GetString()).ToList();
        Assert.Equal(["bm25-title", "bm25-bigram", "bm25", "weighted", "linear", "lambdamart", "fused"], ran);

        (code, _, stderr) = Run(new EvalCommand(), [.. common, "--ranker", "bm25,dense"]);
        Assert.Equal(2, code);
        Assert.Contains("ranker 'dense' needs --models DIR holding a text tower", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("run bm25", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_ranks_by_each_collaborative_scorer_alone_for_the_querys_user_when_models_events_and_users_are_given()
    {
        var models = _shop.File("single-models");
        var (trained, _, trainErr) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", Path.Combine(models, "collab"));
        Assert.True(trained == 0, trainErr);
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--events", _shop.File("events.csv"), "--models", models, "--limit", "60",
            "--ranker", "bm25,cf-repeat,cf-item-item,cf-als,cf-category,popularity", "--report", _shop.File("single.html"), "--run-out", _shop.File("single.run"), "--json");
        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(6, rows.Count);
        // Each re-orders BM25's window by its own score, so it differs from BM25 and from the others.
        var ndcg = rows.Select(r => r.GetProperty("metrics").GetProperty("ndcg@10").GetDouble()).ToList();
        Assert.True(ndcg.Skip(1).Distinct().Count() >= 4, string.Join(", ", ndcg));
        Assert.All(ndcg.Skip(1), v => Assert.NotEqual(ndcg[0], v, 9));
        // These models learnt from every event, the purchases the judgments come from included: eval says so.
        Assert.Contains("warning: the collaborative models in", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_warns_when_the_collaborative_models_hold_behaviour_after_the_evaluated_queries_and_not_when_they_stop_before()
    {
        using var dir = new TempDir();
        var first = File.ReadAllLines(_shop.File("queries-users.tsv")).Take(60).Min(l => long.Parse(l.Split('\t')[2], System.Globalization.CultureInfo.InvariantCulture));
        var before = dir.Write("before.csv", string.Join('\n', File.ReadAllLines(_shop.File("events.csv"))
            .Where(l => long.Parse(l.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture) < first)) + "\n");
        string Eval(string events)
        {
            var models = dir.File("models-" + Path.GetFileNameWithoutExtension(events));
            Assert.Equal(0, Run(new TrainCfCommand(), "--events", events, "--models", Path.Combine(models, "collab")).Code);
            var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
                "--qrels", _shop.File("qrels.tsv"), "--events", _shop.File("events.csv"), "--models", models, "--limit", "60",
                "--ranker", "cf-repeat", "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));
            Assert.True(code == 0, stderr);
            return stderr;
        }

        Assert.Contains("warning: the collaborative models in", Eval(_shop.File("events.csv")), StringComparison.Ordinal);
        Assert.DoesNotContain("warning: the collaborative models in", Eval(before), StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_warns_when_untimed_queries_feed_their_users_whole_histories_to_the_behaviour_tower_and_not_when_they_carry_times()
    {
        using var dir = new TempDir();
        // A text and a behaviour tower, no collaborative models: the behaviour tower alone reads the users' histories.
        var (trained, _, trainErr) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--events", _shop.File("events.csv"),
            "--models", dir.File("models/deep"), "--text-epochs", "1", "--behaviour-epochs", "1", "--text-dim", "8", "--hidden", "8", "--dim", "8");
        Assert.True(trained == 0, trainErr);
        string Eval(string queryUsers)
        {
            var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
                "--qrels", _shop.File("qrels.tsv"), "--events", _shop.File("events.csv"), "--query-users", queryUsers, "--models", dir.File("models"),
                "--limit", "40", "--folds", "2", "--ranker", "weighted", "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));
            Assert.True(code == 0, stderr);
            var flat = System.Text.RegularExpressions.Regex.Replace(stderr, @"\s+", " "); // the console wraps long lines
            Assert.DoesNotContain("warning: the collaborative models in", flat, StringComparison.Ordinal);
            return flat;
        }

        var untimed = Eval(QueryUsersAt(dir, null));
        Assert.Matches(@"warning: [\d,]+ of the [\d,]+ evaluated queries with users carry no time, so their users' whole histories, behaviour after the queries included", untimed);
        Assert.Contains("feed the behaviour tower's user–item scores", untimed, StringComparison.Ordinal);
        Assert.DoesNotContain("carry no time", Eval(_shop.File("queries-users.tsv")), StringComparison.Ordinal);
    }

    [Fact]
    public void Similar_for_an_item_nobody_knows_says_where_it_looked()
    {
        var models = _shop.File("similar-collab");
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", models).Code);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", _shop.File("similar-index")).Code);
        var (code, stdout, _) = Run(new SimilarCommand(), "--item", "999999999", "--models", models, "--index", _shop.File("similar-index"));
        Assert.Equal(0, code);
        Assert.Contains("no similar items for 999999999 (unknown to the behaviour models and not in the index)", stdout, StringComparison.Ordinal);
        (code, stdout, _) = Run(new SimilarCommand(), "--item", "999999999", "--models", models);
        Assert.Equal(0, code);
        Assert.Contains("no content index given (--index)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Similar_takes_the_names_serve_uses_for_the_models_and_the_event_store()
    {
        using var dir = new TempDir();
        var models = dir.File("collab");
        var store = dir.File("events.db");
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", models).Code);
        Assert.Equal(0, Run(new ImportEventsCommand(), "--events", _shop.File("events.csv"), "--store", store).Code);
        // The most touched item, and a user who touched it.
        var rows = File.ReadLines(_shop.File("events.csv")).Select(l => l.Split(',')).ToList();
        var item = rows.GroupBy(r => r[1]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First();
        string[] first = [item.First()[0], item.Key];

        var (code, byOldNames, _) = Run(new SimilarCommand(), "--item", first[1], "--user", first[0], "--models", models, "--db", store);
        var (code2, byServeNames, _) = Run(new SimilarCommand(), "--item", first[1], "--user", first[0], "--collab", models, "--events", store);

        Assert.Equal(0, code);
        Assert.Equal(0, code2);
        Assert.DoesNotContain("no similar items", byOldNames, StringComparison.Ordinal);
        Assert.Equal(byOldNames, byServeNames);
    }

    [Fact]
    public void Eval_rec_with_a_cut_after_the_data_or_a_missing_user_file_and_index_of_a_missing_catalog_exit_2_saying_why()
    {
        var users = _shop.File("cut-users.txt");
        Assert.Equal(0, Run(new SplitUsersCommand(), "--events", _shop.File("events.csv"), "--fraction", "1", "--out", users).Code);
        var (code, _, stderr) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "2099-01-01T00:00:00Z", "--test-users-from", users, "--model", "repeat");
        Assert.Equal(2, code);
        Assert.Contains("has an event after the cut 2099-01-01 00:00Z (the events end at", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "2099-01-01T00:00:00Z", "--test-users-from", _shop.File("no-users.txt"), "--model", "repeat");
        Assert.Equal(2, code);
        Assert.Contains($"--test-users-from: {_shop.File("no-users.txt")}: file not found", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run(new IndexCommand(), "--catalog", _shop.File("no-catalog.jsonl"), "--index", _shop.File("no-index"));
        Assert.Equal(2, code);
        Assert.Contains($"index: --catalog {_shop.File("no-catalog.jsonl")}: file not found", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_shop.File("no-index")));
    }

    // A service over the tiny shop for bench http to measure: its index built from `indexFrom` (--catalog or --events FILE).
    private async Task<(Microsoft.AspNetCore.Builder.WebApplication App, SearchRec.Collab.Events.SqliteEventStore Store)> StartBenchTargetAsync(TempDir dir, string[] indexFrom, string? queries)
    {
        Assert.Equal(0, Run(new IndexCommand(), [.. indexFrom, "--index", dir.File("index")]).Code);
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab")).Code);
        Assert.Equal(0, Run(new ImportEventsCommand(), "--events", _shop.File("events.csv"), "--store", dir.File("events.db")).Code);
        var store = new SearchRec.Collab.Events.SqliteEventStore(dir.File("events.db"));
        var log = new SearchRec.Server.Adapters.EventStoreLog(store);
        var loader = new SearchRec.Server.Adapters.ShopLoader(new SearchRec.Server.Adapters.ShopLoaderOptions
        {
            IndexPath = dir.File("index"), CollabModelsPath = dir.File("collab"), QueriesPath = queries, WarmUp = TimeSpan.Zero,
        }, log);
        var app = await SearchRec.Server.SearchRecServer.BuildAsync(new SearchRec.Server.ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = "bench-http-test-admin-key" }, loader, log,
            Microsoft.Extensions.Logging.LogLevel.Warning);
        await app.StartAsync();
        return (app, store);
    }

    [Fact]
    public async Task Bench_http_measures_a_service_without_sample_queries_on_what_its_mix_asks_for()
    {
        using var dir = new TempDir();
        // An index of the log's items: no queries file and no category names to offer as queries.
        var (app, store) = await StartBenchTargetAsync(dir, ["--events", _shop.File("events.csv")], queries: null);
        using var target = store;
        try
        {
            var url = SearchRec.Server.SearchRecServer.Addresses(app)[0];
            var (code, _, stderr) = Run(new BenchHttpCommand(), "--url", url, "--requests", "10", "--mix", "1,0,0,0", "--report", dir.File("searches.html"));
            Assert.Equal(2, code);
            Assert.Contains("offers no sample queries (start `serve` with --queries FILE, or leave searches out of --mix)", stderr, StringComparison.Ordinal);

            (code, _, stderr) = Run(new BenchHttpCommand(), "--url", url, "--requests", "20", "--clients", "2", "--mix", "0,0.5,0,0.5",
                "--json", dir.File("feeds.json"), "--report", dir.File("feeds.html"));
            Assert.True(code == 0, stderr);
            var figures = JsonDocument.Parse(File.ReadAllText(dir.File("feeds.json"))).RootElement;
            Assert.Equal(0, figures.GetProperty("errors").GetInt32());
            var served = figures.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("endpoint").GetString()!, e => e.GetProperty("requests").GetInt32());
            Assert.Equal(20, served.GetValueOrDefault("similar") + served.GetValueOrDefault("recommend"));
            Assert.Equal(0, served.GetValueOrDefault("search"));

            // Completions need sample queries too; a mix is four or five shares.
            (code, _, stderr) = Run(new BenchHttpCommand(), "--url", url, "--requests", "10", "--mix", "0,0,0,0,1", "--report", dir.File("suggest.html"));
            Assert.Equal(2, code);
            Assert.Contains("offers no sample queries", stderr, StringComparison.Ordinal);
            (code, _, stderr) = Run(new BenchHttpCommand(), "--url", url, "--requests", "10", "--mix", "1,1,1", "--report", dir.File("three.html"));
            Assert.Equal(2, code);
            Assert.Contains("--mix must be four or five non-negative numbers", stderr, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Bench_http_sends_search_bar_completions_when_its_mix_has_a_fifth_share()
    {
        using var dir = new TempDir();
        var (app, store) = await StartBenchTargetAsync(dir, ["--catalog", _shop.File("catalog.jsonl")], queries: _shop.File("queries.tsv"));
        using var target = store;
        try
        {
            var url = SearchRec.Server.SearchRecServer.Addresses(app)[0];
            var (code, stdout, stderr) = Run(new BenchHttpCommand(), "--url", url, "--requests", "40", "--clients", "2", "--mix", "0.5,0,0,0,0.5",
                "--json", dir.File("suggest.json"), "--report", dir.File("suggest.html"));
            Assert.True(code == 0, stderr);
            Assert.Contains("mix search/similar/events/recommend/suggest = 50", stderr, StringComparison.Ordinal);
            var figures = JsonDocument.Parse(File.ReadAllText(dir.File("suggest.json"))).RootElement;
            Assert.Equal(0, figures.GetProperty("errors").GetInt32());
            var served = figures.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("endpoint").GetString()!, e => e.GetProperty("requests").GetInt32());
            Assert.Equal(40, served["search"] + served["suggest"]);
            Assert.True(served["suggest"] > 5, stdout);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void Index_from_an_event_log_holds_one_product_per_item_titled_by_its_id_and_category()
    {
        using var dir = new TempDir();
        var events = _shop.File("events.csv");
        var items = File.ReadLines(events).Select(l => l.Split(',')[1]).Distinct().Count();

        var (code, stdout, _) = Run(new IndexCommand(), "--events", events, "--index", dir.File("index"));

        Assert.Equal(0, code);
        Assert.Contains($"indexed {items:N0} items as products", stdout, StringComparison.Ordinal);
        using (var index = SearchRec.Index.ProductIndex.Open(dir.File("index")))
        {
            Assert.Equal(items, index.Count);
            var first = File.ReadLines(events).First().Split(',');
            Assert.Equal($"商品 {first[1]}（类目 {first[2]}）", index.GetProduct(first[1])!.Title);
        }

        (code, _, var stderr) = Run(new IndexCommand(), "--events", events, "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("both"));
        Assert.Equal(2, code);
        Assert.Contains("give either --catalog FILE (product records) or --events FILE", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Run(new IndexCommand(), "--events", dir.File("no-events.csv"), "--index", dir.File("none"));
        Assert.Equal(2, code);
        Assert.Contains($"index: --events {dir.File("no-events.csv")}: file not found", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_of_a_file_whose_every_line_is_rejected_exits_2_and_keeps_the_index_that_was_there()
    {
        using var dir = new TempDir();
        var index = dir.File("index");
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", index).Code);
        var before = Directory.GetFiles(index).Select(f => (Path.GetFileName(f), File.GetLastWriteTimeUtc(f))).Order().ToList();
        var notCatalog = dir.Write("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n");

        var (code, _, stderr) = Run(new IndexCommand(), "--catalog", notCatalog, "--index", index);

        Assert.Equal(2, code);
        Assert.Contains($"{notCatalog}:1: no tab", stderr, StringComparison.Ordinal);
        Assert.Contains($"index: no product could be read from {notCatalog} (read 2 lines, accepted 0, rejected 2;", stderr, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(index).Select(f => (Path.GetFileName(f), File.GetLastWriteTimeUtc(f))).Order().ToList());
    }

    [Fact]
    public void Search_and_eval_given_a_next_item_ranker_say_what_it_is_and_where_it_goes()
    {
        using var dir = new TempDir();
        var ranker = dir.File("feed");
        var schema = SearchRec.Ranking.NextItem.NextItemRanking.Schema;
        var ones = Enumerable.Repeat(1f, schema.Count).ToArray();
        SearchRec.Ranking.Models.RankerStore.Save(new SearchRec.Ranking.Models.LinearRanker(schema, new float[schema.Count], ones, ones, 0), ranker);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);

        var (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "连衣裙");
        Assert.Equal(2, code);
        Assert.Contains("is a next-item ranker", stderr, StringComparison.Ordinal);
        Assert.Contains("--feed-ranker", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run(new EvalCommand(), "--index", dir.File("index"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"), "--ranker", "fused", "--models", ranker);
        Assert.Equal(2, code);
        Assert.Contains("is a next-item ranker", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_rec_recommend_and_serve_given_a_search_ranker_say_what_it_is_and_where_it_goes()
    {
        using var dir = new TempDir();
        var ranker = dir.File("search-ranker");
        SaveBm25Ranker(ranker);
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab")).Code);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var users = HalfOfTheUsers(dir);

        foreach (var (command, args) in new (ICliCommand, string[])[]
        {
            (new EvalRecCommand(), ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--model", "fused", "--ranker", ranker]),
            (new RecommendCommand(), ["--user", "1", "--events", _shop.File("events.csv"), "--collab", dir.File("collab"), "--feed-ranker", ranker]),
            (new ServeCommand(), ["--index", dir.File("index"), "--collab", dir.File("collab"), "--events", dir.File("events.db"), "--feed-ranker", ranker]),
        })
        {
            var (code, _, stderr) = Run(command, args);
            Assert.Equal(2, code);
            Assert.Contains($"The ranker in {ranker} is a search ranker", stderr, StringComparison.Ordinal);
            Assert.Contains("`searchrec serve … --ranker`", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Retrain it", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Search_names_a_bad_k_or_window_option()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        SaveBm25Ranker(ranker);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--k", "0", "连衣裙");
        Assert.Equal(2, code);
        Assert.Contains("search: --k must be between 1 and 1,000 (was 0)", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--window", "20000", "连衣裙");
        Assert.Equal(2, code);
        Assert.Contains("search: --window must be between 1 and 10,000 (was 20000)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Search_without_models_lists_the_bm25_recall_order_and_refuses_options_that_need_a_ranker()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        string[] expected;
        using (var idx = SearchRec.Index.ProductIndex.Open(dir.File("index")))
            expected = idx.Recall(new SearchRec.Index.RecallRequest("连衣裙") { TopN = 5 }).Select(c => c.ProductId).ToArray();
        Assert.Equal(5, expected.Length);

        var (code, stdout, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--k", "5", "连衣裙");
        Assert.Equal(0, code);
        var shown = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToArray();
        Assert.Equal(expected, shown);
        Assert.Contains("BM25 order: no --models given", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "zzzqqq");
        Assert.Equal(0, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains("No product matched \"zzzqqq\".", stderr, StringComparison.Ordinal);

        foreach (var option in new[] { new[] { "--explain" }, new[] { "--user", "7" }, new[] { "--events", _shop.File("events.csv") } })
        {
            (code, _, stderr) = Run(new SearchCommand(), ["--index", dir.File("index"), "连衣裙", .. option]);
            Assert.Equal(2, code);
            Assert.Contains($"search: {option[0]} needs a ranker: give --models DIR", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Serve_and_demo_name_a_port_another_program_listens_on_before_loading_or_training_anything()
    {
        using var dir = new TempDir();
        using var other = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        other.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)other.LocalEndpoint).Port}";

        // The index does not exist: a refusal naming it would mean the port was checked after loading began.
        var (code, _, stderr) = Run(new ServeCommand(), "--index", dir.File("no-index"), "--collab", dir.File("collab"), "--events", dir.File("events.db"), "--urls", url);
        Assert.Equal(2, code);
        Assert.Contains($"serve: --urls: {url} is already in use by another program", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("events.db")));

        (code, _, stderr) = Run(new DemoCommand(), "--products", "400", "--out", dir.File("demo"), "--index", dir.File("index"), "--urls", url);
        Assert.Equal(2, code);
        Assert.Contains($"demo: --urls: {url} is already in use by another program", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("demo")));

        other.Stop();
        Assert.Null(SearchRec.Server.SearchRecServer.AddressInUse(url));
    }

    [Fact]
    public void Train_cf_refuses_an_empty_events_file_and_leaves_the_saved_models_as_they_were()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab")).Code);
        var before = File.ReadAllBytes(Path.Combine(dir.File("collab"), "collab.bin"));
        foreach (var content in new[] { "", "user_id,item_id,category_id,behavior,timestamp\n" })
        {
            var (code, _, err) = Run(new TrainCfCommand(), "--events", dir.Write("new.csv", content), "--models", dir.File("collab"));
            Assert.Equal(2, code);
            Assert.Contains($"train-cf: No events in {dir.File("new.csv")}: nothing to learn from or evaluate.", err, StringComparison.Ordinal);
        }
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir.File("collab"), "collab.bin")));
    }

    [Fact]
    public void Events_given_twice_are_counted_once()
    {
        using var dir = new TempDir();
        var (code, once, _) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("a"), "--skip-als");
        Assert.Equal(0, code);
        var copy = dir.File("copy.csv");
        File.Copy(_shop.File("events.csv"), copy);
        (code, var twice, var err) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--events", copy, "--models", dir.File("b"), "--skip-als");
        Assert.Equal(0, code);
        Assert.Contains("already read from an earlier file, left out", err, StringComparison.Ordinal);
        static string Trained(string output) => output[..output.IndexOf(" in ", StringComparison.Ordinal)];
        Assert.Equal(Trained(once), Trained(twice));
    }

    [Fact]
    public void A_cut_that_leaves_no_training_events_or_no_test_user_is_refused_instead_of_scored_as_zero()
    {
        using var dir = new TempDir();
        var users = dir.File("users.txt");
        Assert.Equal(0, Run(new SplitUsersCommand(), "--events", _shop.File("events.csv"), "--fraction", "0.5", "--out", users).Code);
        var (code, _, err) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab"), "--eval-cut", "0", "--test-users-from", users);
        Assert.Equal(2, code);
        Assert.Contains("train-cf: no event is before the cut 1970-01-01 00:00Z", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("collab")));
        (code, _, err) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab"), "--eval-cut", "4000000000", "--test-users-from", users);
        Assert.Equal(2, code);
        Assert.Contains("has an event after the cut", err, StringComparison.Ordinal);
        (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "0", "--test-users-from", users, "--model", "repeat");
        Assert.Equal(2, code);
        Assert.Contains("eval-rec: no event is before the cut", err, StringComparison.Ordinal);
        (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400000", "--test-users-from", users, "--model", "repeat");
        Assert.Equal(2, code);
        Assert.Contains("--cut: 1512230400000 is not a time in Unix seconds (milliseconds? In seconds it is 1512230400).", err, StringComparison.Ordinal);
        (code, _, err) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--model", "blend", "--blend-weights", "0,0,0,0,0");
        Assert.Equal(2, code);
        Assert.Contains("--blend-weights must be finite numbers of at least 0, and at least one above 0.", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Sizes_past_what_fits_in_memory_are_refused_naming_the_option()
    {
        using var dir = new TempDir();
        var events = _shop.File("events.csv");
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", events, "--models", dir.File("collab"), "--skip-als").Code);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        (string[] Args, ICliCommand Command, string Message)[] cases =
        [
            (["--events", events, "--models", dir.File("big"), "--factors", "100000"], new TrainCfCommand(), "train-cf: --factors must be at most 1,024 (was 100,000)."),
            (["--catalog", _shop.File("catalog.jsonl"), "--models", dir.File("deep"), "--hidden", "2000000000"], new TrainDeepCommand(), "train-deep: --hidden must be from 1 to 4,096."),
            (["--user", "1", "--events", events, "--collab", dir.File("collab"), "--k", "2000000000"], new RecommendCommand(), "recommend: --k must be between 1 and 1,000 (was 2000000000)."),
            (["--index", dir.File("index"), "--repeat", "2000000000", "连衣裙"], new SearchCommand(), "search: --repeat must be between 0 and 1,000,000 (was 2000000000)."),
            (["--events", events, "--cut", "1512230400", "--test-users-from", events, "--model", "repeat", "--k", "100000000"], new EvalRecCommand(), "eval-rec: --k: '100000000' is not a whole number from 1 to 1,000."),
        ];
        foreach (var (args, command, message) in cases)
        {
            var (code, _, err) = Run(command, args);
            Assert.Equal(2, code);
            Assert.Contains(message, err, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(dir.File("big")));
    }

    [Fact]
    public void Compare_names_judged_queries_a_run_lacks_and_refuses_runs_with_none_or_no_lines()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "bm25", "--run-out", dir.File("full.run"), "--report", dir.File("r.html")).Code);
        var lines = File.ReadAllLines(dir.File("full.run"));
        var firstQuery = lines[0].Split(' ', '\t')[0];
        File.WriteAllLines(dir.File("part.run"), lines.Where(l => l.Split(' ', '\t')[0] == firstQuery));
        var (code, _, err) = Run(new CompareCommand(), dir.File("full.run"), dir.File("part.run"), "--qrels", _shop.File("qrels.tsv"), "--report", dir.File("c.html"));
        Assert.Equal(0, code);
        Assert.Contains($"note: {dir.File("part.run")} has no results for", err, StringComparison.Ordinal);
        Assert.DoesNotContain($"note: {dir.File("full.run")}", err, StringComparison.Ordinal);

        File.WriteAllLines(dir.File("other.run"), lines.Select(l => "x" + l));
        (code, _, err) = Run(new CompareCommand(), dir.File("full.run"), dir.File("other.run"), "--qrels", _shop.File("qrels.tsv"), "--report", dir.File("c.html"));
        Assert.Equal(2, code);
        Assert.Contains($"is in {dir.File("other.run")} (its first query id is 'x{firstQuery}'): do the query ids match?", err, StringComparison.Ordinal);

        (code, _, err) = Run(new CompareCommand(), dir.File("full.run"), dir.Write("empty.run", ""), "--qrels", _shop.File("qrels.tsv"), "--report", dir.File("c.html"));
        Assert.Equal(2, code);
        Assert.Contains($"{dir.File("empty.run")} holds no run line", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_refuses_a_catalog_that_holds_none_of_the_judged_products()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("other.tsv", string.Concat(Enumerable.Range(0, 50).Select(i => $"other-{i}\t连衣裙 红色 {i}\n")));
        var (code, _, err) = Run(new TrainRankerCommand(), "--catalog", catalog, "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"), "--models", dir.File("ranker"));
        Assert.Equal(2, code);
        Assert.Contains("is in the catalog (" + catalog + "): do the product ids of the qrels and the catalog match?", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker")));
    }

    [Fact]
    public void Output_paths_that_are_folders_are_refused_before_the_work_and_missing_folders_are_made()
    {
        using var dir = new TempDir();
        var eval = new[] { "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25" };
        var (code, _, err) = Run(new EvalCommand(), [.. eval, "--report", dir.Path]);
        Assert.Equal(2, code);
        Assert.Contains($"eval: --report: {dir.Path} is a folder; give the path of a file to write.", err, StringComparison.Ordinal);
        Assert.DoesNotContain("bm25", err, StringComparison.Ordinal);   // refused before any ranker ran
        (code, _, err) = Run(new EvalCommand(), [.. eval, "--report", dir.File("r.html"), "--run-out", dir.Path]);
        Assert.Contains($"eval: --run-out: {dir.Path} is a folder", err, StringComparison.Ordinal);
        (code, _, err) = Run(new EvalCommand(), [.. eval, "--report", dir.File("r.html"), "--depth", "0"]);
        Assert.Contains("eval: --depth must be between 1 and 100,000 (was 0).", err, StringComparison.Ordinal);

        (code, _, err) = Run(new SplitUsersCommand(), "--events", _shop.File("events.csv"), "--fraction", "0.5", "--out", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains($"split-users: --out: {dir.Path} is a folder", err, StringComparison.Ordinal);
        Assert.Equal(0, Run(new SplitUsersCommand(), "--events", _shop.File("events.csv"), "--fraction", "0.5", "--out", Path.Combine(dir.Path, "new", "users.txt")).Code);
        Assert.True(File.Exists(Path.Combine(dir.Path, "new", "users.txt")));

        (code, _, err) = Run(new SearchCommand(), "--index", _shop.File("catalog.jsonl"), "连衣裙");
        Assert.Equal(2, code);
        Assert.Contains($"'{_shop.File("catalog.jsonl")}' is a file; an index is a folder made by `searchrec index`", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_names_judged_queries_the_queries_file_leaves_out()
    {
        using var dir = new TempDir();
        var queries = File.ReadAllLines(_shop.File("queries.tsv"));
        var judged = File.ReadAllLines(_shop.File("qrels.tsv")).Select(l => l.Split(' ', '\t')[0]).ToHashSet();
        var kept = queries.Where(l => judged.Contains(l.Split('\t')[0])).ToArray();
        File.WriteAllLines(dir.File("q.tsv"), kept.Skip(2));
        var (code, _, err) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", dir.File("q.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "bm25", "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));
        Assert.Equal(0, code);
        Assert.Contains($"2 queries judged in {_shop.File("qrels.tsv")} are not in {dir.File("q.tsv")} and were not evaluated", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_events_reports_each_chunk_once_in_order_before_its_summary()
    {
        using var dir = new TempDir();
        var csv = dir.Write("e.csv", string.Concat(Enumerable.Range(0, 120_000).Select(i => $"{i % 500},{i},{i % 30},pv,{1512000000 + i}\n")));
        var (code, stdout, err) = Run(new ImportEventsCommand(), "--events", csv, "--store", dir.File("e.db"));
        Assert.Equal(0, code);
        var progress = err.Split('\n').Where(l => l.EndsWith("events read ...", StringComparison.Ordinal)).ToArray();
        Assert.Equal([$"{csv}: 50,000 events read ...", $"{csv}: 100,000 events read ...", $"{csv}: 120,000 events read ..."], progress);
        Assert.Contains("120,000 events parsed, 120,000 new", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--user-dict", "no-dict.txt", "index: --user-dict 'no-dict.txt' does not exist.")]
    [InlineData("--synonyms", "no-synonyms.txt", "index: --synonyms 'no-synonyms.txt' does not exist.")]
    [InlineData("--analyzer", "nope", "index: --analyzer 'nope' is unknown; known:")]
    public void Index_names_a_bad_analyzer_option_by_its_flag(string option, string value, string message)
    {
        using var dir = new TempDir();
        var (code, _, err) = Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Search_names_the_ranker_it_found_inside_the_models_folder_and_never_takes_one_from_beside_it()
    {
        using var dir = new TempDir();
        SaveBm25Ranker(dir.File("ranker"));
        Directory.CreateDirectory(dir.File("collab"));
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);

        var (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.Path, "连衣裙");
        Assert.Equal(0, code);
        Assert.Contains($"ranker: {dir.File("ranker")} (found from --models {dir.Path})", stderr, StringComparison.Ordinal);

        // A folder beside the ranker's holds none: before, it took the sibling ranker.
        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("collab"), "连衣裙");
        Assert.Equal(2, code);
        Assert.DoesNotContain("found from --models", stderr, StringComparison.Ordinal);
        Assert.Contains(dir.File("collab"), stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);

        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("ranker"), "连衣裙");
        Assert.Equal(0, code);
        Assert.DoesNotContain("found from --models", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_says_the_features_of_every_trained_ranker_are_those_of_the_ranker_saved_in_models()
    {
        using var dir = new TempDir();
        SaveBm25Ranker(dir.File("ranker"));
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var (code, _, err) = Run(new EvalCommand(), "--index", dir.File("index"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "linear", "--models", dir.Path, "--run-out", dir.File("runs"), "--report", dir.File("report.html"));

        Assert.True(code == 0, err);
        // linear learns from the saved ranker's columns though fused was not named: before, nothing said so.
        Assert.Contains($"(those of the ranker saved in {dir.File("ranker")}, for every trained ranker)", err.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_says_which_saved_ranker_fused_is_and_warns_when_it_was_trained_on_the_queries_it_is_scored_on()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        SaveBm25Ranker(ranker, ("queries", _shop.File("queries.tsv") + " (40 judged)"));
        Directory.CreateDirectory(dir.File("collab"));
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        string[] Eval(string models, string queries) => Run(new EvalCommand(), "--index", dir.File("index"), "--queries", queries, "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "fused", "--models", models, "--run-out", dir.File("runs"), "--report", dir.File("report.html")).Err.Split('\n');

        var seen = Eval(dir.Path, _shop.File("queries.tsv"));
        Assert.Contains($"fused: the saved ranker in {ranker} (found from --models {dir.Path})", seen);
        Assert.Contains(seen, l => l.StartsWith("warning: that ranker was trained on these queries (", StringComparison.Ordinal));

        var other = dir.Write("other-queries.tsv", File.ReadAllText(_shop.File("queries.tsv")));
        var unseen = Eval(ranker, other);
        Assert.Contains($"fused: the saved ranker in {ranker}", unseen);
        Assert.DoesNotContain(unseen, l => l.StartsWith("warning:", StringComparison.Ordinal));
    }

    [Fact]
    public void Eval_warns_when_a_saved_ranker_learnt_from_the_evaluated_query_texts_under_another_file_a_subset_or_an_index_of_its_own()
    {
        using var dir = new TempDir();
        var (trained, _, trainErr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--models", dir.File("ranker"), "--folds", "0", "--trees", "20", "--save-index", dir.File("index"));
        Assert.True(trained == 0, trainErr);
        var lines = File.ReadAllLines(_shop.File("queries.tsv"));
        string[] Eval(string queries) => Run(new EvalCommand(), "--index", dir.File("index"), "--queries", queries, "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "bm25,fused", "--models", dir.File("ranker"), "--run-out", dir.File("runs"), "--report", dir.File("report.html")).Err.Split('\n');
        bool Warned(string[] err) => err.Any(l => l.StartsWith("warning:", StringComparison.Ordinal) && l.Contains("evaluated queries are among the", StringComparison.Ordinal));

        // The same queries copied under another name (the card's path is not the one given), and the first ten of them.
        Assert.True(Warned(Eval(dir.Write("copy.tsv", string.Join('\n', lines) + "\n"))));
        var subset = Eval(dir.Write("first-ten.tsv", string.Join('\n', lines.Take(10)) + "\n"));
        Assert.True(Warned(subset));
        Assert.Contains(subset, l => l.StartsWith("warning: 10 of the 10 evaluated queries", StringComparison.Ordinal));
        // The same ids and judgments under texts the ranker never saw: nothing to warn about.
        var unseen = lines.Select((l, i) => l.Split('\t')[0] + "\t未见过的查询 " + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(Warned(Eval(dir.Write("unseen.tsv", string.Join('\n', unseen) + "\n"))));
    }

    [Fact]
    public void Search_says_when_the_ranker_was_trained_on_another_window_than_it_re_ranks()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        SaveBm25Ranker(ranker, ("window", "50"));
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);

        var (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "连衣裙");
        Assert.Equal(0, code);
        Assert.Contains("note: the ranker was trained on a recall window of 50 and re-ranks 200 here (--window sets it)", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--window", "50", "连衣裙");
        Assert.Equal(0, code);
        Assert.DoesNotContain("note: the ranker was trained", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run(new EvalCommand(), "--index", dir.File("index"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "bm25,fused", "--models", ranker, "--window", "100", "--run-out", dir.File("runs"), "--report", dir.File("report.html"));
        Assert.Equal(0, code);
        Assert.Contains("note: the ranker was trained on a recall window of 50 and re-ranks 100 here (--window sets it)", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--folds", "1", "--folds must be 0 (no cross-validation) or at least 2 (was 1)")]
    [InlineData("--trees", "0", "--trees must be at least 1 (was 0)")]
    [InlineData("--leaves", "1", "--leaves must be at least 2 (was 1)")]
    [InlineData("--min-leaf", "0", "--min-leaf must be at least 1 (was 0)")]
    [InlineData("--learning-rate", "5", "--learning-rate must be in (0, 1] (was 5)")]
    public void Train_ranker_names_a_bad_setting_by_its_option_before_reading_anything(string option, string value, string message)
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(new TrainRankerCommand(), "--ood-train", OutsidePairs(dir), "--models", dir.File("ranker"), option, value);
        Assert.Equal(2, code);
        Assert.Contains("train-ranker: " + message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("outside judgments:", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker")));
    }

    [Fact]
    public void Refusals_print_the_message_without_dotnets_parameter_suffixes()
    {
        var (code, _, stderr) = Run(new GenerateCommand(), "--products", "0", "--out", _shop.File("g0"));
        Assert.Equal(2, code);
        Assert.Equal("generate: --products must be between 100 and 10,000,000 (was 0).", stderr.Trim());
        (code, _, stderr) = Run(new SearchCommand(), "--index", _shop.File("no-index"), "--models", _shop.File("no-models"), "--window", "0", "x");
        Assert.Equal(2, code);
        Assert.DoesNotContain("(Parameter", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_with_an_unknown_ranker_exits_2_listing_the_known_ones()
    {
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "nope");
        Assert.Equal(2, code);
        Assert.Contains("unknown ranker 'nope'", stderr, StringComparison.Ordinal);
        Assert.Contains("bm25-title", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_ranker_list_describes_every_ranker_without_any_input_files()
    {
        var (code, stdout, _) = Run(new EvalCommand(), "--ranker", "list");

        Assert.Equal(0, code);
        var experimental = stdout.IndexOf("experimental (run only when named):", StringComparison.Ordinal);
        Assert.True(experimental > 0, stdout);
        Assert.InRange(stdout.IndexOf("  bm25-title ", StringComparison.Ordinal), 0, experimental);
        Assert.Contains("BM25 on the segmented title", stdout, StringComparison.Ordinal);
        Assert.True(stdout.IndexOf("  lambdamart-towers-transfer ", StringComparison.Ordinal) > experimental, stdout);
    }

    [Fact]
    public void Distilled_fusion_trains_one_tower_per_fold_from_the_query_log_and_writes_a_run()
    {
        using var models = new TempDir();
        // An unjudged query log: the first characters of titles (no evaluation query among them).
        var log = File.ReadLines(_shop.File("catalog.jsonl")).Take(300)
            .Select((l, i) => $"{i + 1}\t{JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()![..6]}");
        File.WriteAllLines(models.File("log.tsv"), log);
        models.Write("distill.json", """{"queryLog": "log.tsv", "catalogs": [], "queries": 300, "candidates": 5, "epochs": 1}""");
        var run = _shop.File("distilled/run.trec");

        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-distilled", "--folds", "2", "--models", models.Path, "--json",
            "--run-out", run, "--report", _shop.File("distilled/report.html"), "--depth", "50");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal("bm25+dense-distilled", json.RootElement.GetProperty("ranker").GetString());
        Assert.Equal(2, Directory.GetDirectories(models.File("distilled")).Length);
        Assert.Equal(File.ReadLines(_shop.File("queries.tsv")).Count(), File.ReadLines(run).Select(l => l.Split(' ')[0]).Distinct().Count());
    }

    [Fact]
    public void Term_level_fusion_chooses_a_weight_per_fold_and_ranks_every_query()
    {
        using var models = new TempDir();
        var (trained, _, trainErr) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--models", models.Path, "--text-epochs", "1");
        Assert.True(trained == 0, trainErr);
        var run = _shop.File("terms/run.trec");
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-terms", "--folds", "2", "--models", models.Path, "--json",
            "--run-out", run, "--report", _shop.File("terms/report.html"), "--depth", "50");
        Assert.True(code == 0, stderr);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(stderr, "weight [0-9.]+ on the term score").Count);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal("bm25+dense-terms", json.RootElement.GetProperty("ranker").GetString());
        Assert.Equal(File.ReadLines(_shop.File("queries.tsv")).Count(), File.ReadLines(run).Select(l => l.Split(' ')[0]).Distinct().Count());
    }

    [Fact]
    public void Distilled_fusion_with_a_bad_settings_field_exits_2_naming_the_field()
    {
        using var models = new TempDir();
        models.Write("distill.json", """{"queryLog": "log.tsv", "candidates": 1}""");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-distilled", "--models", models.Path, "--report", _shop.File("bad-distill/report.html"));
        Assert.Equal(2, code);
        Assert.Contains("candidates must be at least 2", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Residual_fusion_trains_one_tower_per_fold_with_bm25_as_offset_and_shares_the_teacher_with_the_distilled_tower()
    {
        using var models = new TempDir();
        var log = File.ReadLines(_shop.File("catalog.jsonl")).Take(300)
            .Select((l, i) => $"{i + 1}\t{JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()![..6]}");
        File.WriteAllLines(models.File("log.tsv"), log);
        models.Write("distill.json", """{"queryLog": "log.tsv", "queries": 300, "candidates": 5, "epochs": 1, "residual": {"epochs": 1, "fusionWeight": 0.4}}""");
        var run = _shop.File("residual/run.trec");

        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "dense-distilled,bm25+dense-residual,dense-residual,bm25+dense-residual-fixed", "--folds", "2", "--models", models.Path, "--json",
            "--run-out", run, "--report", _shop.File("residual/report.html"), "--depth", "50");

        Assert.True(code == 0, stderr);
        var rankers = stdout.TrimEnd().Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ranker").GetString()).ToList();
        Assert.Equal(["dense-distilled", "bm25+dense-residual", "dense-residual", "bm25+dense-residual-fixed"], rankers);
        Assert.Contains("bm25+dense-residual-fixed: fixed weight 0.4 on the deep score", stderr, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetDirectories(models.File("residual")).Length);
        Assert.True(stderr.Contains("β = 30.0", StringComparison.Ordinal), stderr); // (1 − 0.4) / (0.4 · 0.05)
        // One teacher per fold, whichever tower asked for it first.
        Assert.Equal(2, stderr.Split('\n').Count(l => l.Contains("teacher LambdaMART", StringComparison.Ordinal)));
    }

    [Fact]
    public void Residual_fusion_with_a_bad_fusion_weight_exits_2_naming_the_field()
    {
        using var models = new TempDir();
        models.Write("distill.json", """{"queryLog": "log.tsv", "residual": {"fusionWeight": 1.5}}""");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-residual", "--models", models.Path, "--report", _shop.File("bad-residual/report.html"));
        Assert.Equal(2, code);
        Assert.Contains("residual.fusionWeight must be in (0, 1)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Residual_ensemble_trains_k_towers_per_fold_from_one_teacher_and_fuses_their_mean_cosine()
    {
        using var models = new TempDir();
        var log = File.ReadLines(_shop.File("catalog.jsonl")).Take(200)
            .Select((l, i) => $"{i + 1}\t{JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()![..6]}");
        File.WriteAllLines(models.File("log.tsv"), log);
        models.Write("distill.json", """{"queryLog": "log.tsv", "queries": 200, "candidates": 5, "epochs": 1, "residual": {"epochs": 1, "fusionWeight": 0.6, "ensemble": 2}}""");

        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-residual-ens,dense-residual-ens,bm25+dense-residual-ens-fixed,bm25-top10-by-dense-residual-ens",
            "--folds", "2", "--seed", "9", "--models", models.Path, "--json", "--report", _shop.File("residual-ens/report.html"), "--depth", "50");

        Assert.True(code == 0, stderr);
        var rankers = stdout.TrimEnd().Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ranker").GetString()).ToList();
        Assert.Equal(["bm25+dense-residual-ens", "dense-residual-ens", "bm25+dense-residual-ens-fixed", "bm25-top10-by-dense-residual-ens"], rankers);
        Assert.Contains("bm25+dense-residual-ens-fixed: fixed weight 0.6 on the deep score", stderr, StringComparison.Ordinal);
        // Two folds × two towers, seeds 9 and 10; one teacher per fold.
        var folds = Directory.GetDirectories(models.File("residual-ens")).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["seed9-fold1", "seed9-fold2"], folds);
        foreach (var f in folds) Assert.Equal(["m1", "m2"], Directory.GetDirectories(models.File($"residual-ens/{f}")).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal));
        Assert.Contains("tower 2/2 (seed 10)", stderr, StringComparison.Ordinal);
        Assert.Equal(2, stderr.Split('\n').Count(l => l.Contains("teacher LambdaMART", StringComparison.Ordinal)));
    }

    [Fact]
    public void Nested_residual_weight_is_chosen_by_half_teachers_on_the_training_queries_they_did_not_see()
    {
        using var models = new TempDir();
        var log = File.ReadLines(_shop.File("catalog.jsonl")).Take(150)
            .Select((l, i) => $"{i + 1}\t{JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()![..6]}");
        File.WriteAllLines(models.File("log.tsv"), log);
        models.Write("distill.json", """{"queryLog": "log.tsv", "queries": 150, "candidates": 5, "epochs": 1, "residual": {"epochs": 1, "fusionWeight": 0.5, "ensemble": 1}}""");

        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-residual-ens-nested", "--folds", "2", "--models", models.Path, "--json",
            "--report", _shop.File("residual-nested/report.html"), "--depth", "50");

        Assert.True(code == 0, stderr);
        Assert.Single(stdout.Split('\n'), l => l.StartsWith("{\"ranker\":\"bm25+dense-residual-ens-nested\"", StringComparison.Ordinal));
        var lines = stderr.Split('\n');
        // Per outer fold: its own teacher (the final towers) and one per half.
        Assert.Equal(2, lines.Count(l => l.Contains("teacher LambdaMART", StringComparison.Ordinal) && !l.Contains("half", StringComparison.Ordinal)));
        Assert.Equal(4, lines.Count(l => l.Contains("teacher LambdaMART", StringComparison.Ordinal) && l.Contains("half", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.Contains("nested weight", StringComparison.Ordinal)));
        Assert.Equal(4, Directory.GetDirectories(models.File("residual-ens-nested")).Length);
        var flat = System.Text.RegularExpressions.Regex.Replace(stderr, @"\s+", " "); // the console wraps long lines
        Assert.Equal(2, flat.Split("chosen on training queries the teacher did not see").Length - 1);
    }

    [Fact]
    public void Bench_deep_with_an_ensemble_times_the_mean_of_the_towers()
    {
        using var dir = new TempDir();
        var products = new[] { SearchRec.Core.Product.Of("1", "红色连衣裙 夏季"), SearchRec.Core.Product.Of("2", "蓝牙耳机 无线"), SearchRec.Core.Product.Of("3", "不锈钢保温杯") };
        foreach (var seed in new[] { 1, 2 })
        {
            var options = new SearchRec.Deep.Training.DeepTrainingOptions
            {
                Seed = seed, TextEpochs = 1, BatchSize = 4, Text = new SearchRec.Deep.Text.TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 4,
            };
            SearchRec.Deep.Training.DeepTraining.TrainText(products, [], dir.File($"m{seed}"), options);
        }

        var (code, stdout, stderr) = Run(new BenchDeepCommand(), "--models", dir.File("m1"), "--ensemble", dir.File("m2"), "--iterations", "100");

        Assert.True(code == 0, stderr);
        Assert.Contains("ensemble of 2 towers (mean cosine), 8 floats per item", stdout, StringComparison.Ordinal);
        Assert.Contains("dense recall top 100 of 3 (exact)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Residual_ensemble_of_zero_towers_exits_2_naming_the_field()
    {
        using var models = new TempDir();
        models.Write("distill.json", """{"queryLog": "log.tsv", "residual": {"ensemble": 0}}""");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-residual-ens", "--models", models.Path, "--report", _shop.File("bad-ens/report.html"));
        Assert.Equal(2, code);
        Assert.Contains("residual.ensemble must be between 1 and 16 (was 0)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_settings_resolve_relative_paths_against_a_relative_models_folder()
    {
        using var models = new TempDir();
        File.WriteAllText(models.File("log.tsv"), "1\tq\n");
        models.Write("distill.json", """{"queryLog": "log.tsv", "residual": {"init": "."}}""");
        // `--models out/m` as typed: relative to the working directory.
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, models.Path);
        Assert.False(Path.IsPathRooted(relative));

        var s = DistillSettings.Read(relative);

        Assert.Equal(models.File("log.tsv"), s.QueryLog);
        Assert.Equal(Path.GetFullPath(models.Path), s.Residual.Init);
    }

    [Theory]
    [InlineData("""{"queryLog": "log.tsv", "candidate": 5}""", "candidate")]
    [InlineData("""{"queryLog": "log.tsv", "residual": {"fusionweigth": 0.5}}""", "fusionweigth")]
    public void Distill_settings_refuse_a_misspelt_key_naming_it_instead_of_using_the_default(string json, string key)
    {
        using var models = new TempDir();
        File.WriteAllText(models.File("log.tsv"), "1\tq\n");
        models.Write("distill.json", json);

        var e = Assert.Throws<InvalidDataException>(() => DistillSettings.Read(models.Path));

        Assert.Contains("distill.json", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Distilled_fusion_with_a_missing_query_log_exits_2_naming_the_field_before_training_a_teacher()
    {
        using var models = new TempDir();
        models.Write("distill.json", """{"queryLog": "no-such-log.tsv"}""");
        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--ranker", "bm25+dense-distilled", "--models", models.Path, "--report", _shop.File("no-log/report.html"));
        Assert.Equal(2, code);
        Assert.Contains("queryLog", stderr, StringComparison.Ordinal);
        Assert.Contains("no-such-log.tsv' does not exist", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("teacher LambdaMART", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_without_serving_runs_its_steps_in_order_and_leaves_a_shop_an_index_a_report_and_trained_models()
    {
        Assert.Equal([10.0, 20, 30, 40], DemoCommand.Steps().Select(s => s.Order).Take(4));
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(new DemoCommand(), "--products", "400", "--out", dir.File("demo"), "--index", dir.File("index"), "--no-serve");

        Assert.True(code == 0, stderr);
        // No service step is ticked off; the command that serves what was built is printed instead.
        Assert.DoesNotContain("Start the service", stdout, StringComparison.Ordinal);
        Assert.Contains($"searchrec serve --index {dir.File("index")} --collab ", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("demo/collab/collab.bin")), "collaborative models");
        Assert.True(File.Exists(dir.File("demo/deep/deep-model.json")), "deep model manifest");
        Assert.NotEmpty(Directory.GetFiles(dir.File("demo/deep"), "*.onnx"));
        Assert.True(File.Exists(dir.File("demo/ranker/ranker.json")), "LambdaMART ranker");
        // Its card says what it learnt from, as train-ranker's does: eval warns on those queries, serve reads the window.
        var card = SearchRec.Ranking.Models.ModelCard.Read(dir.File("demo/ranker"))!;
        Assert.Equal(dir.File("demo/shop/qrels.tsv"), card.Data["qrels"]);
        Assert.StartsWith(dir.File("demo/shop/queries.tsv"), card.Data["queries"], StringComparison.Ordinal);
        Assert.Equal(100, card.TrainingWindow());
        Assert.NotEmpty(card.Importance);
        Assert.Equal(400, File.ReadLines(dir.File("demo/shop/catalog.jsonl")).Count());
        Assert.True(File.Exists(dir.File("index/searchrec-index.json")));
        Assert.Contains("data:image/png;base64,", File.ReadAllText(dir.File("demo/eval-report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_learns_from_logged_searches_labelled_by_a_services_event_store()
    {
        using var dir = new TempDir();
        var (code, _, err) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--combiner", "linear", "--folds", "0", "--models", dir.File("ranker"), "--save-index", dir.File("index"));
        Assert.True(code == 0, err);
        var queries = File.ReadLines(_shop.File("queries.tsv")).Take(6).Select(l => l.Split('\t')[1]).ToList();
        for (int i = 0; i < queries.Count; i++)
        {
            (code, _, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("ranker"), "--user", (700 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--k", "5", "--feature-log", dir.File("features.jsonl"), "--request-id", "r" + i, queries[i]);
            Assert.True(code == 0, err);
        }
        // Each user later buys the second logged candidate of their search; the service's store holds the events.
        var lines = File.ReadAllLines(dir.File("features.jsonl"));
        Assert.Equal(queries.Count, lines.Length);
        using (var store = new SearchRec.Collab.Events.SqliteEventStore(dir.File("events.db")))
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1;
            for (int i = 0; i < lines.Length; i++)
            {
                using var record = JsonDocument.Parse(lines[i]);
                var item = long.Parse(record.RootElement.GetProperty("candidates")[1].GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                store.Append(new SearchRec.Core.Events.UserEvent(700 + i, item, 1, SearchRec.Core.Events.Behavior.Buy, now));
            }
        }

        (code, var stdout, err) = Run(new TrainRankerCommand(), "--feature-log", dir.File("features.jsonl"), "--labels-from-events", dir.File("events.db"),
            "--combiner", "linear", "--folds", "0", "--models", dir.File("traffic"));

        Assert.True(code == 0, err);
        Assert.Contains($"events.db: {queries.Count} events from the event store", err, StringComparison.Ordinal);
        Assert.Contains($"feature logs: {queries.Count} requests, {queries.Count} with a labelled candidate", err, StringComparison.Ordinal);
        Assert.Contains("trained on logged traffic", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("traffic/ranker.json")));
    }

    // The tiny shop's query users with every query at `time` (or with no time column when null).
    private string QueryUsersAt(TempDir dir, long? time) => dir.Write("query-users.tsv", string.Join('\n',
        File.ReadLines(_shop.File("queries-users.tsv")).Select(l => l.Split('\t')).Select(f => time is long t ? $"{f[0]}\t{f[1]}\t{t}" : $"{f[0]}\t{f[1]}")) + "\n");

    [Fact]
    public void Train_ranker_trains_the_collaborative_models_on_events_before_the_first_judged_query_and_records_it_in_the_card()
    {
        using var dir = new TempDir();
        var times = File.ReadLines(_shop.File("events.csv")).Select(l => long.Parse(l.Split(',')[4], CultureInfo.InvariantCulture)).Order().ToList();
        var first = times[times.Count / 2];
        var before = times.Count(t => t < first);
        var (code, _, err) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--query-users", QueryUsersAt(dir, first), "--events", _shop.File("events.csv"), "--folds", "0", "--trees", "10", "--models", dir.File("ranker"));

        Assert.True(code == 0, err);
        var said = $"from {before:N0} events before the first judged query at {DateTimeOffset.FromUnixTimeSeconds(first):yyyy-MM-dd HH:mm:ss}Z ({first}); {times.Count - before:N0} later events left out";
        Assert.Contains(said, err, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
        Assert.DoesNotContain("avoid leakage", err, StringComparison.Ordinal);
        Assert.Contains(said, File.ReadAllText(dir.File("ranker/model-card.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ranker_warns_that_all_events_were_used_only_when_the_judged_queries_carry_no_time()
    {
        using var dir = new TempDir();
        string[] args = ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--query-users", QueryUsersAt(dir, null), "--folds", "0", "--trees", "10"];
        var (code, _, err) = Run(new TrainRankerCommand(), [.. args, "--events", _shop.File("events.csv"), "--models", dir.File("untimed")]);
        Assert.True(code == 0, err);
        Assert.Contains("warning: collaborative models from all", err, StringComparison.Ordinal);
        Assert.Contains("the cross-validated figures may be inflated", File.ReadAllText(dir.File("untimed/model-card.md")), StringComparison.Ordinal);

        (code, _, err) = Run(new TrainRankerCommand(), [.. args, "--models", dir.File("no-events")]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
        Assert.DoesNotContain("events", File.ReadAllText(dir.File("no-events/model-card.md")), StringComparison.Ordinal);
    }

    // A feature log of `requests` searches, one per user, three candidates each holding `columns`, and an event file in
    // which each user buys the second candidate ten minutes after the search.
    private static (string Log, string Events) LoggedTraffic(TempDir dir, int requests, params string[] columns)
    {
        var (log, events) = (new System.Text.StringBuilder(), new System.Text.StringBuilder());
        for (var r = 0; r < requests; r++)
        {
            var ts = 1_512_000_000L + r * 3600;
            var candidates = string.Join(",", Enumerable.Range(0, 3).Select(c =>
                $$"""{"id": "{{100 + c}}", "rank": {{c + 1}}, "features": {""" + string.Join(", ", columns.Select((name, k) => $"\"{name}\": {(c * 7 + k + r) % 5}")) + "}}"));
            log.Append(CultureInfo.InvariantCulture, $$"""{"request_id": "r{{r}}", "ts": "{{DateTimeOffset.FromUnixTimeSeconds(ts):yyyy-MM-ddTHH:mm:ssZ}}", "query": "q", "user": {{r + 1}}, "schema_version": 4, "candidates": [{{candidates}}]}""").Append('\n');
            events.Append(CultureInfo.InvariantCulture, $"{r + 1},101,1,buy,{ts + 600}\n");
        }
        return (dir.Write("features.jsonl", log.ToString()), dir.Write("events.csv", events.ToString()));
    }

    [Fact]
    public void Traffic_mode_refuses_fewer_labelled_requests_than_its_minimum_naming_both_counts()
    {
        using var dir = new TempDir();
        var (log, events) = LoggedTraffic(dir, 4, "bm25", "title_chars");
        var (code, _, err) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", events, "--combiner", "linear", "--models", dir.File("ranker"));

        Assert.Equal(2, code);
        Assert.Contains("4 of the 4 logged requests have a candidate", err, StringComparison.Ordinal);
        Assert.Contains("a ranker needs at least 5", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker")));
    }

    [Fact]
    public void Traffic_mode_says_when_too_few_labelled_requests_skip_cross_validation_and_records_it_in_the_card()
    {
        using var dir = new TempDir();
        var (log, events) = LoggedTraffic(dir, 6, "bm25", "title_chars");
        var (code, stdout, err) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", events, "--combiner", "linear", "--folds", "10", "--models", dir.File("ranker"));

        Assert.True(code == 0, err);
        Assert.Contains("cross-validation skipped: 6 labelled requests are too few for --folds 10", err, StringComparison.Ordinal);
        Assert.Contains("cross_validation: skipped", File.ReadAllText(dir.File("ranker/model-card.md")), StringComparison.Ordinal);
        Assert.DoesNotContain("the ranker reads", stdout, StringComparison.Ordinal);   // text columns alone need no other folder
    }

    [Fact]
    public void Traffic_mode_names_the_collaborative_and_deep_folders_search_and_serve_need_for_the_logged_columns()
    {
        using var dir = new TempDir();
        var (log, events) = LoggedTraffic(dir, 6, "bm25", "cf_item_item", "deep_query_item");
        var (code, stdout, err) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", events, "--combiner", "linear", "--folds", "0", "--models", dir.File("ranker"));

        Assert.True(code == 0, err);
        Assert.Contains($"the ranker reads collaborative features: `search --models {dir.File("ranker")}` needs collab/collab.bin", stdout, StringComparison.Ordinal);
        Assert.Contains("`serve` reads its --collab folder", stdout, StringComparison.Ordinal);
        Assert.Contains("the ranker reads deep features", stdout, StringComparison.Ordinal);
        Assert.Contains("none there now", stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker/collab")));   // named, not copied
    }

    [Fact]
    public void Traffic_mode_records_the_deep_model_the_logged_searches_name_and_warns_when_they_name_two()
    {
        using var dir = new TempDir();
        var (log, events) = LoggedTraffic(dir, 6, "bm25", "deep_query_item");
        var lines = File.ReadAllLines(log);
        string Named(int i, string print) => lines[i].Replace("\"schema_version\": 4,", $"\"schema_version\": 4, \"deep_fingerprint\": \"{print}\",", StringComparison.Ordinal);
        File.WriteAllLines(log, lines.Select((_, i) => Named(i, "00112233aabbccdd")));

        var (code, _, err) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", events, "--combiner", "linear", "--folds", "0", "--models", dir.File("ranker"));

        Assert.True(code == 0, err);
        Assert.Equal("00112233aabbccdd", SearchRec.Ranking.Models.ModelCard.Read(dir.File("ranker"))!.Data["deep_fingerprint"]);

        // A log spanning a tower change: the column mixes two models, so neither is recorded and the user is told.
        File.WriteAllLines(log, lines.Select((_, i) => Named(i, i < 3 ? "00112233aabbccdd" : "ffeeddccbbaa9988")));
        (code, _, err) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", events, "--combiner", "linear", "--folds", "0", "--models", dir.File("ranker2"));
        Assert.True(code == 0, err);
        Assert.Contains("scored by 2 deep models", System.Text.RegularExpressions.Regex.Replace(err, @"\s+", " "), StringComparison.Ordinal);
        Assert.False(SearchRec.Ranking.Models.ModelCard.Read(dir.File("ranker2"))!.Data.ContainsKey("deep_fingerprint"));
    }

    [Fact]
    public void Traffic_mode_says_whether_the_deep_folder_found_beside_the_ranker_is_the_one_the_logs_name()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--text-epochs", "1", "--models", dir.File("deep")).Code);
        var print = SearchRec.Ranking.Features.ModelLocations.DeepFingerprint(dir.File("deep"));
        var (log, events) = LoggedTraffic(dir, 6, "bm25", "deep_query_item");
        var lines = File.ReadAllLines(log);
        string[] Train(string logged, string ranker)
        {
            File.WriteAllLines(log, lines.Select(l => l.Replace("\"schema_version\": 4,", $"\"schema_version\": 4, \"deep_fingerprint\": \"{logged}\",", StringComparison.Ordinal)));
            var (code, stdout, err) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", events, "--combiner", "linear", "--folds", "0", "--models", dir.File(ranker));
            Assert.True(code == 0, err);
            return [.. stdout.Split('\n')];
        }

        // dir/deep is the sibling search and serve would read: before, both cases said only "found now".
        Assert.Contains(Train(print, "same"), l => l.Contains($"found now: {dir.File("deep")}, the deep model the logged searches name", StringComparison.Ordinal));
        Assert.Contains(Train("00112233aabbccdd", "other"), l => l.Contains($"its fingerprint {print} is not 00112233aabbccdd, the one the logged searches name, so search and serve would refuse it", StringComparison.Ordinal));
    }

    [Fact]
    public void Labels_from_an_sqlite_file_that_is_not_an_event_store_are_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var db = dir.File("other.db");
        using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "CREATE TABLE orders(id INTEGER);";
            cmd.ExecuteNonQuery();
        }
        var log = dir.Write("features.jsonl", "");
        var (code, _, stderr) = Run(new TrainRankerCommand(), "--feature-log", log, "--labels-from-events", db, "--models", dir.File("out"));

        Assert.Equal(2, code);
        Assert.Contains($"{db}: an SQLite database without an events table", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void Serve_refuses_a_feature_log_it_cannot_write_naming_it_before_it_opens_the_event_store()
    {
        using var dir = new TempDir();
        foreach (var d in new[] { "index", "collab", "ranker", "log-is-a-folder" }) Directory.CreateDirectory(dir.File(d));
        var (code, _, stderr) = Run(new ServeCommand(), "--index", dir.File("index"), "--collab", dir.File("collab"), "--ranker", dir.File("ranker"),
            "--events", dir.File("events.db"), "--feature-log", dir.File("log-is-a-folder"));

        Assert.Equal(2, code);
        Assert.Contains(dir.File("log-is-a-folder"), stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("events.db")));
    }

    [Fact]
    public void Serve_refuses_log_features_all_without_a_feature_log_and_an_unknown_choice()
    {
        using var dir = new TempDir();
        foreach (var d in new[] { "index", "collab", "ranker" }) Directory.CreateDirectory(dir.File(d));
        var (code, _, stderr) = Run(new ServeCommand(), "--index", dir.File("index"), "--collab", dir.File("collab"), "--ranker", dir.File("ranker"),
            "--events", dir.File("events.db"), "--log-features", "all");
        Assert.Equal(2, code);
        Assert.Contains("--log-features all says what the feature log holds: give --feature-log as well", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("events.db")));

        (code, _, stderr) = Run(new ServeCommand(), "--index", dir.File("index"), "--collab", dir.File("collab"), "--events", dir.File("events.db"), "--log-features", "some");
        Assert.NotEqual(0, code);
        Assert.Contains("some", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--retrain-every", "0", "--retrain-every must be at least 1 second (was 0)")]
    [InlineData("--feature-log-depth", "0", "--feature-log-depth must be between 1 and 10,000 (was 0)")]
    [InlineData("--window", "0", "--window must be between 1 and 10,000 (was 0)")]
    [InlineData("--urls", "notaurl", "--urls: 'notaurl' is not an http(s) address")]
    [InlineData("--feed-ranker", "no-such-folder", "--feed-ranker: ranker folder 'no-such-folder' does not exist")]
    [InlineData("--ranker", "no-such-folder", "--ranker: ranker folder 'no-such-folder' does not exist")]
    [InlineData("--api-key", "short", "--api-key (or $SEARCHREC_API_KEY) must be at least 16 characters long (was 5)")]
    [InlineData("--events-key", "short", "--events-key must be at least 16 characters long (was 5)")]
    public void Serve_names_a_bad_setting_by_its_option_before_it_opens_anything(string option, string value, string message)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("index"));
        Directory.CreateDirectory(dir.File("collab"));
        var (code, _, stderr) = Run(new ServeCommand(), "--index", dir.File("index"), "--collab", dir.File("collab"), "--events", dir.File("events.db"), option, value);
        Assert.Equal(2, code);
        Assert.Contains("serve: " + message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("events.db")));
    }

    [Theory]
    [InlineData("--product-cache", "0", "--product-cache must be between 1 and 20,000,000 (was 0)")]
    [InlineData("--cache-mb", "0", "--cache-mb must be between 1 and 65,536 (was 0)")]
    public void Serve_refuses_a_cache_size_out_of_range_naming_the_setting_before_it_opens_anything(string flag, string value, string message)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("index"));
        Directory.CreateDirectory(dir.File("collab"));
        var (code, _, stderr) = Run(new ServeCommand(), "--index", dir.File("index"), "--collab", dir.File("collab"),
            "--events", dir.File("events.db"), flag, value);

        Assert.Equal(2, code);
        Assert.Contains("serve: " + message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("events.db")), "the event store is not created for a refused start");
    }

    // Two one-epoch text towers and the ensemble.json naming them; returns the ensemble folder.
    private string TwoTinyTowers(TempDir dir)
    {
        foreach (var seed in new[] { "1", "7" })
        {
            var (trained, _, err) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--models", dir.File("t" + seed),
                "--text-epochs", "1", "--text-dim", "8", "--hidden", "8", "--dim", "8", "--seed", seed);
            Assert.True(trained == 0, err);
        }
        Directory.CreateDirectory(dir.File("ens"));
        dir.Write("ens/ensemble.json", """{"members": ["../t1", "../t7"]}""");
        return dir.File("ens");
    }

    private static readonly string[] OutsideTopics = ["连衣裙", "手机壳", "跑步鞋", "保温杯", "牛肉干", "蓝牙耳机", "书包", "台灯"];

    // Another domain's graded pairs, in QBQTC's format: 8 queries over 24 titles, each with a 2, a 1 and a 0.
    [Fact]
    public void Eval_calls_fused_the_saved_ranker_only_when_models_holds_one()
    {
        using var dir = new TempDir();
        var test = OutsidePairs(dir);
        // A --models folder with no ranker.json (say, collaborative models alone): fused is LambdaMART trained per fold,
        // and the table and report said it was "the saved ranker in" that folder, the same at every fold.
        Directory.CreateDirectory(dir.File("models"));

        var (code, stdout, stderr) = Run(new EvalCommand(), "--pairs", test, "--ranker", "bm25,fused", "--models", dir.File("models"), "--folds", "2",
            "--report", dir.File("report.html"), "--run-out", dir.File("run.run"));

        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("saved ranker", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("saved ranker", File.ReadAllText(dir.File("report.html")), StringComparison.Ordinal);
    }

    private static string OutsidePairs(TempDir dir)
    {
        var pairs = new System.Text.StringBuilder();
        var topics = OutsideTopics;
        for (int q = 0; q < topics.Length; q++)
        {
            pairs.AppendLine(CultureInfo.InvariantCulture, $$"""{"id": {{q * 3}}, "query": "{{topics[q]}}推荐", "title": "{{topics[q]}}推荐 十款好物", "label": "2"}""");
            pairs.AppendLine(CultureInfo.InvariantCulture, $$"""{"id": {{q * 3 + 1}}, "query": "{{topics[q]}}推荐", "title": "{{topics[q]}}怎么洗", "label": "1"}""");
            pairs.AppendLine(CultureInfo.InvariantCulture, $$"""{"id": {{q * 3 + 2}}, "query": "{{topics[q]}}推荐", "title": "{{topics[(q + 1) % topics.Length]}}推荐", "label": "0"}""");
        }
        return dir.Write("ood.jsonl", pairs.ToString());
    }

    // `search --explain` over dir/index with the ranker in dir/ranker prints three results.
    private (string Out, string Err) SearchServes(TempDir dir)
    {
        var query = File.ReadLines(_shop.File("queries.tsv")).First().Split('\t')[1];
        var (found, hits, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("ranker"), "--k", "3", "--explain", query);
        Assert.True(found == 0, err);
        Assert.Equal(3, hits.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d\. ")));
        return (hits, err);
    }

    private static string TinyTower(TempDir dir, string name)
    {
        var products = new[] { SearchRec.Core.Product.Of("1", "红色连衣裙 夏季"), SearchRec.Core.Product.Of("2", "蓝牙耳机 无线"), SearchRec.Core.Product.Of("3", "不锈钢保温杯"), SearchRec.Core.Product.Of("4", "连衣裙") };
        var options = new SearchRec.Deep.Training.DeepTrainingOptions
        {
            Seed = 3, TextEpochs = 1, BatchSize = 4, Text = new SearchRec.Deep.Text.TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 4,
        };
        SearchRec.Deep.Training.DeepTraining.TrainText(products, [], dir.File(name), options);
        return dir.File(name);
    }

    [Fact]
    public void Bench_deep_refuses_an_ensemble_mixing_corrected_and_plain_towers_naming_their_folders()
    {
        using var dir = new TempDir();
        var plain = TinyTower(dir, "plain");
        var corrected = TinyTower(dir, "corrected");
        File.WriteAllLines(dir.File("log.tsv"), ["a\t耳机", "b\t连衣裙", "c\t保温杯"]);
        var (code, _, stderr) = Run(new HubnessCommand(), "--models", corrected, "--queries", dir.File("log.tsv"), "--k", "2");
        Assert.True(code == 0, stderr);

        (code, _, stderr) = Run(new BenchDeepCommand(), "--models", plain, "--ensemble", corrected, "--iterations", "10");

        Assert.Equal(2, code);
        Assert.Contains($"'{corrected}' has a hubness correction", stderr, StringComparison.Ordinal);
        Assert.Contains($"'{plain}' has none", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Hubness_stores_the_correction_from_the_first_distinct_unexcluded_queries_and_remove_deletes_it()
    {
        using var dir = new TempDir();
        var tower = TinyTower(dir, "m");
        File.WriteAllLines(dir.File("log.tsv"), ["a\t耳机", "b\t连衣裙", "c\t耳机", "d\t保温杯", "e\t无线", "f\t夏季", "g\t杯子"]);
        File.WriteAllLines(dir.File("eval.tsv"), ["q1\t保温杯"]);

        var (code, stdout, stderr) = Run(new HubnessCommand(), "--models", tower, "--queries", dir.File("log.tsv"), "--exclude-queries", dir.File("eval.tsv"), "--count", "4", "--k", "2");

        Assert.True(code == 0, stderr);
        Assert.Contains("4 items, k 2, 4 queries, factor 0.5", stdout, StringComparison.Ordinal);
        Assert.Contains("(1 equal to one in", stderr, StringComparison.Ordinal);
        using (var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(tower, SearchRec.Deep.Scoring.HubnessCorrection.InfoFileName))))
        {
            Assert.Equal(4, info.RootElement.GetProperty("queries").GetInt32());
            Assert.Equal("1", info.RootElement.GetProperty("excludedDropped").GetString());
        }
        using (var scorer = SearchRec.Deep.Scoring.DeepScorer.Open(tower))
            Assert.Equal(new SearchRec.Deep.Scoring.HubnessInfo(2, 4, 0.5f, 4), scorer.Hubness);

        (code, stdout, stderr) = Run(new HubnessCommand(), "--models", tower, "--remove");

        Assert.True(code == 0, stderr);
        Assert.Contains("removed the correction", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(tower, SearchRec.Deep.Scoring.HubnessCorrection.FileName)));
    }

    [Theory]
    [InlineData("--k", "0", "--k must be at least 1")]
    [InlineData("--count", "1", "--count must be at least --k")]
    [InlineData("--factor", "-0.5", "--factor must be a finite number")]
    [InlineData("--queries", "missing.tsv", "--queries: ")]
    [InlineData("--exclude-queries", "missing.tsv", "--exclude-queries: ")]
    [InlineData("--models", "nowhere", "--models: ")]
    public void Hubness_with_a_bad_option_exits_2_naming_it(string option, string value, string message)
    {
        using var dir = new TempDir();
        var tower = TinyTower(dir, "m");
        File.WriteAllLines(dir.File("log.tsv"), ["a\t耳机", "b\t连衣裙", "c\t保温杯"]);
        var args = new Dictionary<string, string> { ["--models"] = tower, ["--queries"] = dir.File("log.tsv"), ["--k"] = "2" };
        args[option] = value is "missing.tsv" or "nowhere" ? dir.File(value) : value;

        var (code, _, stderr) = Run(new HubnessCommand(), [.. args.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.Equal(2, code);
        Assert.Contains("hubness: " + message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(tower, SearchRec.Deep.Scoring.HubnessCorrection.FileName)));
    }
}
