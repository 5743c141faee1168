using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Core.Judgments;
using SearchRec.Core;
using SearchRec.Evaluation;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Reports;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using SearchRec.Synthetic;
using Spectre.Console;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Server;
using SearchRec.Server.Adapters;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// One step of <c>searchrec demo</c>. Every non-abstract implementation in the CLI assembly with a public
/// parameterless constructor runs, in <see cref="Order"/>; so a stage adds a step (train, serve) by adding one class.
/// </summary>
public interface IDemoStep
{
    /// <summary>Where the step runs: built-ins use 10 (generate), 20 (index), 30 (search), 40 (evaluate).</summary>
    double Order { get; }

    /// <summary>The step's title in the progress display.</summary>
    string Title { get; }

    /// <summary>Does the work, reporting progress from 0 to 1. Output belongs in <see cref="Show"/>.</summary>
    void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken);

    /// <summary>Prints what the step found, after its progress display has closed.</summary>
    void Show(DemoContext context) { }
}

/// <summary>What demo steps share: options, paths, the console and what earlier steps produced.</summary>
public sealed class DemoContext
{
    internal DemoContext(int products, string outDirectory, string indexDirectory, IAnsiConsole console)
    {
        Products = products;
        OutDirectory = outDirectory;
        IndexDirectory = indexDirectory;
        Console = console;
    }

    /// <summary>Products in the synthetic shop.</summary>
    public int Products { get; }

    /// <summary>Where the demo writes its files (the shop is in <c>shop/</c> under it).</summary>
    public string OutDirectory { get; }

    /// <summary>Where the demo's index is built.</summary>
    public string IndexDirectory { get; }

    /// <summary>The console steps print to.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>The generated shop's files (set by the generate step).</summary>
    public ShopFiles? Shop { get; set; }

    /// <summary>The shop's generator (set by the generate step).</summary>
    public ShopGenerator? Generator { get; set; }

    /// <summary>The built index (set by the index step; disposed when the demo ends).</summary>
    public ProductIndex? Index { get; set; }

    /// <summary>Anything else a step wants to hand to later steps.</summary>
    public Dictionary<string, object> Items { get; } = new(StringComparer.Ordinal);
}

/// <summary><c>searchrec demo</c>: generates a shop, indexes it, answers searches and evaluates BM25 on it, step by step.</summary>
public sealed class DemoCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var products = new Option<int>("--products") { Description = "Products in the synthetic shop.", DefaultValueFactory = _ => 20_000 };
        var output = new Option<string>("--out") { Description = "Output directory.", DefaultValueFactory = _ => "out/demo" };
        var index = new Option<string>("--index") { Description = "Index directory.", DefaultValueFactory = _ => "index-data/demo" };
        var urls = new Option<string>("--urls") { Description = "Where the service listens at the end, as ASP.NET does.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var noServe = new Option<bool>("--no-serve") { Description = "Stop after training instead of starting the service." };
        var cmd = new Command("demo", "A guided tour: generate a synthetic shop, index it, search it, evaluate BM25, train the collaborative, deep and LambdaMART models, then serve it all with a web page.");
        cmd.Options.Add(products);
        cmd.Options.Add(output);
        cmd.Options.Add(index);
        cmd.Options.Add(urls);
        cmd.Options.Add(noServe);
        cmd.SetAction((pr, ct) =>
        {
            var n = pr.GetValue(products);
            if (n is < 100 or > 10_000_000)
            {
                Console.Error.WriteLine($"demo: --products must be between 100 and 10,000,000 (was {n})");
                return Task.FromResult(2);
            }
            // Said before the steps, not after a minute of training.
            if (!pr.GetValue(noServe) && SearchRecServer.AddressInUse(pr.GetValue(urls)!) is { } busy)
            {
                Console.Error.WriteLine($"demo: {ServeCommand.BusyMessage(busy)}");
                return Task.FromResult(2);
            }
            var context = new DemoContext(n, pr.GetValue(output)!, pr.GetValue(index)!, AnsiConsole.Console);
            context.Items[DemoPaths.Urls] = pr.GetValue(urls)!;
            if (pr.GetValue(noServe)) context.Items[DemoPaths.NoServe] = true;
            return Task.FromResult(Run(context, ct));
        });
        return cmd;
    }

    /// <summary>The steps found in the CLI assembly, in order.</summary>
    public static IReadOnlyList<IDemoStep> Steps() =>
        [.. typeof(DemoCommand).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && typeof(IDemoStep).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IDemoStep)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Order).ThenBy(s => s.Title, StringComparer.Ordinal)];

    internal static int Run(DemoContext context, CancellationToken ct)
    {
        var console = context.Console;
        try
        {
            foreach (var step in Steps())
            {
                // --no-serve: no service step to tick off, only the command that would start it.
                if (step is ServeStep && context.Items.ContainsKey(DemoPaths.NoServe))
                {
                    step.Show(context);
                    continue;
                }
                var watch = Stopwatch.StartNew();
                console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask(Markup.Escape(step.Title), maxValue: 1);
                        step.Run(context, new SyncProgress<double>(v => task.Value = Math.Clamp(v, 0, 1)), ct);
                        task.Value = 1;
                    });
                console.MarkupLineInterpolated($"[green]✓[/] {step.Title} [grey]({watch.Elapsed.TotalSeconds:F1} s)[/]");
                step.Show(context);
            }
            return 0;
        }
        finally
        {
            context.Index?.Dispose();
        }
    }
}

