using System.CommandLine;
using System.Globalization;
using SearchRec.Evaluation.Interleaving;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec interleave-report --log FILE... --events FILE|events.db</c>: reads a <c>serve --challenger</c>
/// comparison from its impression log and the users' later events.
/// </summary>
public sealed class InterleaveReportCommand : ICliCommand
{
    // Bad log lines named one by one up to this many, then counted.
    private const int Shown = 20;

    /// <inheritdoc />
    public Command Build()
    {
        var logs = new Option<string[]>("--log") { Description = "The interleaving log(s) serve --interleave-log wrote (pass the rotated FILE.1 … too).", Required = true, AllowMultipleArgumentsPerToken = true };
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s), or the service's event store (events.db): the users' behaviour after the logged pages.", Required = true, AllowMultipleArgumentsPerToken = true };
        var joinMinutes = new Option<int>("--join-minutes") { Description = "How long after a page an event on one of its items still credits it.", DefaultValueFactory = _ => 30 };
        var top = new Option<int>("--top") { Description = "How many of the most frequent queries get a line of their own.", DefaultValueFactory = _ => 20 };
        var challenger = new Option<string?>("--challenger") { Description = "Read only the pages that compare a challenger of this name (its folder's name), when the logs hold more than one comparison." };
        var report = new Option<string?>("--report") { Description = "Also write an HTML page: the summary, the per-query table and the cumulative preference over time." };
        var cmd = new Command("interleave-report",
            "Which of two rankers users preferred: credits each interleaved page of serve --challenger with the same user's later events on its items (team draft), and prints wins, ties, the preference Δ and the sign test, overall and for the most frequent queries.");
        foreach (var o in new Option[] { logs, events, joinMinutes, top, challenger, report }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                return Run(pr.GetValue(logs)!, pr.GetValue(events)!, pr.GetValue(joinMinutes), pr.GetValue(top), pr.GetValue(challenger), pr.GetValue(report));
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
            {
                Console.Error.WriteLine($"interleave-report: {CliErrors.Message(e)}");
                return 2;
            }
        });
        return cmd;
    }

    private static int Run(string[] logFiles, string[] eventFiles, int joinMinutes, int top, string? challenger, string? report)
    {
        if (joinMinutes <= 0) throw new ArgumentException($"--join-minutes must be positive (was {joinMinutes}).");
        if (top < 0) throw new ArgumentException($"--top must not be negative (was {top}).");
        if (report is { } path) OutputFiles.Check(path, "--report");
        foreach (var f in logFiles)
            if (!File.Exists(f)) throw new FileNotFoundException($"--log: {f}: file not found", f);
        // A glob such as interleave.jsonl* may match a file also named on its own: each file is read once.
        logFiles = [.. logFiles.DistinctBy(Path.GetFullPath, OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)];
        int malformed = 0, duplicates = 0;
        // A page is one request's: a record read again (a log copied into another) would count its clicks twice.
        var seen = new HashSet<(string RequestId, int Offset)>();
        var impressions = JsonlInterleavingLog.Read(logFiles, line =>
        {
            if (malformed++ < Shown) Console.Error.WriteLine($"skipped {line}");
        }).Where(i =>
        {
            if (i.RequestId.Length == 0 || seen.Add((i.RequestId, i.Offset))) return true;
            duplicates++;
            return false;
        }).ToList();
        if (malformed > Shown) Console.Error.WriteLine($"... and {malformed - Shown:N0} more lines skipped");
        if (duplicates > 0) Console.Error.WriteLine($"skipped {duplicates:N0} duplicate record{(duplicates == 1 ? "" : "s")} (a request id and offset read before)");
        if (impressions.Count == 0)
            throw new InvalidDataException($"--log: no interleaved page could be read from {string.Join(", ", logFiles)}" + (malformed > 0 ? $" ({malformed:N0} lines are not records)." : "."));
        if (challenger is not null)
        {
            var named = impressions.Where(i => i.Rankers.ChallengerName == challenger).ToList();
            if (named.Count == 0)
                throw new InvalidDataException($"--challenger: no page compares a challenger named {challenger}; the logs compare {Comparisons(impressions)}.");
            impressions = named;
        }
        // Pages of two experiments (one log appended to by two serve runs) are two comparisons: adding them up would
        // credit one challenger with the other's wins.
        if (impressions.Select(i => i.Rankers).Distinct().Skip(1).Any())
            throw new InvalidDataException($"--log: the pages hold {impressions.Select(i => i.Rankers).Distinct().Count()} comparisons, which are not added up: {Comparisons(impressions)}. "
                + "Report one at a time with --challenger NAME (or pass the logs of one serve run).");
        var window = TimeSpan.FromMinutes(joinMinutes);
        // A search's later pages count with its first: clicks on pages 1 and 2 are one shopper's one vote.
        var searches = InterleavingReport.Searches(InterleavingReport.Credit(impressions, EventFiles.Read(eventFiles), window), window);
        var all = InterleavingSummary.Of(searches.Select(c => c.Credit));
        foreach (var pair in searches.Select(c => c.Impression.Rankers).Distinct())
            Console.WriteLine($"control {pair.ControlName} ({pair.ControlKind}) against challenger {pair.ChallengerName} ({pair.ChallengerKind})");
        Console.WriteLine($"{impressions.Count:N0} interleaved pages read as {searches.Count:N0} searches (a search's later pages count with its first), {malformed:N0} bad lines skipped; events up to {joinMinutes} min after each page credit it");
        Console.WriteLine();
        Console.WriteLine(Line("query", "searches", "engaged", "control", "challenger", "ties", "Δ", "p", "p Holm"));
        Console.WriteLine(Row("(all)", all, all.PValue));
        var byQuery = InterleavingReport.ByQuery(searches, top);
        // The query rows are many tests read at once: Holm's adjustment over them says which hold as a family.
        var holm = InterleavingReport.HolmPerQuery(byQuery);
        for (var i = 0; i < byQuery.Count; i++) Console.WriteLine(Row(byQuery[i].Key, byQuery[i].Value, holm[i]));
        Console.WriteLine();
        Console.WriteLine(all.Engaged == 0
            ? "No page was engaged with: nothing to prefer either ranker by yet."
            : $"Δ {Signed(all.Preference)}: {(all.Preference > 0 ? "users preferred the challenger" : all.Preference < 0 ? "users preferred the control" : "neither ranker preferred")} (sign test p {PValue(all.PValue, " ")}: {all.ChallengerWins:N0} challenger wins against {all.ControlWins:N0} control wins, {all.Ties:N0} ties left out).");
        if (report is { } html)
        {
            InterleavingReport.Write(html,
                [$"Logs: {string.Join(", ", logFiles)}; events: {string.Join(", ", eventFiles)}; an event up to {joinMinutes} min after a page credits it.",
                 $"{impressions.Count:N0} interleaved pages read as {searches.Count:N0} searches: a search's later pages (within {joinMinutes} min of the one before) count with its first, so each search is one vote. {malformed:N0} bad log lines skipped."], searches, top);
            Console.Error.WriteLine($"report: {Path.GetFullPath(html)}");
        }
        return 0;
    }

    // A p that rounds to 0.0000 is not zero: it is said to be below the fourth decimal ("<0.0001" in the table's column).
    private static string PValue(double p, string space) =>
        p < 0.00005 ? "<" + space + "0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string Comparisons(IEnumerable<InterleavingImpression> impressions) =>
        string.Join("; ", impressions.GroupBy(i => i.Rankers).Select(g =>
            $"control {g.Key.ControlName} ({g.Key.ControlKind}) against challenger {g.Key.ChallengerName} ({g.Key.ChallengerKind}): {g.Count():N0} page{(g.Count() == 1 ? "" : "s")}"));

    private static string Signed(double v) => v.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture);

    private static string Row(string query, InterleavingSummary s, double holm) =>
        Line(query, s.Impressions.ToString("N0", CultureInfo.InvariantCulture), s.Engaged.ToString("N0", CultureInfo.InvariantCulture),
            s.ControlWins.ToString("N0", CultureInfo.InvariantCulture), s.ChallengerWins.ToString("N0", CultureInfo.InvariantCulture),
            s.Ties.ToString("N0", CultureInfo.InvariantCulture), Signed(s.Preference), PValue(s.PValue, ""), double.IsNaN(holm) ? "–" : PValue(holm, ""));

    private static string Line(string query, string searches, string engaged, string control, string challenger, string ties, string delta, string p, string holm) =>
        $"{PadColumns(query, 20)} {searches,11} {engaged,8} {control,8} {challenger,10} {ties,6} {delta,7} {p,7} {holm,7}";

    // A terminal shows a Chinese character two columns wide: pad by columns, not characters, so the numbers line up.
    private static string PadColumns(string text, int columns)
    {
        var width = 0;
        foreach (var c in text) width += IsWide(c) ? 2 : 1;
        return width >= columns ? text : text + new string(' ', columns - width);
    }

    private static bool IsWide(char c) =>
        c is (>= '\u1100' and <= '\u115F') or (>= '\u2E80' and <= '\uA4CF') or (>= '\uAC00' and <= '\uD7A3')
            or (>= '\uF900' and <= '\uFAFF') or (>= '\uFE30' and <= '\uFE4F') or (>= '\uFF00' and <= '\uFF60') or (>= '\uFFE0' and <= '\uFFE6');
}
