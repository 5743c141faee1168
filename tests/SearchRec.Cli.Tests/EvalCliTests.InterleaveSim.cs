using System.Text;
using SearchRec.Cli.Commands;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Cli.Tests;

public sealed partial class EvalCliTests
{
    // Ten queries with one relevant item each: run A shows it fifth, run B first.
    private static (string A, string B, string Qrels) InterleaveRuns(TempDir dir)
    {
        var (a, b, qrels) = (new StringBuilder(), new StringBuilder(), new StringBuilder());
        for (var q = 1; q <= 10; q++)
        {
            qrels.Append($"{q} 0 rel{q} 1\n");
            string[] others = [.. Enumerable.Range(1, 9).Select(i => $"d{q}-{i}")];
            string[] listA = [.. others[..4], $"rel{q}", .. others[4..]];
            string[] listB = [$"rel{q}", .. others];
            for (var i = 0; i < 10; i++)
            {
                a.Append($"{q} Q0 {listA[i]} {i + 1} {10 - i} a\n");
                b.Append($"{q} Q0 {listB[i]} {i + 1} {10 - i} b\n");
            }
        }
        return (dir.Write("a.run", a.ToString()), dir.Write("b.run", b.ToString()), dir.Write("qrels.tsv", qrels.ToString()));
    }

    [Fact]
    public void Interleave_sim_prints_the_grid_with_both_tests_and_writes_a_report_picking_the_better_run()
    {
        using var dir = new TempDir();
        var (a, b, qrels) = InterleaveRuns(dir);
        var (code, stdout, stderr) = Run(new InterleaveSimCommand(), a, b, "--qrels", qrels, "--impressions", "500", "--trials", "50",
            "--click-model", "cascade", "--report", dir.File("sim/report.html"));

        Assert.True(code == 0, stderr);
        Assert.Contains("offline nDCG@10 over 10 queries: A 0.3869 (a.run), B 1.0000 (b.run), B − A +0.6131: B should win", stdout, StringComparison.Ordinal);
        Assert.Contains("cascade model", stdout, StringComparison.Ordinal);
        Assert.Contains("interleaving right", stdout, StringComparison.Ordinal);
        Assert.Matches(@"impressions until most trials are significant on the offline side: interleaving \d+, A/B split", stdout);
        var html = File.ReadAllText(dir.File("sim/report.html"));
        Assert.Contains($"A: {a}; B: {b}; qrels: {qrels}.", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>500</td>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--k", "0", "interleave-sim: --k must be between 1 and 100 (was 0).")]
    [InlineData("--impressions", "5", "interleave-sim: --impressions must be between 10 and 10,000,000 (was 5).")]
    [InlineData("--trials", "0", "interleave-sim: --trials must be between 1 and 100,000 (was 0).")]
    [InlineData("--click-model", "dbn", "interleave-sim: --click-model must be pbm or cascade (was 'dbn')")]
    [InlineData("--ab-metric", "ctr", "interleave-sim: --ab-metric must be clicks or rr (was 'ctr')")]
    public void Interleave_sim_refuses_a_bad_option_naming_it_before_reading_the_runs(string option, string value, string message)
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(new InterleaveSimCommand(), dir.File("missing-a.run"), dir.File("missing-b.run"), "--qrels", dir.File("missing.qrels"), option, value);

        Assert.Equal(2, code);
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public void Interleave_sim_names_the_file_and_line_of_a_run_line_it_cannot_read()
    {
        using var dir = new TempDir();
        var (a, _, qrels) = InterleaveRuns(dir);
        var bad = dir.Write("bad.run", "1 Q0 rel1 1 2.5 b\n1 Q0 d1-1 2 1.5\n");
        var (code, _, stderr) = Run(new InterleaveSimCommand(), a, bad, "--qrels", qrels);

        Assert.Equal(2, code);
        Assert.Contains($"{bad}:2", stderr, StringComparison.Ordinal);
        Assert.Contains("expected 6 fields", stderr, StringComparison.Ordinal);
    }
}