/// <summary>Demo step 10: writes a synthetic shop.</summary>
internal sealed class GenerateShopStep : IDemoStep
{
    public double Order => 10;

    public string Title => "Generate a synthetic shop";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var users = Math.Clamp(context.Products / 20, 50, 20_000);
        context.Generator = new ShopGenerator(new ShopOptions { Products = context.Products, Users = users, Seed = 42 });
        context.Shop = context.Generator.Write(Path.Combine(context.OutDirectory, "shop"),
            new SyncProgress<ShopProgress>(p => progress.Report((p.Stage == "catalog" ? 0 : 0.8) + (p.Stage == "catalog" ? 0.8 : 0.2) * p.Done / Math.Max(1, p.Total))),
            cancellationToken);
    }

    public void Show(DemoContext context)
    {
        var s = context.Shop!;
        context.Console.MarkupLineInterpolated($"  {s.ProductCount:N0} products, {s.EventCount:N0} events, {s.QueryCount:N0} judged queries in [blue]{Path.GetFullPath(Path.GetDirectoryName(s.Catalog)!)}[/]");
        foreach (var p in context.Generator!.Products().Take(3))
            context.Console.MarkupLineInterpolated($"  [grey]{p.Id}[/] {p.Title} [grey]¥{p.Price:0.##} {p.CategoryPath}[/]");
    }
}

/// <summary>Demo step 20: indexes the shop's catalog on disk.</summary>
internal sealed class IndexShopStep : IDemoStep
{
    public double Order => 20;

    public string Title => "Index the catalog";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var total = Math.Max(1, context.Products);
        context.Index = ProductIndex.Build(context.Generator!.Products(), new IndexOptions(), context.IndexDirectory,
            new SyncProgress<long>(n => progress.Report((double)n / total)));
    }

    public void Show(DemoContext context) =>
        context.Console.MarkupLineInterpolated($"  {context.Index!.Count:N0} products indexed in [blue]{Path.GetFullPath(context.IndexDirectory)}[/]");
}

/// <summary>Demo step 30: answers a few searches and prints the top results.</summary>
internal sealed class SearchShopStep : IDemoStep
{
    private static readonly string[] Queries = ["连衣裙", "华为 手机", "spf50 防晒霜", "空气炸锅 家用", "耐克跑步鞋"];
    private readonly List<(string Query, IReadOnlyList<RecallCandidate> Hits, double Ms)> _results = [];

