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
}
