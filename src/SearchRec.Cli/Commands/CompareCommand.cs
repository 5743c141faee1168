using SearchRec.Core.Judgments;
using SearchRec.Core.Statistics;
using SearchRec.Evaluation.Statistics;
using SearchRec.Evaluation.Trec;
using Spectre.Console;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec compare RUN_A RUN_B --qrels FILE</c>: two runs side by side with deltas and paired p-values.</summary>
public sealed class CompareCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var runA = new Argument<string>("RUN_A") { Description = "The baseline TREC run file." };
        var runB = new Argument<string>("RUN_B") { Description = "The run compared with it." };
        var qrels = new Option<string>("--qrels") { Description = "TREC qrels 'qid 0 docid grade'.", Required = true };
        var permutations = new Option<int>("--permutations") { Description = "Permutations of the paired randomization test.", DefaultValueFactory = _ => SignificanceTests.DefaultPermutations };
        var seed = new Option<int>("--seed") { Description = "Seed of the permutation test.", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "End the output with one JSON object." };
        var report = new Option<string>("--report") { Description = "HTML report to write: both runs side by side with intervals, p-values, B − A per metric, charts and per-query wins and losses.", DefaultValueFactory = _ => "out/compare-report.html" };
        var cmd = new Command("compare", "Compare two TREC runs on qrels: both side by side, per-metric deltas, paired randomization test p-values.");
        cmd.Arguments.Add(runA);
        cmd.Arguments.Add(runB);
        foreach (var o in new Option[] { qrels, permutations, seed, json, report }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                if (pr.GetValue(permutations) is < 100 or > 1_000_000) throw new ArgumentException($"--permutations must be between 100 and 1,000,000 (was {pr.GetValue(permutations)})");
                OutputFiles.Check(pr.GetValue(report)!, "--report");
                var a = TrecFiles.ReadRun(pr.GetValue(runA)!);
                var b = TrecFiles.ReadRun(pr.GetValue(runB)!);
                var judgments = TrecFiles.ReadQrels(pr.GetValue(qrels)!, CliErrors.Note);
                CheckCoverage(judgments, pr.GetValue(qrels)!, (pr.GetValue(runA)!, a), (pr.GetValue(runB)!, b));
                var c = RunComparison.Compare(a, b, judgments, pr.GetValue(permutations), pr.GetValue(seed));
                if (c.Queries == 0) throw new ArgumentException($"{pr.GetValue(qrels)} has no query with a relevant document");
                Print(c, pr.GetValue(runA)!, pr.GetValue(runB)!);
                var reportPath = Path.GetFullPath(pr.GetValue(report)!);
                SearchRec.Evaluation.Reports.EvalReport.Write(RunComparison.AsOutcome(a, b, judgments, pr.GetValue(permutations), pr.GetValue(seed)), reportPath,
                    new SearchRec.Evaluation.Reports.EvalReportInfo("", pr.GetValue(qrels)!, "")
                    {
                        Source = $"Run A (the reference of the p-values and wins): {pr.GetValue(runA)}; run B: {pr.GetValue(runB)}.",
                    });
                Console.Error.WriteLine($"report: {reportPath}");
                if (pr.GetValue(json)) Console.WriteLine(ToJson(c, a.Name, b.Name));
                return 0;
            }
            catch (Exception e) when (e is JudgmentFormatException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"compare: {CliErrors.Message(e)}");
                return 2;
            }
        });
        return cmd;
    }

    /// <summary>
    /// Refuses qrels with no relevant document, a run with no line, or a run with none of the judged queries (ids from
    /// another collection); names the judged queries a run lacks, which count as 0 for it, so a partial run is not read
    /// as a worse one.
    /// </summary>
    internal static void CheckCoverage(Qrels judgments, string qrelsPath, params (string Path, TrecRun Run)[] runs)
    {
        var judged = judgments.QueryIds.Where(judgments.HasRelevant).ToHashSet(StringComparer.Ordinal);
        if (judged.Count == 0) throw new ArgumentException($"{qrelsPath} has no document graded above 0, so there is nothing to compare");
        foreach (var (path, run) in runs)
        {
            if (run.QueryIds.Count == 0) throw new ArgumentException($"{path} holds no run line ('qid Q0 docid rank score tag').");
            var held = run.QueryIds.Count(judged.Contains);
            if (held == 0)
                throw new ArgumentException($"none of the {judged.Count:N0} judged queries of {qrelsPath} is in {path} (its first query id is '{run.QueryIds[0]}'): do the query ids match?");
            if (held < judged.Count)
                Console.Error.WriteLine($"note: {path} has no results for {judged.Count - held:N0} of the {judged.Count:N0} judged queries; they count as 0 for it.");
        }
    }

    private static void Print(RunComparison c, string a, string b)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"{c.Queries} judged queries; p = paired randomization test");
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("A: " + Markup.Escape(Path.GetFileName(a))).RightAligned());
        table.AddColumn(new TableColumn("B: " + Markup.Escape(Path.GetFileName(b))).RightAligned());
        table.AddColumn(new TableColumn("B − A").RightAligned());
        table.AddColumn(new TableColumn("p").RightAligned());
        table.AddColumn(new TableColumn("wins/losses").RightAligned());
        foreach (var m in c.Metrics)
        {
            var delta = m.Delta.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
            table.AddRow(m.Metric, m.MeanA.ToString("F4", CultureInfo.InvariantCulture), m.MeanB.ToString("F4", CultureInfo.InvariantCulture),
                m.Delta > 0 ? $"[green]{delta}[/]" : m.Delta < 0 ? $"[red]{delta}[/]" : delta,
                m.PValue < 0.05 ? $"[bold]{m.PValue.ToString("F4", CultureInfo.InvariantCulture)}[/]" : m.PValue.ToString("F4", CultureInfo.InvariantCulture),
                $"{m.Wins}/{m.Losses}");
        }
        Consoles.Out().Write(table);
    }

    internal static string ToJson(RunComparison c, string a, string b)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("a", a);
            w.WriteString("b", b);
            w.WriteNumber("queries", c.Queries);
            w.WriteStartObject("metrics");
            foreach (var m in c.Metrics)
            {
                w.WriteStartObject(m.Metric);
                w.WriteNumber("a", Math.Round(m.MeanA, 6));
                w.WriteNumber("b", Math.Round(m.MeanB, 6));
                w.WriteNumber("delta", Math.Round(m.Delta, 6));
                w.WriteNumber("p", Math.Round(m.PValue, 6));
                w.WriteNumber("wins", m.Wins);
                w.WriteNumber("losses", m.Losses);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