    public double Order => 30;

    public string Title => "Search";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        for (var i = 0; i < Queries.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            var hits = context.Index!.Recall(new RecallRequest(Queries[i]) { TopN = 5 });
            _results.Add((Queries[i], hits, watch.Elapsed.TotalMilliseconds));
            progress.Report((i + 1.0) / Queries.Length);
        }
    }

    public void Show(DemoContext context)
    {
        foreach (var (query, hits, ms) in _results)
        {
            var table = new Table().Border(TableBorder.Simple).Title($"[bold]{Markup.Escape(query)}[/] [grey]({ms:F1} ms)[/]");
            table.AddColumn("#");
            table.AddColumn("id");
            table.AddColumn("title");
            table.AddColumn(new TableColumn("price").RightAligned());
            table.AddColumn(new TableColumn("BM25").RightAligned());
            foreach (var h in hits)
            {
                var p = context.Index!.GetProduct(h.ProductId);
                table.AddRow((h.Rank + 1).ToString(CultureInfo.InvariantCulture), h.ProductId, Markup.Escape(p?.Title ?? "?"),
                    p?.Price is { } price ? price.ToString("0.##", CultureInfo.InvariantCulture) : "", h.Score.ToString("F2", CultureInfo.InvariantCulture));
            }
            context.Console.Write(table);
        }
    }
}

/// <summary>Demo step 40: evaluates the BM25 rankers on the shop's judged queries and writes a report.</summary>
internal sealed class EvaluateShopStep : IDemoStep
{
    private const int MaxQueries = 1_000;
    private EvalOutcome? _outcome;
    private string? _report;

    public double Order => 40;

    public string Title => "Evaluate BM25 on the shop's queries";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var shop = context.Shop!;
        var queries = TrecFiles.WithUsers([.. TrecFiles.ReadQueries(shop.Queries).Take(MaxQueries)], shop.QueryUsers);
        var evalContext = new EvalContext(context.Index!, [.. context.Generator!.Products()], queries, TrecFiles.ReadQrels(shop.Qrels)) { Seed = 42 };
        var registry = EvalRankerRegistry.CreateWithBuiltIns();
        var names = registry.Names;
        var done = 0;
        _outcome = EvalRunner.Run(registry, evalContext, names, new EvalRunOptions { Depth = 100, Permutations = 2_000 },
            new SyncProgress<EvalProgress>(p =>
            {
                if (p.Done == p.Total && p.Total > 0) done++;
                progress.Report((done + (double)p.Done / Math.Max(1, p.Total)) / (names.Count + 1));
            }), cancellationToken);
        _report = Path.GetFullPath(Path.Combine(context.OutDirectory, "eval-report.html"));
        EvalReport.Write(_outcome, _report, new EvalReportInfo(shop.Queries, shop.Qrels, shop.Catalog));
    }

    public void Show(DemoContext context)
    {
        var table = new Table().Border(TableBorder.Simple).Title($"{_outcome!.QueryIds.Count} judged queries (a user's purchase is grade 2)");
        table.AddColumn("ranker");
        foreach (var m in RunMetrics.Names) table.AddColumn(new TableColumn(m).RightAligned());
        foreach (var r in _outcome.Rankers)
            table.AddRow([r.Name, .. RunMetrics.Names.Select(m => r.Metrics.Mean(m).ToString("F4", CultureInfo.InvariantCulture))]);
        context.Console.Write(table);
        context.Console.MarkupLineInterpolated($"  report: [blue]{_report}[/]");
        context.Console.MarkupLine("  [grey]BM25 cannot tell which dress or phone this user will buy: that is the personalised rankers' job.[/]");
    }
}

/// <summary>Demo step 50: stores the shop's events in the SQLite event store the service appends to.</summary>
internal sealed class StoreEventsStep : IDemoStep
{
    private EventImportReport? _report;

    public double Order => 50;

