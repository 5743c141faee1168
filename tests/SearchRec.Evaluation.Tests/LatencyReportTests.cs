using SearchRec.Evaluation.Reports;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class LatencyReportTests
{
    [Fact]
    public void The_page_gives_nearest_rank_percentiles_per_series_two_charts_and_escapes_names()
    {
        // 1..100 ms shuffled: nearest-rank p50 = 50, p90 = 90, p99 = 99, p99.9 = 100, mean 50.5.
        var ms = Enumerable.Range(1, 100).Select(i => (double)i).OrderBy(v => (v * 37) % 101).ToList();
        var html = LatencyReport.Render("bench <search>", ["machine: 2 cores & a GPU"], [new LatencySeries("recall<x>", ms), new LatencySeries("fetch", [])]);

        Assert.Contains("<h1>bench &lt;search&gt;</h1>", html, StringComparison.Ordinal);
        Assert.Contains("machine: 2 cores &amp; a GPU", html, StringComparison.Ordinal);
        Assert.Contains("<td>recall&lt;x&gt;</td><td>100</td><td>50.000</td><td>90.000</td><td>99.000</td><td>100.000</td><td>100.000</td><td>50.500</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>fetch</td><td>0</td><td colspan=\"6\">no samples</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("recall<x>", html, StringComparison.Ordinal);
        Assert.Equal(2, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
        HtmlFooterTests.AssertFooter(html);
    }

    [Fact]
    public void A_negative_or_non_finite_sample_is_refused_naming_its_series()
    {
        var e = Assert.Throws<ArgumentException>(() => LatencyReport.Render("t", [], [new LatencySeries("model", [0.3, double.NaN])]));
        Assert.Contains("'model'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => LatencyReport.Render("t", [], [new LatencySeries("fetch", [-1])]));
        Assert.Contains("'fetch'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_creates_the_folder_and_the_page()
    {
        using var dir = new SearchRec.Testing.TempDir();
        var path = Path.Combine(dir.File("deep"), "bench.html");
        LatencyReport.Write(path, "t", ["n"], [new LatencySeries("total", [1.0, 2.0])]);
        Assert.StartsWith("<!doctype html>", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_distribution_within_one_decade_still_has_numbers_on_its_latency_axis()
    {
        // HTTP latencies of 2–8 ms lie between two powers of ten: the axis ran from about 1.8 to 8.5 ms with no number.
        var (lo, hi) = LatencyReport.Decades(2, 8);
        Assert.Equal((0.0, 1.0), (lo, hi));
        Assert.Equal(["1", "2", "5", "10"], LatencyReport.LogTicks(lo, hi).Where(t => t.IsMajor).Select(t => t.Label));
        Assert.Equal([3.0, 4, 6, 7, 8, 9], LatencyReport.LogTicks(lo, hi).Where(t => !t.IsMajor).Select(t => Math.Round(Math.Pow(10, t.Position), 6)));
        // Wide spans label the powers of ten alone; one value alone still gets a decade.
        Assert.Equal(["0.001", "0.01", "0.1", "1", "10"], LatencyReport.LogTicks(-3, 1).Where(t => t.IsMajor).Select(t => t.Label));
        Assert.Equal((0.0, 1.0), LatencyReport.Decades(1, 1));
    }

    [Fact]
    public void Many_series_with_long_names_give_charts_no_wider_than_the_page()
    {
        // bench cf-latency times 15 series, some named "similar items (k 10, with user; items drawn by event share, 2nd
        // pass; content cache hits 60 %)": the percentile chart was 2,260 px wide, shrunk on the page to unreadable
        // labels that ran into each other.
        var series = Enumerable.Range(0, 15).Select(i => new LatencySeries(i < 12 ? $"top 50 scorer {i}" : $"similar items (k 10, with user; items drawn by event share, pass {i}; content cache hits 60 %)",
            Enumerable.Range(1, 50).Select(v => v * 0.01 * (i + 1)).ToList())).ToList();
        var sizes = SearchRec.Testing.HtmlPages.ChartSizes(LatencyReport.Render("t", [], series));
        Assert.Equal(2, sizes.Count);
        Assert.All(sizes, s => Assert.InRange(s.Width, 1, Charts.MaxWidth));
    }

    [Fact]
    public void A_long_series_name_is_wrapped_at_spaces_keeping_a_percentage_whole()
    {
        var wrapped = LatencyReport.Wrap("similar items (k 10, with user; uniform items; content cache hits 21 %)", 36);
        Assert.Equal(["similar items (k 10, with user;", "uniform items; content cache hits", "21\u00a0%)"], wrapped.Split('\n'));
        Assert.Equal("recall", LatencyReport.Wrap("recall", 36));
    }
}
