using System.Globalization;
using System.Text;
using static SearchRec.Evaluation.Reports.Html;
using SearchRec.Core;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Rankers;

namespace SearchRec.Evaluation.Reports;

/// <summary>Where an evaluation's inputs came from, for the report header.</summary>
/// <param name="Queries">The queries file.</param>
/// <param name="Qrels">The qrels file.</param>
/// <param name="Catalog">The catalog files or index directory.</param>
public sealed record EvalReportInfo(string Queries, string Qrels, string Catalog)
{
    /// <summary>The saved ranker folder <c>fused</c> scored (<c>eval --models</c>), if any: it is the same at every fold.</summary>
    public string? SavedRanker { get; init; }

    /// <summary>Says where the rankings came from instead of the queries / qrels / catalog sentence (<c>compare</c>'s run files).</summary>
    public string? Source { get; init; }
}

/// <summary>
/// A self-contained HTML report of an evaluation: the metric table with confidence intervals and p-values, each
/// ranker's difference from the first, bar charts with CI whiskers (PNG, embedded), per-query wins and losses
/// against the first ranker, and any sections the rankers contributed through <see cref="IReportSectionSource"/>.
/// </summary>
public static class EvalReport
{
    /// <summary>Writes the report (creating the directory).</summary>
    public static void Write(EvalOutcome outcome, string path, EvalReportInfo info)
    {
        Guard.NotNull(path);
        Html.Save(path, Render(outcome, info));
    }

    /// <summary>The report as one HTML string.</summary>
    public static string Render(EvalOutcome outcome, EvalReportInfo info)
    {
        Guard.NotNull(outcome);
        Guard.NotNull(info);
        var h = Html.Begin("SearchRec evaluation");
        h.Append("<h1>SearchRec evaluation</h1><p>")
         .Append(Enc($"{outcome.QueryIds.Count} queries with a relevant judgment"
             + (outcome.SkippedQueries > 0 ? $" ({outcome.SkippedQueries} without were skipped)" : "")
             + (outcome.Folds > 0 ? $"; {outcome.Folds} folds for trained rankers" : "")
             + (outcome.FoldSeeds.Count > 1 ? $", cross-validated at fold seeds {string.Join(", ", outcome.FoldSeeds)} with each query's metrics averaged over them (the run files are seed {outcome.FoldSeeds[0]}'s). " : ". ")));
        if (info.Source is { } source) h.Append(Enc(source)).Append(" Qrels: <code>").Append(Enc(info.Qrels)).Append("</code>. Generated ");
        else
            h.Append("Queries: <code>").Append(Enc(info.Queries)).Append("</code>, qrels: <code>").Append(Enc(info.Qrels))
             .Append("</code>, catalog: <code>").Append(Enc(info.Catalog)).Append("</code>. Generated ");
        h.Append(Enc(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))).Append(".</p>");
        if (info.SavedRanker is { } saved && outcome.Rankers.Any(r => r.Name == "fused"))
            h.Append("<p><b>fused</b> is the saved ranker in <code>").Append(Enc(saved))
             .Append("</code>, scored as it was trained and the same at every fold: it is held out from these queries only if it never saw their judgments.</p>");

        h.Append("<h2>Metrics</h2><p>Mean over queries, [95% bootstrap interval]")
         .Append(outcome.Rankers.Count > 1 ? Enc($", p = two-sided paired randomization test against {outcome.Rankers[0].Name}") : "")
         .Append(".</p><table class=\"metrics\"><tr><th>ranker</th>");
        foreach (var m in RunMetrics.Names) h.Append("<th>").Append(Enc(m)).Append("</th>");
        var timed = outcome.Rankers.Any(r => r.Elapsed > TimeSpan.Zero); // runs read from files (compare) have no time
        // With several fold seeds the means are over them: each seed's own figure shows how far one split moves a ranker.
        var seeded = outcome.FoldSeeds.Count > 1;
        if (seeded) h.Append("<th>").Append(Enc($"ndcg@10 at seeds {string.Join(" / ", outcome.FoldSeeds)}")).Append("</th>");
        h.Append(timed ? "<th>seconds</th></tr>" : "</tr>");
        foreach (var r in outcome.Rankers)
        {
            h.Append("<tr><td>").Append(Enc(r.Name)).Append("</td>");
            foreach (var m in RunMetrics.Names)
            {
                var (lo, hi) = r.Ci95[m];
                h.Append("<td>").Append(F(r.Metrics.Mean(m), 4)).Append(" <span class=\"ns\">[").Append(F(lo, 3)).Append(", ").Append(F(hi, 3)).Append("]</span>");
                if (r.PValueVsFirst.TryGetValue(m, out var p))
                    h.Append(p < 0.05 ? " <span class=\"sig\">" : " <span class=\"ns\">").Append("p=").Append(F(p, 4)).Append("</span>");
                h.Append("</td>");
            }
            if (seeded)
                h.Append("<td>").Append(r.BySeed.Count == 0 ? "<span class=\"ns\">(no training)</span>" : string.Join(" / ", r.BySeed.Select(b => F(b.Metrics.Mean("ndcg@10"), 4)))).Append("</td>");
            h.Append(timed ? "<td>" + F(r.Elapsed.TotalSeconds, 1) + "</td></tr>" : "</tr>");
        }
        h.Append("</table>");
        if (outcome.Rankers.Count > 1) AppendDifferences(h, outcome);