    public string Title => "Store the shop's events";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var path = Path.Combine(context.OutDirectory, "events.db");
        context.Items[DemoPaths.Events] = path;
        var total = Math.Max(1, context.Shop!.EventCount);
        using var store = new SqliteEventStore(path);
        _report = store.Import(context.Shop.Events, new SyncProgress<long>(n => progress.Report((double)n / total)));
    }

    public void Show(DemoContext context) =>
        context.Console.MarkupLineInterpolated($"  {_report!.Inserted:N0} new events ({_report.Duplicates:N0} already stored) in [blue]{Path.GetFullPath((string)context.Items[DemoPaths.Events])}[/]");
}

/// <summary>Demo step 55: trains the collaborative models (popularity, repeat, item-item, ALS, category) from the store.</summary>
internal sealed class TrainCollabStep : IDemoStep
{
    private CollabModels? _models;

    public double Order => 55;

    public string Title => "Train the collaborative models";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(context.OutDirectory, "collab");
        context.Items[DemoPaths.Collab] = dir;
        using (var store = new SqliteEventStore((string)context.Items[DemoPaths.Events]))
            _models = CollabModels.Train(store.ReadAll(), new CollabOptions(), new SyncProgress<TrainProgress>(p => progress.Report(p.Fraction)));
        _models.Save(dir);
    }

    public void Show(DemoContext context)
    {
        var c = _models!.Card;
        context.Console.MarkupLineInterpolated($"  {c.Events:N0} events, {c.Users:N0} users, {c.Items:N0} items → {string.Join(", ", CollabModels.ScorerNames)} in [blue]{Path.GetFullPath((string)context.Items[DemoPaths.Collab])}[/]");
    }
}

/// <summary>Demo step 60: trains the deep text two-tower model, exports it to ONNX and stores the item vectors.</summary>
internal sealed class TrainDeepStep : IDemoStep
{
    private DeepTrainingReport? _report;

    public double Order => 60;

    public string Title => "Train the deep two-tower model (ONNX)";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(context.OutDirectory, "deep");
        context.Items[DemoPaths.Deep] = dir;
        var products = context.Generator!.Products().ToList();
        var options = new DeepTrainingOptions { TextEpochs = 2, Seed = 42 };
        int epoch = 0;
        progress.Report(0.05);
        _report = DeepTraining.TrainText(products, [], dir, options, new ChineseTokenizer(), m =>
        {
            if (m.Contains("epoch", StringComparison.OrdinalIgnoreCase)) progress.Report(Math.Min(0.95, 0.1 + 0.8 * ++epoch / options.TextEpochs));
        });
    }

    public void Show(DemoContext context)
    {
        var r = _report!;
        context.Console.MarkupLineInterpolated($"  {r.Examples:N0} query–title pairs, loss {string.Join(" → ", r.EpochLoss.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)))}, towers and item vectors in [blue]{Path.GetFullPath((string)context.Items[DemoPaths.Deep])}[/]");
    }
}

/// <summary>Demo step 70: trains the LambdaMART re-ranker on the shop's judged queries (BM25, text, collaborative and deep features).</summary>
internal sealed class TrainRankerStep : IDemoStep
{
    private const int MaxQueries = 600;
    private RankingDataset? _data;
    private long? _cut;
    private IReadOnlyList<KeyValuePair<string, double>> _importance = [];

    public double Order => 70;

