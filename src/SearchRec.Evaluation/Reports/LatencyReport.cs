using System.Globalization;
using ScottPlot;
using SearchRec.Core;
using static SearchRec.Evaluation.Reports.Html;

namespace SearchRec.Evaluation.Reports;

/// <summary>One measured latency distribution: a name (a pipeline stage, an endpoint) and its samples in milliseconds.</summary>
/// <param name="Name">What was timed.</param>
/// <param name="Milliseconds">Every sample, in any order.</param>
public sealed record LatencySeries(string Name, IReadOnlyList<double> Milliseconds);

/// <summary>
/// An HTML page of latency distributions, for the benchmarks: a percentile table per series and two charts, the
/// cumulative distribution of every series and p50 / p90 / p99 side by side.
/// </summary>
public static class LatencyReport
{
    private static readonly double[] Quantiles = [0.50, 0.90, 0.99, 0.999];

    /// <summary>Writes the page to <paramref name="path"/> (creating its folder).</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="title">The page's title.</param>
    /// <param name="notes">Lines printed under the title: machine, data, settings, the goal.</param>
    /// <param name="series">The distributions; empty ones are listed without figures.</param>
    public static void Write(string path, string title, IReadOnlyList<string> notes, IReadOnlyList<LatencySeries> series)
    {
        Guard.NotNull(path);
        Save(path, Render(title, notes, series));
    }

    /// <summary>The page as text; throws naming a series that holds a negative or non-finite sample.</summary>
    public static string Render(string title, IReadOnlyList<string> notes, IReadOnlyList<LatencySeries> series)
    {
        Guard.NotNull(title);
        Guard.NotNull(notes);
        Guard.NotNull(series);
        var sorted = new List<(string Name, double[] Ms)>(series.Count);
        foreach (var s in series)
        {
            var ms = s.Milliseconds.ToArray();
            foreach (var v in ms)
                if (!double.IsFinite(v) || v < 0) throw new ArgumentException($"latency series '{s.Name}' holds {v.ToString(CultureInfo.InvariantCulture)}: samples must be finite and non-negative", nameof(series));
            Array.Sort(ms);
            sorted.Add((s.Name, ms));
        }

        var h = Begin(title);
        h.Append("<h1>").Append(Enc(title)).Append("</h1>");
        foreach (var n in notes) h.Append("<p>").Append(Enc(n)).Append("</p>");
        h.Append("<table><tr><th>series</th><th>samples</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>mean ms</th></tr>");
        foreach (var (name, ms) in sorted)
        {
            h.Append("<tr><td>").Append(Enc(name)).Append("</td><td>").Append(ms.Length.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
            if (ms.Length == 0) { h.Append("<td colspan=\"6\">no samples</td></tr>"); continue; }
            foreach (var q in Quantiles) h.Append("<td>").Append(F(Quantile(ms, q), 3)).Append("</td>");
            h.Append("<td>").Append(F(ms[^1], 3)).Append("</td><td>").Append(F(ms.Average(), 3)).Append("</td></tr>");
        }
        h.Append("</table>");
        var measured = sorted.Where(s => s.Ms.Length > 0).ToList();
        if (measured.Count > 0)
        {
            h.Append("<h2>Cumulative distribution</h2><img alt=\"cumulative distribution\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(Cdf(measured))).Append("\">");
            h.Append("<h2>Percentiles</h2><img alt=\"percentiles\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(PercentileBars(measured))).Append("\">");
        }
        End(h);
        return h.ToString();
    }

    /// <summary>The <paramref name="q"/> quantile of sorted samples (nearest rank, as the benchmarks print it).</summary>
    internal static double Quantile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    // Milliseconds on a log axis: the stages span three orders of magnitude.
    private static byte[] Cdf(List<(string Name, double[] Ms)> series)
    {
        var plot = new Plot();
        var floor = series.Min(s => s.Ms.FirstOrDefault(v => v > 0, 0.001));
        foreach (var (name, ms) in series)
        {
            var xs = new double[ms.Length];
            var ys = new double[ms.Length];
            for (var i = 0; i < ms.Length; i++)
            {
                xs[i] = Math.Log10(Math.Max(ms[i], floor));
                ys[i] = (i + 1) * 100.0 / ms.Length;
            }
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = name;
            line.LineWidth = 2;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
        };
        plot.XLabel("latency, ms (log scale)");
        plot.YLabel("% of requests at or below");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(900, 420, ImageFormat.Png);
    }

    private static byte[] PercentileBars(List<(string Name, double[] Ms)> series)
    {
        var plot = new Plot();
        string[] labels = ["p50", "p90", "p99"];
        double[] qs = [0.50, 0.90, 0.99];
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new Tick[series.Count];
        for (var s = 0; s < series.Count; s++)
        {
            ticks[s] = new Tick(s * (qs.Length + 1) + 1, series[s].Name);
            for (var j = 0; j < qs.Length; j++)
            {
                var bar = plot.Add.Bar(position: s * (qs.Length + 1) + j, value: Quantile(series[s].Ms, qs[j]));
                bar.Color = palette.GetColor(j);
                if (s == 0) bar.LegendText = labels[j];
            }
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("ms");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(Math.Max(480, 140 * series.Count + 160), 380, ImageFormat.Png);
    }
}
