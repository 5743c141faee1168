using System.CommandLine;
using System.Diagnostics;
using SearchRec.Synthetic;
using Spectre.Console;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec generate</c>: writes a synthetic shop (catalog, events, queries, qrels, tastes).</summary>
public sealed class GenerateCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var products = new Option<int>("--products") { Description = "Number of products (100 to 10,000,000).", DefaultValueFactory = _ => 10_000 };
        var users = new Option<int>("--users") { Description = "Number of users.", DefaultValueFactory = _ => 1_000 };
        var sessions = new Option<int>("--sessions") { Description = "Average sessions per user.", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives byte-identical files.", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "Output directory.", DefaultValueFactory = _ => "out/shop" };
        var cmd = new Command("generate", "Generate a synthetic Chinese shop: catalog.jsonl, events.csv, queries.tsv, qrels.tsv, queries-users.tsv, users.jsonl.");
        cmd.Options.Add(products);
        cmd.Options.Add(users);
        cmd.Options.Add(sessions);
        cmd.Options.Add(seed);
        cmd.Options.Add(output);
        cmd.SetAction((pr, ct) =>
        {
            var options = new ShopOptions
            {
                Products = pr.GetValue(products),
                Users = pr.GetValue(users),
                SessionsPerUser = pr.GetValue(sessions),
                Seed = pr.GetValue(seed),
            };
            ShopGenerator generator;
            try { generator = new ShopGenerator(options); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"generate: {CliErrors.Message(e, nameof(ShopOptions), p => p switch
                {
                    nameof(ShopOptions.Products) => "--products",
                    nameof(ShopOptions.Users) => "--users",
                    nameof(ShopOptions.SessionsPerUser) => "--sessions",
                    _ => null,
                })}");
                return Task.FromResult(2);
            }
            var dir = pr.GetValue(output)!;
            if (OutputFiles.FolderProblem(dir, "--out") is { } problem)
            {
                Console.Error.WriteLine($"generate: {problem}");
                return Task.FromResult(2);
            }
            var watch = Stopwatch.StartNew();
            var files = Run(generator, dir, ct);
            Console.WriteLine($"wrote {files.ProductCount:N0} products, {files.EventCount:N0} events, {files.QueryCount:N0} queries to {Path.GetFullPath(dir)} in {watch.Elapsed.TotalSeconds:F1} s");
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>Writes the shop with a progress display on stderr.</summary>
    internal static ShopFiles Run(ShopGenerator generator, string dir, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        ShopFiles? files = null;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new SyncProgress<ShopProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var task))
                        tasks[p.Stage] = task = ctx.AddTask(p.Stage, maxValue: Math.Max(1, p.Total));
                    task.Value = p.Done;
                });
                files = generator.Write(dir, progress, ct);
            });
        return files!;
    }
}

/// <summary>
/// An <see cref="IProgress{T}"/> that reports on the calling thread, one report at a time: Progress&lt;T&gt; posts to the
/// thread pool, which prints lines late, out of order and after the command's own summary.
/// </summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _lock = new();

    public void Report(T value)
    {
        lock (_lock) report(value);
    }
}

/// <summary>Consoles for the evaluation commands' tables.</summary>
internal static class Consoles
{
    /// <summary>A console on stdout; 160 columns wide when stdout is redirected, so tables do not wrap in files and pipes.</summary>
    public static IAnsiConsole Out()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected) console.Profile.Width = 160;
        return console;
    }
}
