using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Core;
using SearchRec.Evaluation;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Reports;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using SearchRec.Synthetic;
using Spectre.Console;

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
        var cmd = new Command("demo", "A guided tour: generate a synthetic shop, index it, search it, evaluate BM25 on it.");
        cmd.Options.Add(products);
        cmd.Options.Add(output);
        cmd.Options.Add(index);
        cmd.SetAction((pr, ct) =>
        {
            var n = pr.GetValue(products);
            if (n is < 100 or > 10_000_000)
            {
                Console.Error.WriteLine($"demo: --products must be between 100 and 10,000,000 (was {n})");
                return Task.FromResult(2);
            }
            return Task.FromResult(Run(new DemoContext(n, pr.GetValue(output)!, pr.GetValue(index)!, AnsiConsole.Console), ct));
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