        h.Append("<h2>Charts</h2>");
        foreach (var m in RunMetrics.Names)
            h.Append("<img alt=\"").Append(Enc(m)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(Charts.MetricBars(outcome, m))).Append("\">");

        if (outcome.Rankers.Count > 1) AppendWinsLosses(h, outcome);

        foreach (var r in outcome.Rankers)
            foreach (var s in r.Sections)
                h.Append("<h2>").Append(Enc(r.Name)).Append(": ").Append(Enc(s.Title)).Append("</h2>").Append(s.Html);

        End(h);
        return h.ToString();
    }

    /// <summary>
    /// Each ranker's mean minus the first one's, metric by metric: the difference its p-values test (<c>compare</c>'s
    /// B − A, formatted as its console table so the two read the same to the digit).
    /// </summary>
    private static void AppendDifferences(StringBuilder h, EvalOutcome outcome)
    {
        var first = outcome.Rankers[0];
        h.Append("<p>").Append(Enc($"Each ranker's mean minus that of {first.Name} (the difference the p-values test).")).Append("</p><table class=\"metrics\"><tr><th>difference</th>");
        foreach (var m in RunMetrics.Names) h.Append("<th>").Append(Enc(m)).Append("</th>");
        h.Append("</tr>");
        foreach (var r in outcome.Rankers.Skip(1))
        {
            h.Append("<tr><td>").Append(Enc($"{r.Name} − {first.Name}")).Append("</td>");
            foreach (var m in RunMetrics.Names)
            {
                var d = r.Metrics.Mean(m) - first.Metrics.Mean(m);
                h.Append(d > 0 ? "<td class=\"win\">" : d < 0 ? "<td class=\"loss\">" : "<td>").Append(Signed(d)).Append("</td>");
            }
            h.Append("</tr>");
        }
        h.Append("</table>");
    }

    /// <summary>A difference with its sign and 4 decimals (<c>+0.0123</c>, <c>-0.0040</c>, <c>0.0000</c>), as <c>compare</c> prints it.</summary>
    private static string Signed(double d) => d.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    private static void AppendWinsLosses(StringBuilder h, EvalOutcome outcome)
    {
        var first = outcome.Rankers[0];
        const string metric = "ndcg@10";
        var baseline = first.Metrics.PerQuery(metric);
        h.Append("<h2>Per-query wins and losses against ").Append(Enc(first.Name)).Append(" (nDCG@10)</h2><table><tr><th>ranker</th><th>wins</th><th>ties</th><th>losses</th></tr>");
        foreach (var r in outcome.Rankers.Skip(1))
        {
            var v = r.Metrics.PerQuery(metric);
            int wins = 0, losses = 0;
            for (var i = 0; i < v.Count; i++)
            {
                if (v[i] > baseline[i] + 1e-12) wins++;
                else if (v[i] < baseline[i] - 1e-12) losses++;
            }
            h.Append("<tr><td>").Append(Enc(r.Name)).Append("</td><td class=\"win\">").Append(wins).Append("</td><td>")
             .Append(v.Count - wins - losses).Append("</td><td class=\"loss\">").Append(losses).Append("</td></tr>");
        }
        h.Append("</table>");

        // The biggest changes make the aggregate concrete: which queries moved, and by how much.
        foreach (var r in outcome.Rankers.Skip(1))
        {
            var v = r.Metrics.PerQuery(metric);
            var order = Enumerable.Range(0, v.Count).Where(i => v[i] != baseline[i]).OrderByDescending(i => Math.Abs(v[i] - baseline[i])).Take(20).ToList();
            if (order.Count == 0) continue;
            // A qid alone ("200030") does not say which query moved: its text does, where the evaluation had it.
            var texts = outcome.QueryTexts.Count == outcome.QueryIds.Count ? outcome.QueryTexts : null;
            h.Append("<h3>").Append(Enc(r.Name)).Append(": largest per-query changes</h3><table><tr><th>qid</th>").Append(texts is null ? "" : "<th class=\"text\">query</th>").Append("<th>")
             .Append(Enc(first.Name)).Append("</th><th>").Append(Enc(r.Name)).Append("</th><th>Δ</th></tr>");
            foreach (var i in order)
            {
                var d = v[i] - baseline[i];
                h.Append("<tr><td>").Append(Enc(outcome.QueryIds[i])).Append("</td>");
                if (texts is not null) h.Append("<td class=\"text\">").Append(Enc(texts[i])).Append("</td>");
                h.Append("<td>").Append(F(baseline[i], 3)).Append("</td><td>")
                 .Append(F(v[i], 3)).Append("</td><td class=\"").Append(d > 0 ? "win" : "loss").Append("\">").Append(d > 0 ? "+" : "").Append(F(d, 3)).Append("</td></tr>");
            }
            h.Append("</table>");
        }
    }
}
