using SearchRec.Cli.Commands;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Cli.Tests;

// In EvalCliTests' class: the commands write to the console, which one lock guards.
public sealed partial class EvalCliTests
{
    private static readonly DateTimeOffset Shown = new(2025, 6, 1, 10, 0, 0, TimeSpan.Zero);

    private static string Page(long user, string query, int offset, params (string Id, string Team)[] items) =>
        $"{{\"request_id\":\"r{user}-{offset}\",\"ts\":\"{Shown.UtcDateTime:O}\",\"user\":{user},\"query\":\"{query}\",\"offset\":{offset},\"items\":["
        + string.Join(",", items.Select(i => $"{{\"id\":\"{i.Id}\",\"team\":\"{i.Team}\"}}"))
        + "],\"control\":{\"name\":\"ranker\",\"kind\":\"lambdamart\"},\"challenger\":{\"name\":\"ranker-b\",\"kind\":\"weighted\"}}";

    private static string Event(long user, long item, string behavior, TimeSpan after) => $"{user},{item},1,{behavior},{(Shown + after).ToUnixTimeSeconds()}";

    [Fact]
    public void Interleave_report_credits_each_page_with_its_users_later_events_and_skips_bad_lines_and_earlier_events()
    {
        using var dir = new TempDir();
        var log = dir.Write("interleave.jsonl", string.Join("\n",
            // 1: the user views a challenger pick: challenger wins.
            Page(1, "连衣裙", 0, ("101", "control"), ("102", "challenger"), ("103", "control"), ("104", "challenger")),
            // 2: a purchase of the control's pick; the view of the challenger's pick came before the search and does not count: control wins.
            Page(2, "连衣裙", 0, ("201", "challenger"), ("202", "control")),
            // 3: a writer killed mid-line.
            """{"request_id":"cut","ts":""",
            // 4: one item of each team engaged: a tie.
            Page(3, "手机", 0, ("301", "control"), ("302", "challenger")),
            // 5: a cart past the window, and another user's view: not engaged.
            Page(4, "手机", 0, ("401", "challenger"), ("402", "control")),
            // 6: the first user's second page; a favourite of the challenger's pick: challenger wins.
            Page(1, "连衣裙", 4, ("105", "challenger"), ("106", "control"))) + "\n");
        var events = dir.Write("events.csv", string.Join("\n",
            Event(1, 102, "pv", TimeSpan.FromMinutes(1)),
            Event(2, 202, "buy", TimeSpan.FromMinutes(2)),
            Event(2, 201, "pv", TimeSpan.FromMinutes(-1)),
            Event(3, 301, "pv", TimeSpan.FromMinutes(3)),
            Event(3, 302, "pv", TimeSpan.FromMinutes(4)),
            Event(4, 401, "cart", TimeSpan.FromMinutes(40)),
            Event(5, 402, "pv", TimeSpan.FromMinutes(1)),
            Event(1, 105, "fav", TimeSpan.FromMinutes(5))) + "\n");
        var html = dir.File("report/interleave.html");

        var (code, stdout, stderr) = Run(new InterleaveReportCommand(), "--log", log, "--events", events, "--join-minutes", "30", "--report", html);

        Assert.True(code == 0, stderr);
        Assert.Contains($"{log}:3: not an interleaving record", stderr, StringComparison.Ordinal);
        Assert.Contains("control ranker (lambdamart) against challenger ranker-b (weighted)", stdout, StringComparison.Ordinal);
        string[] Row(string first) => stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(t => t.Length > 0 && t[0] == first);
        // 5 pages, 4 searches (page 6 continues page 1's), 3 engaged; control wins page 2, the challenger pages 1 and 6's
        // search (one vote for its two clicks), page 4 ties: Δ = (1 + 1/2) / 3 − 1/2.
        Assert.Contains("5 interleaved pages read as 4 searches", stdout, StringComparison.Ordinal);
        // The last column is p adjusted by Holm's method over the query rows with an engaged search (the all row's own p).
        Assert.Equal(["(all)", "4", "3", "1", "1", "1", "0.000", "1.0000", "1.0000"], Row("(all)"));
        Assert.Equal(["连衣裙", "2", "2", "1", "1", "0", "0.000", "1.0000", "1.0000"], Row("连衣裙"));
        Assert.Equal(["手机", "2", "1", "0", "0", "1", "0.000", "1.0000", "1.0000"], Row("手机"));
        // Chinese characters are two columns wide on a terminal: the query column is padded to 20 columns, not characters.
        // "连衣裙" (6 columns) + 14 to reach 20, 1 between, 10 before the right-aligned "2" of the 11-wide column.
        Assert.Matches(@"(?m)^连衣裙 {25}2 ", stdout);
        var page = File.ReadAllText(html);
        Assert.Contains("Cumulative Δ", page, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", page, StringComparison.Ordinal);
        Assert.Contains("连衣裙", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Interleave_report_says_a_p_below_the_fourth_decimal_is_below_it_rather_than_zero()
    {
        using var dir = new TempDir();
        // 20 pages, each won by the challenger: the sign test's p is 2 × 2^-20, about 1.9e-6, which "0.0000" misstates.
        var users = Enumerable.Range(1, 20).ToArray();
        var log = dir.Write("interleave.jsonl", string.Join("\n", users.Select(u => Page(u, "连衣裙", 0, ("1", "control"), ("2", "challenger")))) + "\n");
        var events = dir.Write("events.csv", string.Join("\n", users.Select(u => Event(u, 2, "buy", TimeSpan.FromMinutes(1)))) + "\n");
        var html = dir.File("interleave.html");

        var (code, stdout, stderr) = Run(new InterleaveReportCommand(), "--log", log, "--events", events, "--report", html);

        Assert.True(code == 0, stderr);
        var all = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(t => t.Length > 0 && t[0] == "(all)");
        Assert.Equal(["(all)", "20", "20", "0", "20", "0", "+0.500", "<0.0001", "<0.0001"], all);
        Assert.Contains("(sign test p < 0.0001: 20 challenger wins against 0 control wins", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("0.0000", stdout, StringComparison.Ordinal);
        var page = File.ReadAllText(html);
        Assert.Contains("&lt; 0.0001</td>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("0.0000", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Interleave_report_refuses_to_add_up_two_comparisons_appended_to_one_log_and_reads_one_by_its_challenger()
    {
        using var dir = new TempDir();
        // Two experiments written to the same --interleave-log: ranker against ranker-b, then ranker against ranker-c.
        var log = dir.Write("interleave.jsonl", string.Join("\n",
            Page(1, "连衣裙", 0, ("101", "control"), ("102", "challenger")),
            Page(2, "连衣裙", 0, ("201", "control"), ("202", "challenger")).Replace("ranker-b", "ranker-c", StringComparison.Ordinal),
            Page(3, "连衣裙", 0, ("301", "control"), ("302", "challenger")).Replace("ranker-b", "ranker-c", StringComparison.Ordinal)) + "\n");
        var events = dir.Write("events.csv", string.Join("\n",
            Event(1, 102, "pv", TimeSpan.FromMinutes(1)), Event(2, 201, "pv", TimeSpan.FromMinutes(1)), Event(3, 301, "pv", TimeSpan.FromMinutes(1))) + "\n");

        var (code, stdout, stderr) = Run(new InterleaveReportCommand(), "--log", log, "--events", events);
        Assert.True(code == 2, stdout + stderr);
        Assert.Contains("2 comparisons", stderr, StringComparison.Ordinal);
        Assert.Contains("control ranker (lambdamart) against challenger ranker-b (weighted): 1 page", stderr, StringComparison.Ordinal);
        Assert.Contains("control ranker (lambdamart) against challenger ranker-c (weighted): 2 pages", stderr, StringComparison.Ordinal);
        Assert.Contains("--challenger", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = Run(new InterleaveReportCommand(), "--log", log, "--events", events, "--challenger", "ranker-c");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("ranker-b", stdout, StringComparison.Ordinal);
        Assert.Equal(["(all)", "2", "2", "2", "0", "0", "-0.500", "0.5000", "0.5000"],
            stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(t => t.Length > 0 && t[0] == "(all)"));

        (code, _, stderr) = Run(new InterleaveReportCommand(), "--log", log, "--events", events, "--challenger", "ranker-x");
        Assert.Equal(2, code);
        Assert.Contains("no page compares a challenger named ranker-x", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Interleave_report_reads_a_page_once_when_a_log_is_passed_twice_or_a_record_was_written_twice()
    {
        using var dir = new TempDir();
        var first = Page(1, "连衣裙", 0, ("101", "control"), ("102", "challenger"));
        // The same record twice (a log copied into itself, say), then another user's page.
        var log = dir.Write("interleave.jsonl", string.Join("\n", first, first, Page(2, "连衣裙", 0, ("201", "control"), ("202", "challenger"))) + "\n");
        var events = dir.Write("events.csv", string.Join("\n", Event(1, 102, "pv", TimeSpan.FromMinutes(1)), Event(2, 201, "pv", TimeSpan.FromMinutes(1))) + "\n");

        // interleave.jsonl* may match a file also named on its own.
        var (code, stdout, stderr) = Run(new InterleaveReportCommand(), "--log", log, log, "--events", events);

        Assert.True(code == 0, stderr);
        Assert.Equal(["(all)", "2", "2", "1", "1", "0", "0.000", "1.0000", "1.0000"],
            stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(t => t.Length > 0 && t[0] == "(all)"));
        Assert.Contains("1 duplicate", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Interleave_report_refuses_a_log_with_no_record_and_a_missing_file()
    {
        using var dir = new TempDir();
        var events = dir.Write("events.csv", Event(1, 1, "pv", TimeSpan.Zero) + "\n");
        var (code, _, stderr) = Run(new InterleaveReportCommand(), "--log", dir.Write("bad.jsonl", "not json\n"), "--events", events);
        Assert.Equal(2, code);
        Assert.Contains("no interleaved page could be read", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Run(new InterleaveReportCommand(), "--log", dir.File("none.jsonl"), "--events", events);
        Assert.Equal(2, code);
        Assert.Contains($"--log: {dir.File("none.jsonl")}: file not found", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_refuses_a_challenger_it_cannot_compare_before_it_writes_anything()
    {
        using var dir = new TempDir();
        var index = dir.File("index");
        var ranker = dir.File("ranker");
        var challenger = dir.File("challenger");
        foreach (var d in new[] { index, ranker, challenger }) Directory.CreateDirectory(d);
        var log = dir.File("logs/interleave.jsonl");
        string[] common = ["--index", index, "--collab", dir.File("collab"), "--events", dir.File("events.db"), "--urls", "http://127.0.0.1:0"];
        (string[] Args, string Message)[] cases =
        [
            (["--challenger", challenger, "--interleave-log", log], "--challenger is compared with the ranker in service: give --ranker as well."),
            (["--ranker", ranker, "--challenger", challenger], "--challenger needs --interleave-log FILE"),
            (["--ranker", ranker, "--interleave-log", log], "--interleave-log logs interleaved pages: give --challenger as well."),
            (["--ranker", ranker, "--interleave-share", "0.5"], "--interleave-share is the share of searches interleaved with --challenger: give --challenger as well."),
            (["--ranker", ranker, "--challenger", challenger, "--interleave-log", log, "--interleave-share", "1.5"], "--interleave-share must be in (0, 1] (is 1.5)."),
            (["--ranker", ranker, "--challenger", challenger, "--interleave-log", log, "--interleave-share", "0"], "--interleave-share must be in (0, 1] (is 0)."),
            (["--ranker", ranker, "--challenger", dir.File("nowhere"), "--interleave-log", log], $"--challenger: ranker folder '{dir.File("nowhere")}' does not exist."),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, _, stderr) = Run(new ServeCommand(), [.. common, .. args]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {stderr}");
            Assert.Contains(message, stderr, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(log));
        Assert.False(File.Exists(dir.File("events.db")));
    }
}
