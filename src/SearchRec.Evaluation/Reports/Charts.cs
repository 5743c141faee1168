using ScottPlot;
using SearchRec.Evaluation.Metrics;

namespace SearchRec.Evaluation.Reports;

/// <summary>PNG charts of an evaluation (ScottPlot).</summary>
internal static class Charts
{
    /// <summary>One bar per ranker for a metric, with its 95% interval as whiskers.</summary>
    public static byte[] MetricBars(EvalOutcome outcome, string metric)
    {
        var plot = new Plot();
        var n = outcome.Rankers.Count;
        var xs = new double[n];
        var ys = new double[n];
        var low = new double[n];
        var high = new double[n];
        var ticks = new Tick[n];
        for (var i = 0; i < n; i++)
        {
            var r = outcome.Rankers[i];
            xs[i] = i;
            ys[i] = r.Metrics.Mean(metric);
            var (lo, hi) = r.Ci95[metric];
            low[i] = Math.Max(0, ys[i] - lo);
            high[i] = Math.Max(0, hi - ys[i]);
            ticks[i] = new Tick(i, r.Name);
        }
        var bars = plot.Add.Bars(xs, ys);
        bars.Color = Colors.SteelBlue;
        var whiskers = plot.Add.ErrorBar(xs, ys, low);
        whiskers.YErrorNegative = low;
        whiskers.YErrorPositive = high;
        whiskers.Color = Colors.Black;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, Math.Max(0.05, high.Select((h, i) => ys[i] + h).DefaultIfEmpty(0).Max() * 1.15));
        plot.Title(metric);
        plot.YLabel(metric);
        return plot.GetImageBytes(Math.Max(360, 120 * n + 160), 360, ImageFormat.Png);
    }
}