    public string Title => "Train the LambdaMART ranker";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(context.OutDirectory, "ranker");
        context.Items[DemoPaths.Ranker] = dir;
        var shop = context.Shop!;
        using var deep = DeepScorer.Open((string)context.Items[DemoPaths.Deep]);
        List<SearchRec.Core.Events.UserEvent> events;
        using (var store = new SqliteEventStore((string)context.Items[DemoPaths.Events])) events = [.. store.ReadAll()];
        // No leakage: the collaborative features of the training queries come from models trained only on events
        // before the median query time, and only later queries are trained on, so a query's labelled purchase (and
        // anything after it) is never inside the models; personal features read each user's history as of the
        // query's time, and so does item recency. The service later uses the models trained on all events.
        var all = JudgmentFiles.ReadQueries(shop.Queries, JudgmentReader.ReadQueryUsers(shop.QueryUsers));
        _cut = BehaviourCut.Median(all);
        var queries = (_cut is long c ? all.Where(q => q.Timestamp >= c) : all).Take(MaxQueries).ToList();
        var collab = _cut is long cut
            ? CollabModels.Train(BehaviourCut.Split(events, cut).Before, new CollabOptions(), new SyncProgress<TrainProgress>(p => progress.Report(0.2 * p.Fraction)))
            : CollabModels.Load((string)context.Items[DemoPaths.Collab]);
        var extractor = StandardFeatures.ForSearch(new FeatureSources { Collab = collab, Products = context.Index!.GetProduct, DeepText = deep, Activity = ItemActivity.Build(events) });
        _data = SearchTrainingData.Build(context.Index!, new ChineseTokenizer(), extractor, queries, JudgmentReader.ReadQrels(shop.Qrels), 100,
            progress: new SyncProgress<int>(n => progress.Report(0.2 + 0.5 * n / queries.Count)), histories: new UserHistories(events));
        var options = new RankerTrainingOptions { LambdaMart = new LambdaMartOptions { Trees = 100 } }.Validate();
        var (model, importance) = RankerTrainer.Train(_data, options);
        var ranked = importance.Select((v, i) => new KeyValuePair<string, double>(extractor.Schema.Names[i], v))
            .Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ToList();
        _importance = ranked.Take(5).ToList();
        // What it learnt from, as train-ranker's card says it: eval and serve read it (judged queries, window).
        var card = new SearchRec.Ranking.Models.ModelCard { Kind = "lambdamart", Schema = extractor.Schema.ToString(), Features = [.. extractor.Schema.Names], Importance = ranked };
        card.Data["catalog"] = shop.Catalog;
        card.Data["queries"] = $"{shop.Queries} ({_data.Groups.Count} judged, issued after the median query time)";
        card.Data["qrels"] = shop.Qrels;
        card.Data["window"] = "100";
        card.RecordTrainingQueries(TrainRankerCommand.TextsOf(_data));
        card.Data["events"] = _cut is long at
            ? $"{context.Items[DemoPaths.Events]}: collaborative models from the events before {DateTimeOffset.FromUnixTimeSeconds(at):yyyy-MM-dd HH:mm}Z (the median query time)"
            : $"{context.Items[DemoPaths.Events]}: the saved collaborative models (the queries carry no times)";
        card.Options["trees"] = "100";
        RankerStore.Save(model, dir, card);
    }

    public void Show(DemoContext context) =>
        context.Console.MarkupLineInterpolated($"  {_data!.Groups.Count} judged queries{(_cut is long c ? $" after {DateTimeOffset.FromUnixTimeSeconds(c):yyyy-MM-dd HH:mm} (collaborative features from models trained on the events before)" : "")}, {_data.Rows:N0} rows; strongest features: {string.Join(", ", _importance.Select(kv => kv.Key))}");
}

/// <summary>Demo step 90: starts the HTTP service over what the earlier steps built and prints the page's address.</summary>
internal sealed class ServeStep : IDemoStep
{
    private WebApplication? _app;
    private SqliteEventStore? _store;
    private SearchRec.Ranking.Logging.JsonlFeatureLogger? _featureLog;
    private string _featureLogPath = "";
    private string _apiKey = "";
    private CancellationToken _ct;

    public double Order => 90;

    public string Title => "Start the service";

