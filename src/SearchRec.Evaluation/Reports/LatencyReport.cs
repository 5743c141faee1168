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
        var palette = new ScottPlot.Palettes.Category10();
        for (var s = 0; s < series.Count; s++)
        {
            var (name, ms) = series[s];
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
            // Ten colours, then the same ten dashed, then dotted: no two series look alike.
            line.Color = palette.GetColor(s % 10);
            line.LinePattern = (s / 10 % 3) switch { 0 => LinePattern.Solid, 1 => LinePattern.Dashed, _ => LinePattern.Dotted };
        }
        // Whole decades, so at least two labelled ticks: samples within one decade (2–8 ms) left the axis without a number.
        var (lo, hi) = Decades(series.Min(s => Math.Max(s.Ms[0], floor)), series.Max(s => Math.Max(s.Ms[^1], floor)));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(LogTicks(lo, hi));
        plot.Axes.SetLimitsX(lo, hi);
        plot.XLabel("latency, ms (log scale)");
        plot.YLabel("% of requests at or below");
        plot.Axes.SetLimitsY(0, 100);
        // Below the chart, one series a line: inside, a long list covered the curves.
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Vertical;
        plot.Legend.SymbolWidth = 40;
        return plot.GetImageBytes(900, 420 + LegendRowHeight * series.Count, ImageFormat.Png);
    }

    private const int LegendRowHeight = 19;

    /// <summary>
    /// The ticks of a log10 axis from decade <paramref name="lo"/> to <paramref name="hi"/>: every power of ten
    /// labelled, 2 and 5 times it as well when the axis spans at most two decades (else the curves of one decade sit
    /// between two numbers), and minor ticks at the other whole multiples.
    /// </summary>
    internal static Tick[] LogTicks(double lo, double hi)
    {
        var ticks = new List<Tick>();
        var labelled = hi - lo <= 2 ? new[] { 1, 2, 5 } : [1];
        for (var d = (int)lo; d <= (int)hi; d++)
            for (var m = 1; m <= (d == (int)hi ? 1 : 9); m++)
            {
                var v = m * Math.Pow(10, d);
                ticks.Add(labelled.Contains(m) ? Tick.Major(Math.Log10(v), v.ToString("G3", CultureInfo.InvariantCulture)) : Tick.Minor(Math.Log10(v)));
            }
        return [.. ticks];
    }

    /// <summary>The whole decades (as powers of ten) around <paramref name="min"/> and <paramref name="max"/>, at least one apart.</summary>
    internal static (double Low, double High) Decades(double min, double max)
    {
        var lo = Math.Floor(Math.Log10(min));
        var hi = Math.Ceiling(Math.Log10(max));
        return (lo, Math.Max(hi, lo + 1));
    }

    // Bars across, one group per series from the top in the table's order: names as long as "similar items (k 10,
    // with user; …)" fit on the left, where under upright bars they ran into each other.
    private static byte[] PercentileBars(List<(string Name, double[] Ms)> series)
    {
        var plot = new Plot();
        string[] labels = ["p50", "p90", "p99"];
        double[] qs = [0.50, 0.90, 0.99];
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new Tick[series.Count];
        var step = qs.Length + 1;
        for (var s = 0; s < series.Count; s++)
        {
            var top = (series.Count - 1 - s) * step + qs.Length - 1;
            ticks[s] = new Tick(top - 1, Wrap(series[s].Name, 36));
            for (var j = 0; j < qs.Length; j++)
            {
                var bar = plot.Add.Bar(position: top - j, value: Quantile(series[s].Ms, qs[j]));
                bar.Horizontal = true;
                bar.Color = palette.GetColor(j);
                if (s == 0) bar.LegendText = labels[j];
            }
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(left: 0, right: 0.05, bottom: 0.02, top: 0.02);
        // An axis from 0 even when every sample is 0 (the bars would float in a range around it).
        plot.Axes.SetLimitsX(0, Math.Max(1e-3, series.Max(s => Quantile(s.Ms, qs[^1])) * 1.05));
        plot.XLabel("ms");
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Horizontal;
        return plot.GetImageBytes(900, Math.Max(240, 15 * step * series.Count + 90) + LegendRowHeight, ImageFormat.Png);
    }

    /// <summary><paramref name="text"/> broken into lines of at most <paramref name="width"/> characters at spaces (a longer word keeps its own line).</summary>
    internal static string Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        // "21 %" stays on one line: the no-break space is not a space to split at.
        foreach (var word in text.Replace(" %", "\u00a0%", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { lines.Add(line.ToString()); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return string.Join('\n', lines);
    }
}
