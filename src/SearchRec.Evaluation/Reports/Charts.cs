using ScottPlot;
using SearchRec.Evaluation.Metrics;

namespace SearchRec.Evaluation.Reports;

/// <summary>PNG charts of an evaluation (ScottPlot).</summary>
internal static class Charts
{
    /// <summary>One bar per ranker for a metric, with its 95% interval as whiskers.</summary>
    public static byte[] MetricBars(EvalOutcome outcome, string metric)
    {
        var n = outcome.Rankers.Count;
        var names = new string[n];
        var ys = new double[n];
        var lows = new double[n];
        var highs = new double[n];
        for (var i = 0; i < n; i++)
        {
            var r = outcome.Rankers[i];
            names[i] = r.Name;
            ys[i] = r.Metrics.Mean(metric);
            (lows[i], highs[i]) = r.Ci95[metric];
        }
        return Bars(metric, names, ys, lows, highs);
    }

    /// <summary>The widest chart the reports embed: their pages are at most this wide, and shrink a wider one, labels and all.</summary>
    internal const int MaxWidth = 1100;

    /// <summary>One bar per name at its mean, whiskers from <paramref name="lows"/> to <paramref name="highs"/>.</summary>
    public static byte[] Bars(string metric, IReadOnlyList<string> names, double[] ys, double[] lows, double[] highs)
    {
        var plot = new Plot();
        var n = names.Count;
        var xs = new double[n];
        var low = new double[n];
        var high = new double[n];
        var ticks = new Tick[n];
        for (var i = 0; i < n; i++)
        {
            xs[i] = i;
            low[i] = Math.Max(0, ys[i] - lows[i]);
            high[i] = Math.Max(0, highs[i] - ys[i]);
            ticks[i] = new Tick(i, names[i]);
        }
        var bars = plot.Add.Bars(xs, ys);
        bars.Color = Colors.SteelBlue;
        var whiskers = plot.Add.ErrorBar(xs, ys, low);
        whiskers.YErrorNegative = low;
        whiskers.YErrorPositive = high;
        whiskers.Color = Colors.Black;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        // Every metric charted is at most 1: room above the highest whisker, but no axis past 1.
        plot.Axes.SetLimitsY(0, Math.Min(1.0, Math.Max(0.05, high.Select((h, i) => ys[i] + h).DefaultIfEmpty(0).Max() * 1.15)));
        plot.Title(metric);
        plot.YLabel(metric);
        var width = Math.Clamp(120 * n + 160, 360, MaxWidth);
        var below = SlantCrowdedLabels(plot.Axes.Bottom, names, (width - 120.0) / Math.Max(1, n));
        return plot.GetImageBytes(width, 360 + below, ImageFormat.Png);
    }

    /// <summary>
    /// Slants the tick labels of <paramref name="axis"/> when the widest of <paramref name="labels"/> does not fit the
    /// <paramref name="slot"/> pixels each has (they would run into each other), and makes room for them below it;
    /// returns the pixels added below the axis (0 when they fit upright).
    /// </summary>
    internal static int SlantCrowdedLabels(IXAxis axis, IReadOnlyList<string> labels, double slot)
    {
        if (labels.Count == 0) return 0;
        using var paint = Paint.NewDisposablePaint();
        var (_, widest) = axis.TickLabelStyle.MeasureWidestString([.. labels], paint);
        if (widest.Length <= 0.9 * slot) return 0;
        axis.TickLabelStyle.Rotation = -40;
        axis.TickLabelStyle.Alignment = Alignment.UpperRight;
        // sin 40° of the widest label, its height and the gap to the axis.
        var depth = (int)Math.Ceiling(0.65 * widest.Length + 24);
        axis.MinimumSize = depth;
        return Math.Max(0, depth - 20);
    }

    /// <summary>One line of <see cref="LogXLines"/>: its legend, values, colour index (same index, same colour) and dash.</summary>
    public sealed record Line(string Label, double[] Ys, int Color, bool Dashed);

    /// <summary>Lines over x values on a log axis (sample sizes), y from 0 to 100, with a dotted guide at <paramref name="guideY"/>.</summary>
    public static byte[] LogXLines(double[] xs, string xLabel, string yLabel, double guideY, IReadOnlyList<Line> lines)
    {
        var plot = new Plot();
        var logXs = xs.Select(Math.Log10).ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var l in lines)
        {
            var line = plot.Add.ScatterLine(logXs, l.Ys);
            line.LegendText = l.Label;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            line.Color = palette.GetColor(l.Color);
            if (l.Dashed)
            {
                // Dashes alone did not tell the lines apart in the legend's short sample: open markers do.
                line.LinePattern = LinePattern.Dashed;
                line.MarkerShape = MarkerShape.OpenCircle;
            }
        }
        var guide = plot.Add.HorizontalLine(guideY);
        guide.Color = Colors.Gray;
        guide.LinePattern = LinePattern.Dotted;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        // A little past 0 and 100: a line at 0 % (no trial wrong) lay on the frame and could not be seen.
        plot.Axes.SetLimitsY(-3, 103);
        // Below the chart: in a corner it covered whichever curve passed there.
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.SymbolWidth = 40;
        return plot.GetImageBytes(900, 440 + 20 * (lines.Count + 1) / 2, ImageFormat.Png);
    }
}
