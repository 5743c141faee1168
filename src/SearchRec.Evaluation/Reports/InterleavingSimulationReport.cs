using System.Globalization;
using SearchRec.Core;
using SearchRec.Evaluation.Interleaving;
using static SearchRec.Evaluation.Reports.Html;

namespace SearchRec.Evaluation.Reports;

/// <summary>
/// An HTML page of a click simulation (<see cref="ClickSimulation"/>): the offline nDCG of both runs, a table of
/// the sample sizes with the share of trials each test gets right and wrong, and a chart of both curves.
/// </summary>
public static class InterleavingSimulationReport
{
    /// <summary>Writes the page to <paramref name="path"/> (creating its folder).</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="notes">Lines printed under the title: the runs, the qrels, the command.</param>
    /// <param name="result">What the simulation measured.</param>
    public static void Write(string path, IReadOnlyList<string> notes, ClickSimulationResult result)
    {
        Guard.NotNull(path);
        Save(path, Render(notes, result));
    }

    /// <summary>The page as text.</summary>
    public static string Render(IReadOnlyList<string> notes, ClickSimulationResult result)
    {
        Guard.NotNull(notes);
        Guard.NotNull(result);
        const string Title = "How many shoppers it takes: interleaving against an A/B split";
        var o = result.Options;
        var h = Begin(Title);
        h.Append("<h1>").Append(Enc(Title)).Append("</h1>");
        foreach (var n in notes) h.Append("<p>").Append(Enc(n)).Append("</p>");
        h.Append("<p>").Append(Enc(Describe(result))).Append("</p>");
        h.Append("<p>").Append(Enc($"Offline nDCG@{o.K} over the {result.Queries:N0} queries: A {F(result.NdcgA, 4)}, B {F(result.NdcgB, 4)}, B − A {Signed(result.NdcgB - result.NdcgA)}; "
            + $"the side a test should pick: {SideName(result.OfflineSide)}.")).Append("</p>");
        h.Append("<p>").Append(Enc($"Smallest sample at which most trials are significant on that side: interleaving {Needed(result.InterleavingImpressionsNeeded)}, "
            + $"A/B split {Needed(result.AbSplitImpressionsNeeded)}.")).Append("</p>");
        h.Append("<table><tr><th rowspan=\"2\">impressions</th><th colspan=\"3\">interleaving (team draft, sign test)</th><th colspan=\"3\">A/B split (Welch t)</th></tr>")
         .Append("<tr><th>significant, right side</th><th>significant, wrong side</th><th>leans wrong</th><th>significant, right side</th><th>significant, wrong side</th><th>leans wrong</th></tr>");
        foreach (var p in result.Points)
        {
            h.Append("<tr><td>").Append(p.Impressions.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
            foreach (var s in (ReadOnlySpan<SideShares>)[p.Interleaving, p.AbSplit])
            {
                h.Append(s.SignificantRight > 0.5 ? "<td class=\"sig\">" : "<td>").Append(Percent(s.SignificantRight)).Append("</td>")
                 .Append(s.SignificantWrong > 0 ? "<td class=\"loss\">" : "<td>").Append(Percent(s.SignificantWrong)).Append("</td>")
                 .Append("<td>").Append(Percent(s.LeansWrong)).Append("</td>");
            }
            h.Append("</tr>");
        }
        h.Append("</table>");
        h.Append("<h2>Share of trials significant on the right side (solid lines) and on the wrong side (dashed)</h2><img alt=\"power curves\" src=\"data:image/png;base64,")
         .Append(Convert.ToBase64String(Curves(result))).Append("\">");
        End(h);
        return h.ToString();
    }

    /// <summary>One sentence on the protocol: trials, queries, click model and its parameters, the two tests.</summary>
    public static string Describe(ClickSimulationResult result)
    {
        Guard.NotNull(result);
        var o = result.Options;
        var model = o.ClickModel == ClickModelKind.Cascade
            ? "cascade model (scan top-down, click with the grade's attraction, stop after a click with probability 0.2 at grade 0 to 0.9 at the top grade; Hofmann et al., TOIS 2013, navigational)"
            : "position-based model (rank r examined with probability 1/r, Joachims et al., WSDM 2017, η = 1)";
        return string.Create(CultureInfo.InvariantCulture,
            $"{o.Trials:N0} trials of up to {o.Impressions:N0} impressions each (seed {o.Seed}); each impression a shopper issues one of the {result.Queries:N0} judged queries, uniformly, "
            + $"sees {o.K} results and clicks under the {model}; attraction 0.05 at grade 0 (and unjudged) to 0.95 at grade {result.TopGrade}. "
            + $"Interleaving: team draft of both runs' top {o.K}, exact sign test over the impressions one team won. A/B split: the same impressions, half A alone and half B alone, "
            + $"{(o.AbMetric == AbSplitMetric.FirstClickReciprocalRank ? "the reciprocal rank of the first click (0 without a click)" : "clicks per impression")} compared by Welch's two-sample t-test. Significant: p < {ClickSimulation.Alpha}. "
            + $"Clicks per impression: A {result.ClicksPerImpressionA:F3}, B {result.ClicksPerImpressionB:F3}; interleaved lists clicked {result.InterleavingEngagedShare:P1}, mean preference Δ for B {result.InterleavingPreference:+0.000;-0.000;0.000}.");
    }

    private static byte[] Curves(ClickSimulationResult result)
    {
        var xs = result.Points.Select(p => (double)p.Impressions).ToArray();
        double[] Ys(Func<SimulationPoint, double> share) => result.Points.Select(p => 100 * share(p)).ToArray();
        return Charts.LogXLines(xs, "impressions (log scale)", "% of trials", guideY: 50,
        [
            new("interleaving: significant, right side", Ys(p => p.Interleaving.SignificantRight), 0, false),
            new("A/B split: significant, right side", Ys(p => p.AbSplit.SignificantRight), 1, false),
            new("interleaving: significant, wrong side", Ys(p => p.Interleaving.SignificantWrong), 0, true),
            new("A/B split: significant, wrong side", Ys(p => p.AbSplit.SignificantWrong), 1, true),
        ]);
    }

    private static string Percent(double share) => double.IsNaN(share) ? "–" : (100 * share).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Signed(double v) => v.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    private static string Needed(int? n) => n is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) + " impressions" : "not reached on the grid";

    private static string SideName(int side) => side switch { 1 => "B", -1 => "A", _ => "none (a tie; every significant result is a false alarm)" };
}
