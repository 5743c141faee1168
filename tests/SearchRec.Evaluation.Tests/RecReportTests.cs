using SearchRec.Evaluation.Reports;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class RecReportTests
{
    private static RecModelRun Run(string name, params double[] ndcg) =>
        new(name, new Dictionary<string, double[]> { ["ndcg@20"] = ndcg, ["hr@20"] = ndcg.Select(x => x > 0 ? 1.0 : 0.0).ToArray() });

    [Fact]
    public void Summary_gives_means_intervals_and_a_paired_test_against_the_reference_only()
    {
        var better = Run("fused", 0.9, 0.8, 0.7, 0.9, 0.8, 0.9, 0.7, 0.8, 0.9, 0.8, 0.9, 0.8);
        var reference = Run("repeat", 0.1, 0.2, 0.1, 0.0, 0.2, 0.1, 0.1, 0.2, 0.0, 0.1, 0.2, 0.1);
        var same = Run("copy", 0.1, 0.2, 0.1, 0.0, 0.2, 0.1, 0.1, 0.2, 0.0, 0.1, 0.2, 0.1);
        var s = RecReport.Summarize([reference, better, same], "repeat", ["ndcg@20", "hr@20"]);

        Assert.Equal(0.825, s["fused"]["ndcg@20"].Mean, 6);
        Assert.InRange(s["fused"]["ndcg@20"].Low, 0.7, 0.825);
        Assert.InRange(s["fused"]["ndcg@20"].High, 0.825, 0.9);
        Assert.True(double.IsNaN(s["repeat"]["ndcg@20"].PValue));
        Assert.True(s["fused"]["ndcg@20"].PValue < 0.01, $"p = {s["fused"]["ndcg@20"].PValue}");
        Assert.Equal(1.0, s["copy"]["ndcg@20"].PValue, 6);
    }

    [Fact]
    public void A_missing_reference_or_metric_or_a_user_count_mismatch_is_refused_naming_it()
    {
        var a = Run("a", 0.1, 0.2);
        var e = Assert.Throws<ArgumentException>(() => RecReport.Summarize([a], "repeat", ["ndcg@20"]));
        Assert.Contains("'repeat'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => RecReport.Summarize([a], "a", ["recall@20"]));
        Assert.Contains("'recall@20'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => RecReport.Summarize([a, Run("b", 0.1)], "a", ["ndcg@20"]));
        Assert.Contains("'b' has 1 users", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_has_a_row_per_model_a_chart_per_metric_and_escapes_names()
    {
        var html = RecReport.Render("next <item>", ["cut at 2017-12-03 & 128 users"], [Run("repeat", 0.1, 0.3), Run("fused<x>", 0.4, 0.2)], "repeat", ["ndcg@20", "hr@20"]);
        Assert.Contains("<h1>next &lt;item&gt;</h1>", html, StringComparison.Ordinal);
        Assert.Contains("cut at 2017-12-03 &amp; 128 users", html, StringComparison.Ordinal);
        Assert.Contains("<td>fused&lt;x&gt;</td><td>0.3000", html, StringComparison.Ordinal);
        Assert.DoesNotContain("fused<x>", html, StringComparison.Ordinal);
        Assert.Contains("p=", html, StringComparison.Ordinal);
        Assert.Equal(2, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
        HtmlFooterTests.AssertFooter(html);
    }

    [Fact]
    public void Catalog_coverage_has_a_table_of_its_own_without_intervals_and_none_when_no_run_gives_it()
    {
        var repeat = Run("repeat", 0.1, 0.3) with { Overall = new Dictionary<string, double> { ["coverage@20"] = 0.0125 } };
        var als = Run("als", 0.4, 0.2) with { Overall = new Dictionary<string, double> { ["coverage@20"] = 0.25 } };

        var html = RecReport.Render("t", [], [repeat, als, Run("fused", 0.2, 0.2)], "repeat", ["ndcg@20"]);

        // eval-rec printed coverage@K on the console only: the page, the view people keep, left it out.
        Assert.Contains("<h2>Catalog coverage</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>repeat</td><td>0.0125</td></tr><tr><td>als</td><td>0.2500</td></tr><tr><td>fused</td><td>–</td></tr>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Catalog coverage", RecReport.Render("t", [], [Run("repeat", 0.1, 0.3)], "repeat", ["ndcg@20"]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_cell_wraps_between_mean_interval_and_p_value_but_never_inside_an_interval()
    {
        var html = RecReport.Render("t", [], [Run("repeat", 0.1, 0.3, 0.2), Run("item-item", 0.4, 0.2, 0.5)], "repeat", ["ndcg@20", "hr@20"]);
        // Six metric columns of "0.0270 [0.000, 0.081] p=0.0009" do not fit the page's width: the browser wraps them,
        // and must do it between the parts, not after "[0.000,"; nor after "item-" in the model's name.
        Assert.Contains(".sig,.ns{white-space:nowrap}table.metrics td:first-child{white-space:nowrap}", html, StringComparison.Ordinal);
        Assert.Contains("<table class=\"metrics\">", html, StringComparison.Ordinal);
        Assert.Matches(@"<td>0\.3667 <span class=""ns"">\[0\.\d{3}, 0\.\d{3}\]</span> <span class=""ns"">p=", html);
    }

    [Fact]
    public void Many_models_give_charts_no_wider_than_the_page_with_their_names_slanted_below()
    {
        // eval --ranker all names up to twenty rankers: at 120 px each the chart was 1,600 px and more, shrunk on the
        // 1,100 px page until its names were 8 px high.
        string[] names = ["bm25-title", "bm25-bigram", "bm25", "dense", "bm25+dense", "bm25+dense-terms", "weighted", "linear", "lambdamart", "fused",
            "cf-repeat", "cf-item-item", "cf-als", "cf-category", "popularity", "lambdamart-towers-transfer"];
        var html = RecReport.Render("t", [], [.. names.Select((n, i) => Run(n, 0.1 * (i % 7), 0.3, 0.2))], "bm25", ["ndcg@20", "hr@20"]);
        var sizes = SearchRec.Testing.HtmlPages.ChartSizes(html);
        Assert.Equal(2, sizes.Count);
        Assert.All(sizes, s => Assert.InRange(s.Width, 1, Charts.MaxWidth));
        Assert.All(sizes, s => Assert.True(s.Height > 360, $"no room below the axis for slanted names: {s.Height} px"));
        // Two short names fit upright: the chart keeps its height.
        Assert.All(SearchRec.Testing.HtmlPages.ChartSizes(RecReport.Render("t", [], [Run("repeat", 0.1, 0.3), Run("als", 0.4, 0.2)], "repeat", ["ndcg@20"])),
            s => Assert.Equal(360, s.Height));
    }
}
