using SearchRec.Cli.Commands;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Cli.Tests;

// Bad input files and options met by an audit of the commands (in EvalCliTests' class: the commands write to the
// console, which one lock guards).
public sealed partial class EvalCliTests
{
    [Fact]
    public void Eval_rec_refuses_a_report_path_that_is_a_folder_before_evaluating()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var folder = Directory.CreateDirectory(dir.File("report")).FullName;

        var (code, stdout, stderr) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400",
            "--test-users-from", users, "--model", "repeat", "--report", folder);

        Assert.Equal(2, code);
        Assert.Contains($"eval-rec: --report: {folder} is a folder", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("repeat", stdout, StringComparison.Ordinal);
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("train-cf", "--models")]
    [InlineData("train-ranker", "--models")]
    [InlineData("train-ranker", "--save-index")]
    [InlineData("train-deep", "--models")]
    [InlineData("build-prior", "--models")]
    [InlineData("generate", "--out")]
    [InlineData("index", "--index")]
    public void An_output_folder_given_as_an_existing_file_is_refused_naming_the_option_before_any_work(string command, string option)
    {
        using var dir = new TempDir();
        var file = dir.Write("taken.txt", "keep me\n");
        string[] args = command switch
        {
            "train-cf" => ["--events", _shop.File("events.csv"), "--models", file],
            "train-ranker" => ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"), "--folds", "0",
                "--models", option == "--models" ? file : dir.File("ranker"), .. option == "--save-index" ? new[] { "--save-index", file } : []],
            "train-deep" => ["--catalog", _shop.File("catalog.jsonl"), "--text-epochs", "1", "--models", file],
            "build-prior" => ["--catalog", _shop.File("catalog.jsonl"), "--query-log", _shop.File("queries.tsv"), "--exclude-queries", dir.Write("none.tsv", "q\t不在日志里的查询\n"), "--models", file],
            "generate" => ["--products", "100", "--users", "5", "--out", file],
            _ => ["--catalog", _shop.File("catalog.jsonl"), "--index", file],
        };
        ICliCommand cmd = command switch
        {
            "train-cf" => new TrainCfCommand(),
            "train-ranker" => new TrainRankerCommand(),
            "train-deep" => new TrainDeepCommand(),
            "build-prior" => new BuildPriorCommand(),
            "generate" => new GenerateCommand(),
            _ => new IndexCommand(),
        };

        var (code, _, stderr) = Run(cmd, args);

        Assert.Equal(2, code);
        Assert.StartsWith($"{command}: {option}: {file} is a file; give a folder", stderr.Split('\n').First(l => l.StartsWith(command + ":", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("[", stderr, StringComparison.Ordinal); // no progress line: refused before training
        Assert.Equal("keep me\n", File.ReadAllText(file));
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("0.5")]
    public void Train_deep_refuses_a_pseudo_ratio_that_is_not_a_finite_number_of_at_least_1(string ratio)
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--text-epochs", "1",
            "--query-log", _shop.File("queries.tsv"), "--pseudo-ratio", ratio, "--models", dir.File("deep"));

        Assert.Equal(2, code);
        Assert.Contains($"train-deep: --pseudo-ratio must be a finite number of at least 1 (1 = always), not {ratio}", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("deep")));
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Train_ranker_refuses_the_inputs_of_another_mode_rather_than_ignore_them()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var log = dir.Write("log.jsonl", "{}\n");
        string[] nextItem = ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users];
        string[] traffic = ["--feature-log", log, "--labels-from-events", _shop.File("events.csv")];
        (string[] Args, string Message)[] cases =
        [
            ([.. nextItem, .. traffic], "--cut trains a next-item ranker from --events; leave out --feature-log, --labels-from-events"),
            ([.. nextItem, "--catalog", _shop.File("catalog.jsonl"), "--qrels", _shop.File("qrels.tsv")], "--cut trains a next-item ranker from --events; leave out --catalog, --qrels"),
            ([.. nextItem, "--combiner", "linear"], "--cut trains a next-item LambdaMART; --combiner linear is for search rankers"),
            ([.. traffic, "--catalog", _shop.File("catalog.jsonl"), "--test-users-from", users], "--feature-log trains on logged searches; leave out --catalog, --test-users-from"),
            (["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"), "--test-users-from", users],
                "--test-users-from is read by next-item mode (--cut) alone"),
        ];
        foreach (var (args, message) in cases)
        {
            var models = dir.File("ranker");
            var (code, _, stderr) = Run(new TrainRankerCommand(), [.. args, "--models", models]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}");
            Assert.Contains(message, stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(models));
        }
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Similar_refuses_an_event_store_that_does_not_exist_and_creates_none()
    {
        using var dir = new TempDir();
        var models = dir.File("collab");
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", models).Code);
        var typo = dir.File("evnets.db");

        var (code, _, stderr) = Run(new SimilarCommand(), "--item", "1", "--user", "1", "--models", models, "--db", typo);

        Assert.Equal(2, code);
        Assert.Contains($"similar: --db: {typo}: file not found", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(typo));
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Train_cf_refuses_test_users_without_the_cut_they_are_evaluated_at()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var (code, _, stderr) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab"), "--test-users-from", users);
        Assert.Equal(2, code);
        Assert.Contains("train-cf: --test-users-from is read with --eval-cut alone", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("collab")));
    }

    [Theory]
    [InlineData("--eval-qrels", "qrels.tsv", "--eval-qrels needs --eval-queries")]
    [InlineData("--eval-users", "users", "--eval-users needs --eval-cut")]
    [InlineData("--eval-cut", "1512230400", "--eval-cut needs --events")]
    [InlineData("--hard-negatives", null, "--hard-negatives needs --query-log")]
    public void Train_deep_refuses_an_option_whose_partner_is_missing(string option, string? value, string message)
    {
        using var dir = new TempDir();
        string[] given = value switch
        {
            null => [option],
            "qrels.tsv" => [option, _shop.File("qrels.tsv")],
            "users" => [option, HalfOfTheUsers(dir)],
            _ => [option, value],
        };
        var (code, _, stderr) = Run(new TrainDeepCommand(), ["--catalog", _shop.File("catalog.jsonl"), "--text-epochs", "1", "--models", dir.File("deep"), .. given]);
        Assert.Equal(2, code);
        Assert.Contains($"train-deep: {message}", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("deep")));
    }

    [Theory]
    [InlineData("--pairs")]
    [InlineData("--query-log")]
    [InlineData("--eval-queries")]
    public void Train_deep_refuses_a_missing_input_file_naming_its_option_before_reading_the_catalog(string option)
    {
        using var dir = new TempDir();
        var missing = dir.File("typo.tsv");
        var (code, _, stderr) = Run(new TrainDeepCommand(), "--catalog", _shop.File("catalog.jsonl"), "--text-epochs", "1", "--models", dir.File("deep"), option, missing);
        Assert.Equal(2, code);
        Assert.Contains($"train-deep: {option}: '{missing}' does not exist.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("catalog ", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("deep")));
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("--events")]
    [InlineData("--eval-qrels")]
    [InlineData("--eval-users")]
    [InlineData("one-sample")]
    public void Train_deep_reads_every_input_before_it_saves_a_tower(string option)
    {
        using var dir = new TempDir();
        var models = dir.File("deep");
        string[] args = option switch
        {
            "--events" => ["--events", dir.Write("events.csv", "")],
            "--eval-qrels" => ["--eval-queries", _shop.File("queries.tsv"), "--eval-qrels", dir.Write("qrels.tsv", "1 0 5 NaN\n")],
            // Readable events that give the behaviour towers a single next-item sample.
            "one-sample" => ["--events", dir.Write("events.csv", "1,5,1,pv,1512000000\n1,6,1,pv,1512000100\n2,5,1,pv,1512000200\n")],
            _ => ["--events", _shop.File("events.csv"), "--eval-cut", "1512230400", "--eval-users", dir.File("no-users.txt")],
        };

        var (code, _, stderr) = Run(new TrainDeepCommand(), ["--catalog", _shop.File("catalog.jsonl"), "--text-epochs", "1", "--models", models, .. args]);

        Assert.Equal(2, code);
        Assert.StartsWith("train-deep: ", stderr.Split('\n').Last(l => l.Length > 0), StringComparison.Ordinal);
        Assert.False(Directory.Exists(models), "a failed run saved a text tower: " + stderr);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void A_next_item_rankers_card_with_a_bad_setting_is_refused_naming_the_card()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var ranker = dir.File("next");
        var collab = dir.File("collab");
        Assert.Equal(0, NextItem(users, ranker, "--no-grid").Code);
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", collab).Code);
        var card = Path.Combine(ranker, "model-card.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(card))!;
        json["options"]!["next_item.cut"] = "yesterday";
        File.WriteAllText(card, json.ToJsonString());
        var user = File.ReadLines(users).First().Split(',')[0];

        var (code, _, recommendErr) = Run(new RecommendCommand(), "--user", user, "--events", _shop.File("events.csv"), "--collab", collab, "--feed-ranker", ranker);
        var (code2, _, evalErr) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--model", "fused", "--ranker", ranker);

        Assert.Equal(2, code);
        Assert.Equal(2, code2);
        Assert.Contains($"recommend: {card}: next_item.cut 'yesterday' is not a Unix time", recommendErr, StringComparison.Ordinal);
        Assert.Contains($"eval-rec: {card}: next_item.cut 'yesterday' is not a Unix time", evalErr, StringComparison.Ordinal);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void A_ranker_refuses_a_deep_model_other_than_the_one_it_was_trained_with()
    {
        using var dir = new TempDir();
        string[] Tower(string seed) => ["--catalog", _shop.File("catalog.jsonl"), "--models", dir.File("deep"), "--text-epochs", "1",
            "--text-dim", "8", "--hidden", "8", "--dim", "8", "--seed", seed];
        var (code, _, stderr) = Run(new TrainDeepCommand(), Tower("1"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"),
            "--qrels", _shop.File("qrels.tsv"), "--deep", dir.File("deep"), "--models", dir.File("ranker"), "--folds", "0", "--trees", "20",
            "--save-index", dir.File("index"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("ranker"), "连衣裙");
        Assert.True(code == 0, stderr);

        // The same folder, retrained: its cosines are not the ones the trees split on.
        (code, _, stderr) = Run(new TrainDeepCommand(), Tower("2"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("ranker"), "连衣裙");

        Assert.NotEqual(0, code);
        var flat = System.Text.RegularExpressions.Regex.Replace(stderr, @"\s+", " ");
        Assert.Contains($"The deep model in {dir.File("deep")}", flat, StringComparison.Ordinal);
        Assert.Contains("is not the one the ranker", flat, StringComparison.Ordinal);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Search_feature_log_records_name_the_window_re_ranked_and_no_filters()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        SaveBm25Ranker(ranker);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var log = dir.File("features.jsonl");

        var (code, _, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--window", "5", "--feature-log", log, "连衣裙");

        Assert.True(code == 0, err);
        using var record = System.Text.Json.JsonDocument.Parse(File.ReadLines(log).Single());
        // search has no filter options: its records are of unfiltered searches, as the service writes those.
        Assert.False(record.RootElement.TryGetProperty("filters", out _));
        Assert.Equal(5, record.RootElement.GetProperty("window").GetInt32());
        Assert.Equal(5, record.RootElement.GetProperty("candidates").GetArrayLength());
    }

    [Fact]
    public void Search_refuses_an_option_whose_partner_is_missing_and_takes_it_with_the_partner()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        SaveBm25Ranker(ranker);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var log = dir.File("features.jsonl");
        (string[] Args, string Message)[] alone =
        [
            (["--models", ranker, "--request-id", "r1"], "--request-id needs --feature-log"),
            (["--request-id", "r1"], "--request-id needs --feature-log"),
            (["--models", ranker, "--user", "7"], "--user needs --events"),
            (["--window", "50"], "--window needs a ranker: give --models DIR"),
            (["--models", ranker, "--user", "7", "--events", _shop.File("events.csv")], $"--events is read only by a ranker with collaborative or behaviour-tower features, and the one in {ranker} has neither"),
        ];
        foreach (var (args, message) in alone)
        {
            var (code, stdout, stderr) = Run(new SearchCommand(), ["--index", dir.File("index"), .. args, "连衣裙"]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}");
            Assert.Contains($"search: {message}", stderr, StringComparison.Ordinal);
            Assert.Equal("", stdout);
        }
        Assert.False(File.Exists(log));

        // With their partners the same options are read: the id is the logged one, the user is logged with it.
        var (ok, _, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--user", "7",
            "--feature-log", log, "--request-id", "r1", "连衣裙");
        Assert.True(ok == 0, err);
        using var record = System.Text.Json.JsonDocument.Parse(File.ReadLines(log).Single());
        Assert.Equal("r1", record.RootElement.GetProperty("request_id").GetString());
        Assert.Equal(7, record.RootElement.GetProperty("user").GetInt64());
        (ok, _, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--window", "50", "连衣裙");
        Assert.True(ok == 0, err);
        // A ranker with collaborative features reads the user's history from the events.
        (ok, _, err) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--events", _shop.File("events.csv"), "--combiner", "linear", "--folds", "0", "--models", dir.File("personal"));
        Assert.True(ok == 0, err);
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", Path.Combine(dir.File("personal"), "collab")).Code);
        var user = File.ReadLines(_shop.File("events.csv")).First().Split(',')[0];
        (ok, _, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("personal"), "--user", user, "--events", _shop.File("events.csv"), "连衣裙");
        Assert.True(ok == 0, err);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Eval_rec_refuses_blend_weights_when_the_blend_is_not_evaluated_and_a_bad_list_before_training()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        string[] common = ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users];

        var (code, stdout, stderr) = Run(new EvalRecCommand(), [.. common, "--model", "repeat,als", "--blend-weights", "1,0,0,0,0"]);
        Assert.Equal(2, code);
        Assert.Contains("eval-rec: --blend-weights is read only by --model blend (or all).", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("repeat", stdout, StringComparison.Ordinal);

        (code, _, stderr) = Run(new EvalRecCommand(), [.. common, "--model", "blend", "--blend-weights", "1,x,0,0,0"]);
        Assert.Equal(2, code);
        Assert.Contains("eval-rec: --blend-weights: 'x' is not a number.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("training events", stderr, StringComparison.Ordinal); // refused before the events were read

        (code, stdout, stderr) = Run(new EvalRecCommand(), [.. common, "--model", "all", "--blend-weights", "1,0,0,0,0", "--json"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"model\":\"blend\"", stdout, StringComparison.Ordinal);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Eval_rec_blend_weights_change_the_blend_alone_not_the_blend_column_the_next_item_ranker_learnt_from()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var ranker = dir.File("next");
        var (trained, _, trainErr) = NextItem(users, ranker, "--no-grid");
        Assert.True(trained == 0, trainErr);
        string[] common = ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users, "--ranker", ranker, "--k", "10,20", "--json"];
        Dictionary<string, string> Metrics(params string[] more)
        {
            var (code, stdout, stderr) = Run(new EvalRecCommand(), [.. common, .. more]);
            Assert.True(code == 0, stderr);
            return stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
                .ToDictionary(r => r.GetProperty("model").GetString()!, r => r.GetProperty("metrics").ToString());
        }

        var plain = Metrics("--model", "blend,fused");
        var weighted = Metrics("--model", "blend,fused", "--blend-weights", "0,0,0,0,1");

        Assert.NotEqual(plain["blend"], weighted["blend"]);
        Assert.Equal(plain["fused"], weighted["fused"]);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Eval_refuses_events_that_no_evaluated_ranker_would_read_naming_what_they_need()
    {
        using var dir = new TempDir();
        var models = dir.File("models");
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", Path.Combine(models, "collab")).Code);
        // The same queries without the queries-users.tsv that sits beside the shop's: no query has a user.
        var anonymous = dir.Write("queries.tsv", File.ReadAllText(_shop.File("queries.tsv")));
        string[] Eval(string queries, string ranker, params string[] more) =>
            ["--catalog", _shop.File("catalog.jsonl"), "--queries", queries, "--qrels", _shop.File("qrels.tsv"), "--events", _shop.File("events.csv"),
                "--ranker", ranker, "--limit", "40", "--report", dir.File("r.html"), "--run-out", dir.File("r.run"), .. more];
        (string[] Args, string Message)[] cases =
        [
            (Eval(_shop.File("queries.tsv"), "bm25", "--models", models),
                "eval: --events is read only by the rankers that use the users' histories (weighted, linear, lambdamart, fused, cf-repeat, cf-item-item, cf-als, cf-category, popularity); --ranker bm25 names none of them"),
            (Eval(_shop.File("queries.tsv"), "bm25-title,bm25-bigram"), "--ranker bm25-title,bm25-bigram names none of them"),
            (Eval(_shop.File("queries.tsv"), "bm25,lambdamart"), "eval: --events needs --models holding collaborative models (train-cf) or a behaviour tower (train-deep --events)"),
            (Eval(anonymous, "lambdamart", "--models", models), $"eval: --events needs queries with users: none of the queries (--limit 40) in {anonymous} has one"),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, stdout, stderr) = Run(new EvalCommand(), args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}");
            Assert.Contains(message, stderr, StringComparison.Ordinal);
            Assert.Equal("", stdout);
            Assert.False(File.Exists(dir.File("r.html")));
        }
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("--ood-catalog", "--ood-catalog needs --ood-train")]
    [InlineData("--ood-queries", "--ood-queries needs --ood-train")]
    [InlineData("--query-users", "--pairs gives the catalog, queries and judgments, and no user: leave out --catalog, --queries, --qrels, --query-users and --index")]
    [InlineData("--query-users without --events", "--query-users needs --events (the users' histories, CSV files or a service's events.db): without them each query is ranked as an anonymous one")]
    public void Eval_refuses_an_option_whose_partner_is_missing(string option, string message)
    {
        using var dir = new TempDir();
        var pairs = dir.Write("pairs.jsonl", "{\"query\": \"连衣裙\", \"title\": \"红色 连衣裙\", \"label\": 2}\n{\"query\": \"连衣裙\", \"title\": \"红色 衬衫\", \"label\": 0}\n");
        string[] given = option switch
        {
            "--ood-catalog" => [option, pairs],
            "--ood-queries" => [option, "10"],
            _ => ["--query-users", _shop.File("queries-users.tsv")],
        };
        string[] inputs = option == "--query-users"
            ? ["--pairs", pairs]
            : ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv")];

        var (code, _, stderr) = Run(new EvalCommand(), [.. inputs, "--ranker", "bm25", "--report", dir.File("r.html"), "--run-out", dir.File("r.run"), .. given]);

        Assert.Equal(2, code);
        Assert.Contains($"eval: {message}", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("r.html")));
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Index_of_a_tsv_catalog_skips_its_header_and_refuses_lines_with_more_columns_naming_them()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("corpus.tsv", "docid\ttitle\n1\t红色 连衣裙\n2\t蓝色 衬衫\t衬衫\t99\n3\t白色 衬衫\n");

        var (code, _, stderr) = Run(new IndexCommand(), "--catalog", catalog, "--index", dir.File("index"));

        Assert.True(code == 0, stderr);
        Assert.Contains($"{catalog}:3: 4 tab-separated fields: expected 2, 'id<TAB>title'", stderr, StringComparison.Ordinal);
        Assert.Contains("read 3 lines, accepted 2, rejected 1; a header line skipped", stderr, StringComparison.Ordinal);
        using (var index = SearchRec.Index.ProductIndex.Open(dir.File("index")))
            Assert.Equal(["1", "3"], index.Products().Select(p => p.Id).Order(StringComparer.Ordinal));

        // Every line with more columns: nothing is indexed, and the index already there is kept.
        var wide = dir.Write("wide.tsv", "1\t红色 连衣裙\t服装\n2\t蓝色 衬衫\t服装\n");
        (code, _, stderr) = Run(new IndexCommand(), "--catalog", wide, "--index", dir.File("index"));
        Assert.Equal(2, code);
        Assert.Contains($"{wide}:1: 3 tab-separated fields", stderr, StringComparison.Ordinal);
        Assert.Contains("no index was written", stderr, StringComparison.Ordinal);
        using (var index = SearchRec.Index.ProductIndex.Open(dir.File("index")))
            Assert.Equal(2, index.Products().Count());

        // A header alone is no catalog.
        (code, _, stderr) = Run(new IndexCommand(), "--catalog", dir.Write("header.tsv", "id\ttitle\n"), "--index", dir.File("index2"));
        Assert.Equal(2, code);
        Assert.Contains("no product could be read", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("index2")));
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("", "it is empty or holds only blank lines")]
    [InlineData("\n \r\n\n", "it is empty or holds only blank lines")]
    [InlineData("user_id,item_id,category_id,behavior,timestamp\n", "it holds only a header line")]
    public void Import_events_refuses_a_file_with_no_event_naming_it_and_still_imports_the_others(string text, string why)
    {
        using var dir = new TempDir();
        var empty = dir.Write("empty.csv", text);
        var store = dir.File("events.db");

        var (code, _, stderr) = Run(new ImportEventsCommand(), "--events", empty, "--store", store);
        Assert.Equal(2, code);
        Assert.Contains($"import-events: no event in {empty}: {why}", stderr, StringComparison.Ordinal);
        if (text.Length == 0 || text.Trim().Length == 0) Assert.False(File.Exists(store)); // no store made for nothing

        var good = dir.Write("good.csv", "1,10,5,pv,1511544070\n");
        (code, var stdout, stderr) = Run(new ImportEventsCommand(), "--events", empty, good, "--store", store);
        Assert.Equal(2, code);
        Assert.Contains($"import-events: no event in {empty}", stderr, StringComparison.Ordinal);
        Assert.Contains("holds 1 events", stdout, StringComparison.Ordinal);
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("bm25")]
    [InlineData("all")]
    [InlineData("bm25,lambdamart")]
    public void Eval_refuses_ood_train_that_no_evaluated_ranker_would_read_naming_the_rankers_that_do_before_reading_the_catalog(string ranker)
    {
        using var dir = new TempDir();
        var ood = dir.Write("dev.jsonl", "{\"query\": \"连衣裙\", \"title\": \"红色 连衣裙\", \"label\": 2}\n");
        // The catalog is absent: the refusal comes before it would be read, let alone indexed.
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", dir.File("absent.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ood-train", ood, "--ranker", ranker, "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));

        Assert.Equal(2, code);
        Assert.Contains("eval: --ood-train is read only by the rankers that learn from out-of-domain judgments (lambdamart-qbqtc, lambdamart-qbqtc-only, "
            + $"lambdamart-bag-qbqtc, lambdamart-towers-transfer); --ranker {ranker} names none of them", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(dir.File("r.html")));
    }

    [Fact]
    public void Eval_refuses_a_ranker_that_learns_from_out_of_domain_judgments_without_ood_train_before_reading_the_catalog()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", dir.File("absent.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "bm25,lambdamart-qbqtc-only", "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));

        Assert.Equal(2, code);
        Assert.Contains("eval: lambdamart-qbqtc-only learns from out-of-domain judgments: give --ood-train FILE", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(dir.File("r.html")));
    }

    [Fact]
    public void Eval_with_ood_train_runs_when_an_evaluated_ranker_reads_it()
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 12).Select(i =>
            $"{{\"query\": \"{(i % 2 == 0 ? "黑色 手机" : "碎花 连衣裙")}{i}\", \"title\": \"{(i % 2 == 0 ? "黑色 手机 套" : "碎花 连衣裙 夏")}{i}\", \"label\": \"{1 + i % 2}\"}}");
        var ood = dir.Write("dev.jsonl", string.Join('\n', lines) + "\n");

        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ood-train", ood, "--ood-queries", "10", "--ranker", "bm25,lambdamart-qbqtc-only", "--limit", "30", "--depth", "50", "--json",
            "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));

        Assert.True(code == 0, stderr);
        Assert.Contains("\"ranker\":\"lambdamart-qbqtc-only\"", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("r.html")));
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Search_explain_prints_an_anonymous_searchs_unknown_user_features_as_unknown_not_NaN()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var (code, _, err) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--events", _shop.File("events.csv"), "--folds", "0", "--models", dir.File("personal"));
        Assert.True(code == 0, err);
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", Path.Combine(dir.File("personal"), "collab")).Code);

        // No user: the user's collaborative features are unknown, and the trees send them down a branch of their own.
        (code, var stdout, err) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("personal"), "--k", "10", "--explain", "连衣裙");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("NaN", stdout, StringComparison.Ordinal);
        Assert.Contains(stdout.Split('\n'), l => l.Contains(" value   unknown ", StringComparison.Ordinal));
    }

    [Fact]
    public void Eval_rec_refuses_blend_weights_of_the_wrong_length_for_being_unread_when_the_blend_is_not_evaluated()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);

        var (code, _, stderr) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400",
            "--test-users-from", users, "--model", "repeat", "--blend-weights", "1,2");

        Assert.Equal(2, code);
        Assert.Contains("eval-rec: --blend-weights is read only by --model blend (or all).", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--factors", "32")]
    [InlineData("--iterations", "3")]
    public void Train_cf_refuses_an_als_option_beside_skip_als_rather_than_ignore_it(string option, string value)
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", dir.File("collab"), "--skip-als", option, value);

        Assert.Equal(2, code);
        Assert.Contains($"train-cf: {option} set ALS, which --skip-als leaves out; give one or the other.", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("collab")));
    }

    [Fact]
    public void Train_cf_refuses_a_bad_eval_cut_or_a_missing_user_file_before_reading_the_events()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        (string[] Args, string Message)[] cases =
        [
            (["--eval-cut", "foo", "--test-users-from", users], "train-cf: --eval-cut: 'foo' is neither Unix seconds nor an ISO 8601 time"),
            (["--eval-cut", "1512230400"], "train-cf: --eval-cut needs --test-users-from."),
            (["--eval-cut", "1512230400", "--test-users-from", dir.File("absent.txt")], $"train-cf: --test-users-from: {dir.File("absent.txt")}: file not found"),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, _, stderr) = Run(new TrainCfCommand(), ["--events", _shop.File("events.csv"), "--models", dir.File("collab"), .. args]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}");
            Assert.StartsWith(message, stderr, StringComparison.Ordinal); // no event count or "evaluating at the cut: " before it
            Assert.False(Directory.Exists(dir.File("collab")));
        }
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void Bench_analyzer_refuses_seconds_that_are_not_a_positive_finite_number(string seconds)
    {
        using var dir = new TempDir();
        var titles = dir.Write("titles.txt", "红色连衣裙\n");

        var (code, stdout, stderr) = Run(new BenchAnalyzerCommand(), "--titles", titles, "--seconds", seconds);

        Assert.Equal(2, code);
        Assert.Contains($"bench analyzer: --seconds must be a positive finite number (was {seconds}).", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Bench_analyzer_refuses_an_unknown_analyzer_before_measuring_the_others()
    {
        using var dir = new TempDir();
        var titles = dir.Write("titles.txt", "红色连衣裙\n");

        var (code, stdout, stderr) = Run(new BenchAnalyzerCommand(), "--titles", titles, "--seconds", "0.2", "--analyzer", "searchrec", "smartcnn");

        Assert.Equal(2, code);
        Assert.Contains("bench analyzer: --analyzer: Unknown analyzer 'smartcnn'.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("measuring", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Search_refuses_a_feature_log_that_is_a_folder_naming_the_option()
    {
        using var dir = new TempDir();
        var ranker = dir.File("ranker");
        SaveBm25Ranker(ranker);
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), "--index", dir.File("index")).Code);
        var folder = Directory.CreateDirectory(dir.File("logs")).FullName;

        var (code, stdout, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", ranker, "--feature-log", folder, "连衣裙");

        Assert.Equal(2, code);
        Assert.Contains($"search: --feature-log: {folder} is a folder; give the path of a file to write.", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Train_ranker_refuses_an_option_the_chosen_mode_does_not_read_rather_than_ignore_it()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var log = dir.Write("log.jsonl", "{}\n");
        string[] search = ["--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv")];
        string[] nextItem = ["--events", _shop.File("events.csv"), "--cut", "1512230400", "--test-users-from", users];
        string[] traffic = ["--feature-log", log, "--labels-from-events", _shop.File("events.csv")];
        (string[] Args, string Message)[] cases =
        [
            ([.. search, "--per-source", "20", "--no-grid"], "--per-source, --no-grid: read by next-item mode (--cut) alone."),
            ([.. traffic, "--inner-cuts", "3"], "--inner-cuts: read by next-item mode (--cut) alone."),
            ([.. search, "--join-minutes", "60"], "--join-minutes: read by traffic mode (--feature-log) alone."),
            ([.. traffic, "--window", "50", "--idf"], "--window, --idf: traffic mode (--feature-log) re-ranks the logged candidates with the logged features"),
            ([.. nextItem, "--list-head"], "--list-head: read by the search ranking modes, not by next-item mode (--cut)."),
            ([.. search, "--combiner", "linear", "--bag-trees", "50"], "--bag-trees: read by --combiner lambdamart-bag alone."),
        ];
        foreach (var (args, message) in cases)
        {
            var models = dir.File("ranker");
            var (code, _, stderr) = Run(new TrainRankerCommand(), [.. args, "--models", models]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}");
            Assert.Contains($"train-ranker: {message}", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.False(Directory.Exists(models));
        }
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("--window", "50", "eval: --window sets how many of BM25's candidates the re-rankers re-rank; --ranker bm25,bm25-title names none of them")]
    [InlineData("--seeds", "42,1", "eval: --seeds repeats the cross-validation of the trained rankers; --ranker bm25,bm25-title names none of them")]
    public void Eval_refuses_a_rescore_window_or_fold_seeds_when_only_bm25_rankers_are_named(string option, string value, string message)
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(new EvalCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", "bm25,bm25-title", option, value, "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));

        Assert.Equal(2, code);
        Assert.Contains(message, stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(dir.File("r.html")));
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData(false, "--prior: {0}: file not found")]
    [InlineData(true, "{0}:1: expected '#queries<TAB>Q<TAB>depth<TAB>D'.")]
    public void Train_ranker_refuses_a_missing_or_malformed_prior_naming_it_before_indexing_the_catalog(bool write, string message)
    {
        using var dir = new TempDir();
        var prior = write ? dir.Write("prior.tsv", "garbage\n") : dir.File("absent.tsv");

        var (code, _, stderr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--prior", prior, "--folds", "0", "--models", dir.File("ranker"));

        Assert.Equal(2, code);
        Assert.Contains("train-ranker: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, message, prior), stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("catalog: read", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("ranker")));
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("--events", "0", "bench als: --events must be at least 1 (was 0).")]
    [InlineData("--iterations", "0", "bench als: --iterations must be a positive finite number (was 0).")]
    [InlineData("--factors", "-1", "bench als: --factors must be a positive finite number (was -1).")]
    [InlineData("--threads", "0", "bench als: --threads must be a positive finite number (was 0).")]
    public void Bench_als_refuses_a_bad_setting_by_its_option_before_generating_the_log(string option, string value, string message)
    {
        string[] small = option == "--events" ? [] : ["--events", "1000"];
        var (code, stdout, stderr) = Run(new BenchAlsCommand(), [.. small, option, value]);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("synthetic shop", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void Bench_ingest_refuses_appends_below_one(string appends)
    {
        var (code, stdout, stderr) = Run(new BenchIngestCommand(), "--file", _shop.File("events.csv"), "--appends", appends);

        Assert.Equal(2, code);
        Assert.Contains($"bench ingest: --appends must be at least 1 (was {appends}).", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Similar_refuses_a_user_without_the_event_store_holding_their_history()
    {
        using var dir = new TempDir();
        var models = dir.File("collab");
        Assert.Equal(0, Run(new TrainCfCommand(), "--events", _shop.File("events.csv"), "--models", models, "--skip-als").Code);

        var (code, stdout, stderr) = Run(new SimilarCommand(), "--item", "1", "--user", "1", "--models", models);

        Assert.Equal(2, code);
        Assert.Contains("similar: --user needs --db (the event store holding the user's history).", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Bench_search_refuses_products_that_differ_from_the_index_it_would_reuse()
    {
        using var dir = new TempDir();
        string[] common = ["--index", dir.File("index"), "--requests", "10", "--trees", "5", "--report", dir.File("report.html")];
        var (built, _, err) = Run(new BenchSearchCommand(), [.. common, "--products", "400"]);
        Assert.True(built == 0, err);

        var (code, stdout, stderr) = Run(new BenchSearchCommand(), [.. common, "--products", "300"]);

        Assert.Equal(2, code);
        Assert.Contains($"bench search: --products: {dir.File("index")} holds 400 products, not the 300 of --products", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("1,10,100,pv,1512000000\n1,11,100,buy,1512100000\n", "0.2", "of the 1 user in")]
    [InlineData("1,10,100,pv,1512000000\n2,11,100,pv,1512100000\n3,12,100,pv,1512200000\n", "0.1", "of the 3 users in")]
    public void Split_users_refuses_a_split_that_picks_no_test_user_and_writes_nothing(string log, string fraction, string message)
    {
        using var dir = new TempDir();
        var events = dir.Write("events.csv", log);
        var output = Path.Combine(dir.File("split"), "test-users.txt");

        var (code, stdout, stderr) = Run(new SplitUsersCommand(), "--events", events, "--fraction", fraction, "--out", output);

        Assert.Equal(2, code);
        var flat = stderr.Replace("\n", "", StringComparison.Ordinal);
        Assert.Contains($"split-users: --fraction {fraction} {message} {events} picks no test user", flat, StringComparison.Ordinal);
        Assert.Contains($"Nothing was written to {output}", flat, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(dir.File("split")), "the refused split made the folder of --out");
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("cf-als", "ranker 'cf-als' needs --events with the users' histories")]
    [InlineData("dense", "ranker 'dense' needs --models DIR holding a text tower")]
    public void Eval_refuses_a_named_ranker_whose_inputs_are_missing_before_reading_the_catalog(string ranker, string message)
    {
        using var dir = new TempDir();
        // A catalog with no product: read first, it was refused for that instead of for the ranker.
        var catalog = dir.Write("catalog.jsonl", "{\"id\": \"1\"}\n");

        var (code, _, stderr) = Run(new EvalCommand(), "--catalog", catalog, "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--ranker", ranker, "--report", dir.File("r.html"), "--run-out", dir.File("r.run"));

        Assert.Equal(2, code);
        Assert.Contains("eval: " + message, stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain(catalog, stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}

public sealed partial class EvalCliTests
{
    [Theory]
    [InlineData("--synonyms", "手机,电话\na => b => c\n", ":2: bad synonym rule: more than one explicit mapping specified on the same line")]
    [InlineData("--user-dict", "手机 10\n\uFFFD坏 5\n", ":2: bad word")]
    public void Index_refuses_a_bad_analyzer_file_by_file_and_line_and_leaves_no_index_folder(string option, string content, string message)
    {
        using var dir = new TempDir();
        var file = dir.Write("analysis.txt", content);
        var index = dir.File("index");

        var (code, _, stderr) = Run(new IndexCommand(), "--catalog", _shop.File("catalog.jsonl"), option, file, "--index", index);

        Assert.Equal(2, code);
        Assert.Contains(file + message, stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.False(Directory.Exists(index));
    }
}

public sealed partial class EvalCliTests
{
    [Fact]
    public void Search_names_a_query_log_prior_taken_from_beside_the_models_folder()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(new BuildPriorCommand(), "--catalog", _shop.File("catalog.jsonl"), "--query-log", dir.Write("log.tsv", "1\t连衣裙\n2\t手机壳\n3\t耳机\n"),
            "--exclude-queries", dir.Write("none.tsv", "q\t不在日志里的查询\n"), "--models", dir.File("built"));
        Assert.True(code == 0, stderr);
        var prior = Directory.GetFiles(dir.File("built")).Single(f => f.EndsWith(".tsv", StringComparison.Ordinal));
        (code, _, stderr) = Run(new TrainRankerCommand(), "--catalog", _shop.File("catalog.jsonl"), "--queries", _shop.File("queries.tsv"), "--qrels", _shop.File("qrels.tsv"),
            "--prior", prior, "--folds", "0", "--trees", "20", "--models", dir.File("exp"), "--save-index", dir.File("index"));
        Assert.True(code == 0, stderr);
        // In the folder itself: nothing to say.
        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("exp"), "连衣裙");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("prior:", stderr, StringComparison.Ordinal);

        // Beside it (another experiment's prior, as docs/ranking.md's lookup allows): named.
        var name = Path.GetFileName(prior);
        Directory.CreateDirectory(dir.File("prior"));
        File.Move(Path.Combine(dir.File("exp"), name), Path.Combine(dir.File("prior"), name));
        (code, _, stderr) = Run(new SearchCommand(), "--index", dir.File("index"), "--models", dir.File("exp"), "连衣裙");

        Assert.True(code == 0, stderr);
        Assert.Contains($"prior: {Path.Combine(dir.File("prior"), name)} (found from --models {dir.File("exp")})", stderr.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
