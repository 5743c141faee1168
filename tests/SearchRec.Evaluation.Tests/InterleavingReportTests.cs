using SearchRec.Core.Events;
using SearchRec.Evaluation.Interleaving;
using SearchRec.Ranking.Interleaving;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class InterleavingReportTests
{
    private static readonly DateTimeOffset T = new(2025, 6, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly InterleavedRankers Pair = new("ranker", "lambdamart", "ranker-b", "weighted");

    private static InterleavingImpression Page(long user, TimeSpan at, int offset, params (string Id, InterleavingTeam Team)[] items) =>
        new($"r{user}-{at.TotalSeconds}-{offset}", T + at, user, "连衣裙", offset, [.. items.Select(i => new InterleavedItem(i.Id, i.Team))], Pair);

    private static UserEvent View(long user, long item, TimeSpan at) => new(user, item, 1, Behavior.View, (T + at).ToUnixTimeSeconds());

    [Fact]
    public void One_event_credits_only_the_latest_page_that_showed_its_item_before_it_so_a_repeated_search_does_not_count_a_click_twice()
    {
        const InterleavingTeam A = InterleavingTeam.Control, B = InterleavingTeam.Challenger;
        InterleavingImpression[] pages =
        [
            // The user searches, then searches again (or reloads) a minute later: the same draft twice.
            Page(1, TimeSpan.Zero, 0, ("101", A), ("102", B)),
            Page(1, TimeSpan.FromMinutes(1), 0, ("101", A), ("102", B)),
            // Another user: page 1, then page 2, whose ranking moved 203 from page 1 to page 2.
            Page(2, TimeSpan.Zero, 0, ("201", B), ("203", A)),
            Page(2, TimeSpan.FromSeconds(10), 2, ("203", B), ("204", A)),
        ];
        UserEvent[] events =
        [
            View(1, 102, TimeSpan.FromMinutes(2)),
            View(1, 102, TimeSpan.FromMinutes(2)),  // a duplicated event
            View(2, 203, TimeSpan.FromSeconds(20)),
            View(3, 101, TimeSpan.FromMinutes(2)),  // another user's
        ];

        var credited = InterleavingReport.Credit(pages, events, TimeSpan.FromMinutes(30));

        Assert.Equal([new InterleavingCredit(0, 0), new InterleavingCredit(0, 1), new InterleavingCredit(0, 0), new InterleavingCredit(0, 1)],
            credited.Select(c => c.Credit));
        Assert.Equal(new InterleavingSummary(4, 2, 0, 2, 0), InterleavingSummary.Of(credited.Select(c => c.Credit)));
    }

    [Fact]
    public void An_event_between_two_showings_credits_the_earlier_page_and_one_at_the_request_second_counts()
    {
        const InterleavingTeam A = InterleavingTeam.Control, B = InterleavingTeam.Challenger;
        InterleavingImpression[] pages =
        [
            Page(1, TimeSpan.FromSeconds(0.4), 0, ("101", A), ("102", B)),
            Page(1, TimeSpan.FromMinutes(5), 0, ("102", A), ("101", B)),
        ];
        UserEvent[] events = [View(1, 101, TimeSpan.Zero), View(1, 102, TimeSpan.FromMinutes(1)), View(1, 101, TimeSpan.FromMinutes(31))];

        var credited = InterleavingReport.Credit(pages, events, TimeSpan.FromMinutes(30));

        // 101 at the request's second and 102 a minute later credit the first page; the view of 101 at 31 min is
        // past the first page's window (30 min) but within the second's (to 35 min).
        Assert.Equal([new InterleavingCredit(1, 1), new InterleavingCredit(0, 1)], credited.Select(c => c.Credit));
    }

    [Fact]
    public void A_searchs_later_pages_count_with_its_first_so_clicks_on_two_pages_cast_one_vote()
    {
        const InterleavingTeam A = InterleavingTeam.Control, B = InterleavingTeam.Challenger;
        InterleavingImpression[] pages =
        [
            // User 1: page 1 and page 2 of one search, a click on a control pick on each.
            Page(1, TimeSpan.Zero, 0, ("101", A), ("102", B)),
            Page(1, TimeSpan.FromMinutes(1), 2, ("103", A), ("104", B)),
            // User 2: a control pick on page 1, a challenger pick on page 2: one search, a tie.
            Page(2, TimeSpan.Zero, 0, ("201", A), ("202", B)),
            Page(2, TimeSpan.FromMinutes(1), 2, ("203", B), ("204", A)),
            // User 3: the same query searched anew an hour apart is two searches; a page 2 shown past the window
            // after its page 1 begins a search of its own.
            Page(3, TimeSpan.Zero, 0, ("301", A), ("302", B)),
            Page(3, TimeSpan.FromHours(1), 0, ("301", A), ("302", B)),
            Page(3, TimeSpan.FromHours(2), 2, ("303", B), ("304", A)),
        ];
        UserEvent[] events =
        [
            View(1, 101, TimeSpan.FromMinutes(0.5)), View(1, 103, TimeSpan.FromMinutes(2)),
            View(2, 201, TimeSpan.FromMinutes(0.5)), View(2, 203, TimeSpan.FromMinutes(2)),
            View(3, 302, TimeSpan.FromMinutes(1)), View(3, 301, TimeSpan.FromMinutes(61)), View(3, 303, TimeSpan.FromMinutes(121)),
        ];
        var window = TimeSpan.FromMinutes(30);
        var credited = InterleavingReport.Credit(pages, events, window);
        // Page by page, user 1 would count twice for the control and user 2 once for each ranker.
        Assert.Equal(new InterleavingSummary(7, 7, 4, 3, 0), InterleavingSummary.Of(credited.Select(c => c.Credit)));

        var searches = InterleavingReport.Searches(credited, window);

        Assert.Equal([new InterleavingCredit(2, 0), new InterleavingCredit(1, 1), new InterleavingCredit(0, 1), new InterleavingCredit(1, 0), new InterleavingCredit(0, 1)],
            searches.Select(c => c.Credit));
        Assert.Equal(["101", "102", "103", "104"], searches[0].Impression.Items.Select(i => i.ItemId));
        Assert.Equal(pages[0].RequestId, searches[0].Impression.RequestId);
        Assert.Equal(new InterleavingSummary(5, 5, 2, 2, 1), InterleavingSummary.Of(searches.Select(c => c.Credit)));
    }

    [Fact]
    public void Pages_of_other_users_queries_or_comparisons_are_not_merged()
    {
        const InterleavingTeam A = InterleavingTeam.Control, B = InterleavingTeam.Challenger;
        var first = Page(1, TimeSpan.Zero, 0, ("101", A), ("102", B));
        InterleavingImpression[] pages =
        [
            first,
            Page(2, TimeSpan.FromMinutes(1), 2, ("103", A), ("104", B)),
            Page(1, TimeSpan.FromMinutes(1), 2, ("105", A), ("106", B)) with { Query = "手机" },
            Page(1, TimeSpan.FromMinutes(1), 2, ("107", A), ("108", B)) with { Rankers = new InterleavedRankers("ranker", "lambdamart", "ranker-c", "linear") },
        ];

        var searches = InterleavingReport.Searches(InterleavingReport.Credit(pages, [], TimeSpan.FromMinutes(30)), TimeSpan.FromMinutes(30));

        Assert.Equal(4, searches.Count);
        Assert.Same(first, searches[0].Impression);
    }

    [Fact]
    public void The_page_refuses_to_add_up_two_comparisons()
    {
        var other = new InterleavedRankers("ranker", "lambdamart", "ranker-c", "linear");
        var first = Page(1, TimeSpan.Zero, 0, ("101", InterleavingTeam.Control), ("102", InterleavingTeam.Challenger));
        var second = Page(2, TimeSpan.Zero, 0, ("201", InterleavingTeam.Control), ("202", InterleavingTeam.Challenger)) with { Rankers = other };
        var credited = InterleavingReport.Credit([first, second], [View(1, 102, TimeSpan.FromMinutes(1))], TimeSpan.FromMinutes(30));

        var e = Assert.Throws<ArgumentException>(() => InterleavingReport.Render([], credited));
        Assert.Contains("2 pairs of rankers", e.Message, StringComparison.Ordinal);
        Assert.Contains("ranker against ranker-c", e.Message, StringComparison.Ordinal);
        Assert.Contains("ranker-b", InterleavingReport.Render([], [credited[0]]), StringComparison.Ordinal);
        HtmlFooterTests.AssertFooter(InterleavingReport.Render([], [credited[0]]));
    }

    [Fact]
    public void The_chart_of_a_long_log_is_thinned_to_evenly_spaced_points_ending_with_the_final_preference()
    {
        var deltas = Enumerable.Range(0, 1_000_000).Select(i => i / 1e7).ToArray();
        var (xs, ys) = InterleavingReport.ChartPoints(deltas);
        Assert.Equal(InterleavingReport.MaxChartPoints, xs.Length);
        Assert.Equal(1, xs[0]);
        Assert.Equal(1_000_000, xs[^1]);
        Assert.Equal(deltas[^1], ys[^1]);
        Assert.True(xs.Zip(xs.Skip(1)).All(p => p.Second > p.First));

        var (few, _) = InterleavingReport.ChartPoints([0.1, 0.2, 0.3]);
        Assert.Equal([1.0, 2, 3], few);
    }

    [Fact]
    public void A_query_significant_alone_but_not_among_the_queries_read_at_once_is_not_coloured_significant()
    {
        const InterleavingTeam A = InterleavingTeam.Control, B = InterleavingTeam.Challenger;
        // 连衣裙: 7 searches, every one won by the challenger (sign test p 0.0156); 手机, 耳机 and 鞋子: one tie each.
        var pages = new List<InterleavingImpression>();
        var events = new List<UserEvent>();
        for (var u = 1; u <= 7; u++)
        {
            pages.Add(Page(u, TimeSpan.FromMinutes(u), 0, ("101", A), ("102", B)));
            events.Add(View(u, 102, TimeSpan.FromMinutes(u + 1)));
        }
        foreach (var (u, q) in new[] { (20, "手机"), (21, "耳机"), (22, "鞋子") })
        {
            pages.Add(Page(u, TimeSpan.FromMinutes(u), 0, ("101", A), ("102", B)) with { Query = q });
            events.Add(View(u, 101, TimeSpan.FromMinutes(u + 1)));
            events.Add(View(u, 102, TimeSpan.FromMinutes(u + 1)));
        }
        var credited = InterleavingReport.Credit(pages, events, TimeSpan.FromMinutes(30));
        var rows = InterleavingReport.ByQuery(credited);

        var holm = InterleavingReport.HolmPerQuery(rows);
        var html = InterleavingReport.Render([], credited);

        Assert.Equal(0.015625, rows[0].Value.PValue, 9);
        Assert.Equal(4 * 0.015625, holm[0], 12);
        Assert.Equal([1.0, 1, 1], holm[1..]);
        Assert.Contains("<tr><td>连衣裙</td><td>7</td><td>7</td><td>0</td><td>7</td><td>0</td><td>+0.500</td><td class=\"ns\">0.0156</td><td class=\"ns\">0.0625</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("4 tests read at once", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_nobody_engaged_with_says_so_instead_of_a_flat_chart_and_a_p_of_one()
    {
        const InterleavingTeam A = InterleavingTeam.Control, B = InterleavingTeam.Challenger;
        var pages = Enumerable.Range(1, 5).Select(u => Page(u, TimeSpan.FromMinutes(u), 0, ("101", A), ("102", B))).ToList();
        var credited = InterleavingReport.Credit(pages, [View(9, 101, TimeSpan.FromMinutes(1))], TimeSpan.FromMinutes(30));

        var html = InterleavingReport.Render([], credited);

        Assert.Equal(0, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
        Assert.Contains("<b>No search was engaged with</b>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>all</td><td>5</td><td>0</td><td>0</td><td>0</td><td>0</td><td>–</td><td class=\"ns\">–</td><td class=\"ns\">–</td></tr>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("1.0000", html, StringComparison.Ordinal);
        HtmlFooterTests.AssertFooter(html);

        // One engaged search brings the chart back, and its row its Δ; the rows of queries nobody engaged with keep "–".
        var engaged = InterleavingReport.Credit([.. pages, Page(6, TimeSpan.FromMinutes(6), 0, ("101", A), ("102", B)) with { Query = "手机" }],
            [View(6, 102, TimeSpan.FromMinutes(7))], TimeSpan.FromMinutes(30));
        html = InterleavingReport.Render([], engaged);
        Assert.Equal(1, SearchRec.Testing.HtmlPages.EmbeddedCharts(html));
        Assert.DoesNotContain("No search was engaged with", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>手机</td><td>1</td><td>1</td><td>0</td><td>1</td><td>0</td><td>+0.500</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>–</td><td class=\"ns\">–</td><td class=\"ns\">–</td></tr>", html, StringComparison.Ordinal);
    }
}
