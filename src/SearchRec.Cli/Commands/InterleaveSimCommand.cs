using System.CommandLine;
using System.Globalization;
using SearchRec.Core.Judgments;
using SearchRec.Evaluation.Interleaving;
using SearchRec.Evaluation.Reports;
using SearchRec.Evaluation.Trec;
using Spectre.Console;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec interleave-sim RUN_A RUN_B --qrels FILE</c>: how many simulated shoppers interleaving and an A/B split
/// need to tell two runs apart (<see cref="ClickSimulation"/>).
/// </summary>
public sealed class InterleaveSimCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var defaults = new ClickSimulationOptions();
        var runA = new Argument<string>("RUN_A") { Description = "TREC run of ranker A (the control)." };
        var runB = new Argument<string>("RUN_B") { Description = "TREC run of ranker B (the challenger)." };
        var qrels = new Option<string>("--qrels") { Description = "TREC qrels 'qid 0 docid grade': the queries the shoppers issue (those with a document graded above 0) and the grades their clicks follow.", Required = true };
        var k = new Option<int>("--k") { Description = "Results shown per impression, and the nDCG cut-off.", DefaultValueFactory = _ => defaults.K };
        var impressions = new Option<int>("--impressions") { Description = "Impressions per trial: the largest sample measured (grid 10, 20, 50, 100, … up to it).", DefaultValueFactory = _ => defaults.Impressions };
        var clickModel = new Option<string>("--click-model") { Description = "pbm (position-based: rank r examined with probability 1/r) or cascade (top-down, stop after a click).", DefaultValueFactory = _ => "pbm" };
        var abMetric = new Option<string>("--ab-metric") { Description = "What the A/B split compares per impression: clicks (clicks per impression) or rr (reciprocal rank of the first click, 0 without one).", DefaultValueFactory = _ => "clicks" };
        var trials = new Option<int>("--trials") { Description = "Simulated experiments per sample size.", DefaultValueFactory = _ => defaults.Trials };
        var seed = new Option<int>("--seed") { Description = "Seed: the same inputs and seed give the same figures.", DefaultValueFactory = _ => defaults.Seed };
        var report = new Option<string?>("--report") { Description = "HTML page to write: the table and a chart of both curves." };
        var cmd = new Command("interleave-sim", "Simulate shoppers clicking two rankers' results: how many impressions team-draft interleaving and an A/B split need to pick the better one (the one with the higher offline nDCG).");
        cmd.Arguments.Add(runA);
        cmd.Arguments.Add(runB);
        foreach (var o in new Option[] { qrels, k, impressions, clickModel, abMetric, trials, seed, report }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            ClickSimulationOptions options;
            try
            {
                options = new ClickSimulationOptions
                {
                    K = pr.GetValue(k),
                    Impressions = pr.GetValue(impressions),
                    Trials = pr.GetValue(trials),
                    Seed = pr.GetValue(seed),
                    ClickModel = ParseClickModel(pr.GetValue(clickModel)!),
                    AbMetric = ParseAbMetric(pr.GetValue(abMetric)!),
                };
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"interleave-sim: {CliErrors.Message(e, nameof(ClickSimulationOptions), p => p switch
                {
                    nameof(ClickSimulationOptions.K) => "--k",
                    nameof(ClickSimulationOptions.Impressions) => "--impressions",
                    nameof(ClickSimulationOptions.Trials) => "--trials",
                    _ => null,
                })}");
                return Task.FromResult(2);
            }
            try
            {
                if (pr.GetValue(report) is { } reportPath) OutputFiles.Check(reportPath, "--report");
                var (pathA, pathB, qrelsPath) = (pr.GetValue(runA)!, pr.GetValue(runB)!, pr.GetValue(qrels)!);
                var a = TrecFiles.ReadRun(pathA);
                var b = TrecFiles.ReadRun(pathB);
                var judgments = TrecFiles.ReadQrels(qrelsPath, CliErrors.Note);
                CompareCommand.CheckCoverage(judgments, qrelsPath, (pathA, a), (pathB, b));
                var result = Simulate(a, b, judgments, options, ct);
                Print(result, pathA, pathB);
                if (pr.GetValue(report) is { } path)
                {
                    var full = Path.GetFullPath(path);
                    InterleavingSimulationReport.Write(full,
                        [$"A: {pathA}; B: {pathB}; qrels: {qrelsPath}.", $"Generated {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)} by searchrec interleave-sim."],
                        result);
                    Console.Error.WriteLine($"report: {full}");
                }
                return Task.FromResult(0);
            }
            catch (Exception e) when (e is JudgmentFormatException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"interleave-sim: {CliErrors.Message(e)}");
                return Task.FromResult(2);
            }
        });
        return cmd;
    }

    internal static ClickModelKind ParseClickModel(string value) => value.Trim().ToLowerInvariant() switch
    {
        "pbm" or "position-based" => ClickModelKind.PositionBased,
        "cascade" => ClickModelKind.Cascade,
        _ => throw new ArgumentException($"--click-model must be pbm or cascade (was '{value}')"),
    };

    internal static AbSplitMetric ParseAbMetric(string value) => value.Trim().ToLowerInvariant() switch
    {
        "clicks" => AbSplitMetric.ClicksPerImpression,
        "rr" => AbSplitMetric.FirstClickReciprocalRank,
        _ => throw new ArgumentException($"--ab-metric must be clicks or rr (was '{value}')"),
    };

    private static ClickSimulationResult Simulate(TrecRun a, TrecRun b, Qrels judgments, ClickSimulationOptions options, CancellationToken ct)
    {
        ClickSimulationResult result = null!;
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        err.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{options.Trials:N0} trials × {options.Impressions:N0} impressions", maxValue: options.Trials);
                result = ClickSimulation.Run(a, b, judgments, options, new SyncProgress<int>(n => task.Value = Math.Max(task.Value, n)), ct);
            });
        return result;
    }

    private static void Print(ClickSimulationResult r, string pathA, string pathB)
    {
        var o = r.Options;
        var console = Consoles.Out();
        console.WriteLine(InterleavingSimulationReport.Describe(r));
        var verdict = r.OfflineSide switch { 1 => "B should win", -1 => "A should win", _ => "a tie, so every significant result is a false alarm" };
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"offline nDCG@{o.K} over {r.Queries:N0} queries: A {r.NdcgA:F4} ({Path.GetFileName(pathA)}), B {r.NdcgB:F4} ({Path.GetFileName(pathB)}), B − A {r.NdcgB - r.NdcgA:+0.0000;-0.0000;0.0000}: {verdict}"));
        var table = new Table().Border(TableBorder.Rounded).Title($"share of the {o.Trials:N0} trials");
        table.AddColumn(new TableColumn("impressions").RightAligned());
        foreach (var name in new[] { "interleaving right", "wrong", "leans wrong", "A/B right", "wrong", "leans wrong" })
            table.AddColumn(new TableColumn(name).RightAligned());
        foreach (var p in r.Points)
        {
            var cells = new List<string> { p.Impressions.ToString("N0", CultureInfo.InvariantCulture) };
            foreach (var s in new[] { p.Interleaving, p.AbSplit })
                cells.AddRange([s.SignificantRight > 0.5 ? $"[bold green]{Percent(s.SignificantRight)}[/]" : Percent(s.SignificantRight), Percent(s.SignificantWrong), Percent(s.LeansWrong)]);
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"right: p < {ClickSimulation.Alpha} on the side of the offline nDCG; wrong: p < {ClickSimulation.Alpha} on the other side; leans wrong: the estimate on the other side, whatever its p"));
        console.WriteLine("impressions until most trials are significant on the offline side: interleaving "
            + Needed(r.InterleavingImpressionsNeeded) + ", A/B split " + Needed(r.AbSplitImpressionsNeeded));
    }

    private static string Percent(double share) => double.IsNaN(share) ? "–" : (100 * share).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Needed(int? n) => n is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "not reached on the grid";
}
