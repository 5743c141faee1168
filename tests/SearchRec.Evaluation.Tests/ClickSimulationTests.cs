using SearchRec.Evaluation.Interleaving;
using SearchRec.Evaluation.Reports;
using SearchRec.Evaluation.Trec;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class ClickSimulationTests
{
    // Twenty queries, one relevant item each among ten: A shows it sixth, B first (or, with `same`, sixth as well).
    private static (TrecRun A, TrecRun B, Qrels Qrels) Runs(bool same = false)
    {
        var a = new TrecRun("a");
        var b = new TrecRun("b");
        var qrels = new Qrels();
        for (var q = 0; q < 20; q++)
        {
            var qid = "q" + q;
            var others = Enumerable.Range(0, 9).Select(i => $"{qid}-d{i}").ToList();
            var relevant = qid + "-rel";
            qrels.Set(qid, relevant, 1);
            qrels.Set(qid, others[0], 0);
            a.Set(qid, Ranked([.. others[..5], relevant, .. others[5..]]));
            b.Set(qid, Ranked(same ? [.. others[..5], relevant, .. others[5..]] : [relevant, .. others]));
        }
        return (a, b, qrels);
    }

    private static (string, float)[] Ranked(IReadOnlyList<string> ids) => ids.Select((d, i) => (d, (float)(100 - i))).ToArray();

    [Theory]
    [InlineData(ClickModelKind.PositionBased)]
    [InlineData(ClickModelKind.Cascade)]
    public void Interleaving_picks_the_run_that_shows_the_relevant_item_first_at_a_modest_sample_and_never_the_other(ClickModelKind model)
    {
        var (a, b, qrels) = Runs();
        var r = ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions { Impressions = 500, Trials = 100, ClickModel = model });

        Assert.Equal(1, r.OfflineSide);
        Assert.True(r.NdcgB > r.NdcgA + 0.5, $"nDCG A {r.NdcgA}, B {r.NdcgB}");
        Assert.NotNull(r.InterleavingImpressionsNeeded);
        Assert.True(r.InterleavingImpressionsNeeded <= 100, $"interleaving needed {r.InterleavingImpressionsNeeded}");
        Assert.All(r.Points, p => Assert.Equal(0, p.Interleaving.SignificantWrong));
        Assert.Equal(1, r.Points[^1].Interleaving.SignificantRight);
        Assert.Equal(0, r.Points[^1].Interleaving.LeansWrong);
        Assert.True(r.InterleavingPreference > 0.2, $"preference {r.InterleavingPreference}");
    }

    [Fact]
    public void Under_the_cascade_model_the_first_clicks_reciprocal_rank_tells_the_arms_apart_sooner_than_clicks_per_impression()
    {
        var (a, b, qrels) = Runs();
        ClickSimulationResult With(AbSplitMetric metric) => ClickSimulation.Run(a, b, qrels,
            new ClickSimulationOptions { Impressions = 1_000, Trials = 100, ClickModel = ClickModelKind.Cascade, AbMetric = metric });
        var clicks = With(AbSplitMetric.ClicksPerImpression);
        var rr = With(AbSplitMetric.FirstClickReciprocalRank);

        // Cascade shoppers scan until they click, so either list earns about as many clicks; only where they click differs.
        Assert.InRange(clicks.ClicksPerImpressionB / clicks.ClicksPerImpressionA, 0.8, 1.25);
        Assert.NotNull(rr.AbSplitImpressionsNeeded);
        Assert.True(clicks.AbSplitImpressionsNeeded is null || clicks.AbSplitImpressionsNeeded > rr.AbSplitImpressionsNeeded,
            $"clicks {clicks.AbSplitImpressionsNeeded}, rr {rr.AbSplitImpressionsNeeded}");
        Assert.Equal(clicks.Points.Select(p => p.Interleaving), rr.Points.Select(p => p.Interleaving));
    }

    [Fact]
    public void Identical_runs_are_significant_about_as_often_as_the_nominal_rate_and_never_right()
    {
        var (a, b, qrels) = Runs(same: true);
        var r = ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions { Impressions = 400, Trials = 1000, Seed = 7 });

        Assert.Equal(0, r.OfflineSide);
        Assert.Null(r.InterleavingImpressionsNeeded);
        Assert.Null(r.AbSplitImpressionsNeeded);
        var last = r.Points[^1];
        Assert.All(r.Points, p => Assert.Equal(0, p.Interleaving.SignificantRight));
        Assert.True(double.IsNaN(last.Interleaving.LeansWrong));
        // The sign test is exact and so at most nominal; Welch's test is near it with 200 impressions an arm.
        Assert.InRange(last.Interleaving.SignificantWrong, 0.01, 0.07);
        Assert.InRange(last.AbSplit.SignificantWrong, 0.02, 0.08);
        Assert.InRange(r.InterleavingPreference, -0.02, 0.02);
    }

    [Fact]
    public void The_same_seed_gives_the_same_figures_and_another_seed_other_ones()
    {
        var (a, b, qrels) = Runs();
        var options = new ClickSimulationOptions { Impressions = 100, Trials = 40, Seed = 3 };
        var first = ClickSimulation.Run(a, b, qrels, options);
        var again = ClickSimulation.Run(a, b, qrels, options);
        var other = ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions { Impressions = 100, Trials = 40, Seed = 4 });

        Assert.Equal(first.Points, again.Points);
        Assert.Equal(first.ClicksPerImpressionA, again.ClicksPerImpressionA);
        Assert.NotEqual(first.ClicksPerImpressionA, other.ClicksPerImpressionA);
    }

    [Fact]
    public void Progress_is_told_of_every_finished_trial()
    {
        var (a, b, qrels) = Runs();
        var reported = new System.Collections.Concurrent.ConcurrentBag<int>();
        ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions { Impressions = 20, Trials = 30 }, new Reporter(reported.Add));
        Assert.Equal(Enumerable.Range(1, 30), reported.Order());
    }

    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    [Theory]
    [InlineData(ClickModelKind.PositionBased)]
    [InlineData(ClickModelKind.Cascade)]
    public void Click_through_by_rank_falls_with_rank(ClickModelKind kind)
    {
        var model = new ClickModel(kind, topGrade: 2);
        var random = new SimRandom(11);
        var clicked = new bool[10];
        var ctr = new double[10];
        ReadOnlySpan<int> grades = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2];
        const int Shoppers = 200_000;
        for (var s = 0; s < Shoppers; s++)
        {
            model.Simulate(grades, ref random, clicked);
            for (var i = 0; i < ctr.Length; i++) if (clicked[i]) ctr[i] += 1.0 / Shoppers;
        }

        Assert.InRange(ctr[0], 0.94, 0.96); // rank 1 is always examined, and the top grade attracts 0.95
        for (var i = 1; i < ctr.Length; i++) Assert.True(ctr[i] <= ctr[i - 1], $"rank {i + 1}: {ctr[i]} above rank {i}: {ctr[i - 1]}");
        Assert.True(ctr[9] < ctr[0] / 5, $"rank 10: {ctr[9]}");
    }

    [Fact]
    public void Attraction_rises_from_noise_at_grade_zero_to_the_top_grade()
    {
        var model = new ClickModel(ClickModelKind.PositionBased, topGrade: 2);
        Assert.Equal(0.05, model.Attraction(0), 12);
        Assert.Equal(0.50, model.Attraction(1), 12);
        Assert.Equal(0.95, model.Attraction(2), 12);
        Assert.Equal(0.95, model.Attraction(4), 12);
    }

    [Fact]
    public void The_grid_runs_one_two_five_up_to_the_impressions_and_ends_at_them()
    {
        Assert.Equal([10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000], ClickSimulation.Grid(20_000));
        Assert.Equal([10, 20, 50, 100, 200, 300], ClickSimulation.Grid(300));
        Assert.Equal([10], ClickSimulation.Grid(10));
    }

    [Theory]
    [InlineData(0, 100, 10, "ClickSimulationOptions.K must be between 1 and 100")]
    [InlineData(10, 9, 10, "ClickSimulationOptions.Impressions must be between 10 and 10,000,000")]
    [InlineData(10, 100, 0, "ClickSimulationOptions.Trials must be between 1 and 100,000")]
    public void Options_out_of_range_are_refused_naming_the_setting(int k, int impressions, int trials, string message)
    {
        var (a, b, qrels) = Runs();
        var e = Assert.Throws<ArgumentException>(() =>
            ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions { K = k, Impressions = impressions, Trials = trials }));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Qrels_without_a_relevant_document_are_refused()
    {
        var (a, b, _) = Runs();
        var qrels = new Qrels();
        qrels.Set("q0", "q0-rel", 0);
        var e = Assert.Throws<ArgumentException>(() => ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions()));
        Assert.Contains("no document graded above 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Welch_test_matches_the_t_distribution_where_it_has_a_closed_form()
    {
        // df 1 is Cauchy, df 2 has P(|T| ≥ t) = 1 − t / √(2 + t²); 2.228139 is the two-sided 5% point at df 10.
        Assert.Equal(1 - 2 / Math.PI * Math.Atan(1.5), WelchTest.TwoSidedT(1.5, 1), 9);
        Assert.Equal(1 - 3 / Math.Sqrt(2 + 9), WelchTest.TwoSidedT(-3, 2), 9);
        Assert.Equal(0.05, WelchTest.TwoSidedT(2.228138852, 10), 6);
        Assert.Equal(1, WelchTest.TwoSidedT(0, 5), 12);
        // Two samples of two with equal spread: t = (1.5 − 3.5) / √(0.25 + 0.25), df 2.
        Assert.Equal(WelchTest.TwoSidedT(-2 / Math.Sqrt(0.5), 2), WelchTest.PValue(2, 3, 5, 2, 7, 25), 12);
        Assert.Equal(1, WelchTest.PValue(3, 3, 3, 3, 3, 3));
        Assert.Equal(0, WelchTest.PValue(3, 3, 3, 3, 0, 0));
    }

    [Fact]
    public void The_report_shows_the_grid_the_offline_sides_and_a_chart()
    {
        var (a, b, qrels) = Runs();
        var r = ClickSimulation.Run(a, b, qrels, new ClickSimulationOptions { Impressions = 50, Trials = 20 });
        var html = InterleavingSimulationReport.Render(["A: a.run; B: b.run."], r);

        Assert.Contains("<p>A: a.run; B: b.run.</p>", html, StringComparison.Ordinal);
        Assert.Contains("the side a test should pick: B", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>50</td>", html, StringComparison.Ordinal);
        Assert.Contains("position-based model", html, StringComparison.Ordinal);
        HtmlFooterTests.AssertFooter(html);
        // The chart draws both sides; the wrong side's lines, at 0 % on a grid this easy, must not lie on its frame.
        Assert.Contains("on the right side (solid lines) and on the wrong side (dashed)", html, StringComparison.Ordinal);
        Assert.Contains("src=\"data:image/png;base64,", html, StringComparison.Ordinal);
    }
}