    public void Run(DemoContext context, IProgress<double> progress, CancellationToken cancellationToken)
    {
        _ct = cancellationToken;
        if (context.Items.ContainsKey(DemoPaths.NoServe)) return;
        _apiKey = Environment.GetEnvironmentVariable("SEARCHREC_API_KEY") ?? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        _store = new SqliteEventStore((string)context.Items[DemoPaths.Events]);
        var log = new EventStoreLog(_store);
        var loader = new ShopLoader(new ShopLoaderOptions
        {
            IndexPath = context.IndexDirectory, CollabModelsPath = (string)context.Items[DemoPaths.Collab],
            RankerPath = (string)context.Items[DemoPaths.Ranker], DeepModelsPath = (string)context.Items[DemoPaths.Deep],
            QueriesPath = context.Shop!.Queries,
            // The page's searches and the clicks and purchases it sends back become training data (train-ranker --feature-log).
            FeatureLogger = _featureLog = new SearchRec.Ranking.Logging.JsonlFeatureLogger(_featureLogPath = Path.Combine(context.OutDirectory, "feature-log.jsonl")),
        }, log);
        var options = new ServerOptions
        {
            Urls = context.Items.TryGetValue(DemoPaths.Urls, out var u) ? (string)u : "http://127.0.0.1:5080",
            ApiKey = _apiKey, EventsKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        };
        progress.Report(0.3);
        _app = SearchRecServer.BuildAsync(options, loader, log, Microsoft.Extensions.Logging.LogLevel.Warning, cancellationToken).GetAwaiter().GetResult();
        _app.StartAsync(cancellationToken).GetAwaiter().GetResult();
    }

    public void Show(DemoContext context)
    {
        if (_app is null)
        {
            context.Console.MarkupLine("  [grey]--no-serve: the service was not started; serve what was built with (docs/service.md):[/]");
            // Plain text: paths may hold brackets, which would read as markup.
            context.Console.WriteLine($"  searchrec serve --index {context.IndexDirectory} --collab {context.Items[DemoPaths.Collab]} --events {context.Items[DemoPaths.Events]} "
                + $"--ranker {context.Items[DemoPaths.Ranker]} --deep {context.Items[DemoPaths.Deep]} --feature-log {Path.Combine(context.OutDirectory, "feature-log.jsonl")}");
            return;
        }
        var url = SearchRecServer.Addresses(_app)[0];
        context.Console.MarkupLineInterpolated($"  [bold green]Open {url}/[/] — search, pick a user, click a result for similar items, buy it and watch the results change.");
        context.Console.MarkupLineInterpolated($"  API: {url}/openapi/v1.json · metrics {url}/metrics · admin key (X-Api-Key): [yellow]{_apiKey}[/]");
        context.Console.MarkupLineInterpolated($"  load test: searchrec bench http --url {url} --api-key {_apiKey}");
        context.Console.MarkupLineInterpolated($"  feature log: {_featureLogPath}; after some searches and purchases on the page, learn from them: searchrec train-ranker --feature-log {_featureLogPath} --labels-from-events {_store!.Path} --models DIR");
        context.Console.MarkupLineInterpolated($"  one user's feed from the command line: searchrec recommend --user 1 --events {_store!.Path} --collab {Path.GetFullPath((string)context.Items[DemoPaths.Collab])}");
        // Plain text: the JSON's brackets would read as markup.
        context.Console.WriteLine($"  change the catalog while it serves: curl -X POST {url}/admin/products -H 'X-Api-Key: {_apiKey}' -H 'Content-Type: application/json' -d '{{\"upsert\": [{{\"id\": \"900001\", \"title\": \"新品 碎花连衣裙\", \"category\": \"女装/连衣裙\", \"price\": 99}}]}}'");
        context.Console.MarkupLine("  Ctrl+C stops the service.");
        try { _app.WaitForShutdownAsync(_ct).GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { }
        _app.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store?.Dispose();
        _featureLog?.Dispose();
    }
}

/// <summary>Keys of <see cref="DemoContext.Items"/> the training and serving steps share.</summary>
internal static class DemoPaths
{
    public const string Events = "events.db";
    public const string Collab = "collab";
    public const string Deep = "deep";
    public const string Ranker = "ranker";
    public const string Urls = "urls";
    public const string NoServe = "no-serve";
}
