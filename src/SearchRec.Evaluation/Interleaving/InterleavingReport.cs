using System.Globalization;
using ScottPlot;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Core.Statistics;
using SearchRec.Ranking.Interleaving;
using static SearchRec.Evaluation.Reports.Html;

namespace SearchRec.Evaluation.Interleaving;

/// <summary>A logged interleaved page and what the user's later events credited each team with.</summary>
/// <param name="Impression">The page shown.</param>
/// <param name="Credit">Engaged items of each team's picks.</param>
public sealed record CreditedImpression(InterleavingImpression Impression, InterleavingCredit Credit);

/// <summary>
/// Reads an interleaving comparison off the service's logs: each logged page (<see cref="JsonlInterleavingLog"/>) is
/// joined with the same user's later events on its items, then summed up overall and per query text, and written as
/// an HTML page with the cumulative preference over time.
/// </summary>
public static class InterleavingReport
{
    /// <summary>
    /// Credits each impression with <see cref="TeamDraft.Credit"/>: an item is engaged when the impression's user has an
    /// event of any behaviour on it no earlier than the request (to the second, as events carry whole seconds) and no
    /// later than <paramref name="window"/> after it, and that impression is the user's latest one showing the item at
    /// or before the event. So one event credits one page: a search repeated or reloaded (the same draft shown again),
    /// or an item shown on page 1 and then on page 2, does not turn one click into two wins. Impressions come back in
    /// the order given.
    /// </summary>
    public static IReadOnlyList<CreditedImpression> Credit(IEnumerable<InterleavingImpression> impressions, IReadOnlyList<UserEvent> events, TimeSpan window)
    {
        Guard.NotNull(impressions);
        Guard.NotNull(events);
        if (window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(window), window, "window must be positive.");
        var pages = impressions as IReadOnlyList<InterleavingImpression> ?? [.. impressions];
        var starts = new long[pages.Count];
        for (var p = 0; p < pages.Count; p++) starts[p] = pages[p].Timestamp.ToUnixTimeSeconds();
        // Which pages showed each (user, item), indexed from the pages rather than the events (the events may be far
        // more, and most are of users and items no page showed), as a chain per key in time order (to the second the
        // events are compared at; log order among equals): a few machine words per item shown.
        var order = new int[pages.Count];
        for (var p = 0; p < order.Length; p++) order[p] = p;
        Array.Sort(order, (x, y) => starts[x] != starts[y] ? starts[x].CompareTo(starts[y]) : x.CompareTo(y));
        var chains = new Dictionary<(long User, long Item), (int Head, int Tail)>();
        var showings = new List<(int Page, int Slot, int Next)>();
        foreach (var p in order)
        {
            var page = pages[p];
            for (var slot = 0; slot < page.Items.Count; slot++)
            {
                if (!long.TryParse(page.Items[slot].ItemId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) continue;
                var key = (page.UserId, id);
                if (chains.TryGetValue(key, out var chain))
                {
                    var tail = showings[chain.Tail];
                    if (tail.Page == p) continue; // the same item twice on one page
                    showings[chain.Tail] = tail with { Next = showings.Count };
                    chains[key] = (chain.Head, showings.Count);
                }
                else chains[key] = (showings.Count, showings.Count);
                showings.Add((p, slot, -1));
            }
        }
        var windowSeconds = (long)window.TotalSeconds;
        var engaged = new HashSet<string>?[pages.Count];
        foreach (var e in events)
        {
            if (!chains.TryGetValue((e.UserId, e.ItemId), out var chain)) continue;
            // The latest showing at or before the event; if its window is over, every earlier one's is too.
            var latest = -1;
            for (var i = chain.Head; i >= 0 && starts[showings[i].Page] <= e.Timestamp; i = showings[i].Next) latest = i;
            if (latest < 0) continue;
            var (page, at, _) = showings[latest];
            if (e.Timestamp > starts[page] + windowSeconds) continue;
            (engaged[page] ??= new HashSet<string>(StringComparer.Ordinal)).Add(pages[page].Items[at].ItemId);
        }
        IReadOnlySet<string> none = new HashSet<string>();
        var credited = new List<CreditedImpression>(pages.Count);
        for (var p = 0; p < pages.Count; p++)
            credited.Add(new CreditedImpression(pages[p], TeamDraft.Credit(pages[p].Items, (IReadOnlySet<string>?)engaged[p] ?? none)));
        return credited;
    }

    /// <summary>
    /// Merges each search's pages into one impression, as interleaving counts a query's list, not its pages (Chapelle
    /// et al., TOIS 2012): a page after the first (offset above 0) joins the same user's latest search of the same
    /// query text and comparison when that search's previous page was shown at most <paramref name="window"/> before;
    /// every first page, and a later page without such a search, begins one. The merged impression is the first page's
    /// with every page's items in the order shown, and its credit adds up the pages' (an event credits one page only,
    /// so nothing counts twice). So a shopper who clicks on page 1 and page 2 of one search casts one vote, not two
    /// correlated ones that the sign test would read as independent. Searches come back in time order of their first
    /// page.
    /// </summary>
    public static IReadOnlyList<CreditedImpression> Searches(IReadOnlyList<CreditedImpression> credited, TimeSpan window)
    {
        Guard.NotNull(credited);
        if (window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(window), window, "window must be positive.");
        var order = new int[credited.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) =>
        {
            var byTime = credited[x].Impression.Timestamp.CompareTo(credited[y].Impression.Timestamp);
            return byTime != 0 ? byTime : x.CompareTo(y);
        });
        var searches = new List<(CreditedImpression First, List<InterleavedItem>? Items, int Control, int Challenger)>(credited.Count);
        var open = new Dictionary<(long User, string Query, InterleavedRankers Rankers), (int Search, DateTimeOffset Last)>();
        foreach (var i in order)
        {
            var page = credited[i];
            var p = page.Impression;
            var key = (p.UserId, p.Query, p.Rankers);
            if (p.Offset > 0 && open.TryGetValue(key, out var search) && p.Timestamp - search.Last <= window)
            {
                var s = searches[search.Search];
                var items = s.Items ?? [.. s.First.Impression.Items];
                items.AddRange(p.Items);
                searches[search.Search] = (s.First, items, s.Control + page.Credit.Control, s.Challenger + page.Credit.Challenger);
                open[key] = (search.Search, p.Timestamp);
                continue;
            }
            open[key] = (searches.Count, p.Timestamp);
            searches.Add((page, null, page.Credit.Control, page.Credit.Challenger));
        }
        var merged = new CreditedImpression[searches.Count];
        for (var i = 0; i < merged.Length; i++)
        {
            var (first, items, control, challenger) = searches[i];
            merged[i] = items is null ? first : new CreditedImpression(first.Impression with { Items = items }, new InterleavingCredit(control, challenger));
        }
        return merged;
    }

    /// <summary>
    /// The summary of each of the <paramref name="top"/> most frequent query texts (by impressions; ties by text,
    /// ordinal), most frequent first.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, InterleavingSummary>> ByQuery(IReadOnlyList<CreditedImpression> credited, int top = 20)
    {
        Guard.NotNull(credited);
        return [.. credited.GroupBy(c => c.Impression.Query, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, InterleavingSummary.Of(g.Select(c => c.Credit))))
            .OrderByDescending(kv => kv.Value.Impressions).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(Math.Max(0, top))];
    }

    /// <summary>
    /// Each row's sign-test p adjusted by Holm's method over the rows with an engaged search (NaN for the others): the
    /// per-query rows are that many tests read at once, and the smallest of 20 raw p-values falls below 0.05 by chance
    /// alone in up to two comparisons of identical rankers out of three (1 − 0.95^20; fewer, as sign tests of few searches are coarse).
    /// </summary>
    public static double[] HolmPerQuery(IReadOnlyList<KeyValuePair<string, InterleavingSummary>> rows)
    {
        Guard.NotNull(rows);
        var tested = new List<int>(rows.Count);
        for (var i = 0; i < rows.Count; i++) if (rows[i].Value.Engaged > 0) tested.Add(i);
        var adjusted = SignificanceTests.Holm(tested.ConvertAll(i => rows[i].Value.PValue));
        var result = new double[rows.Count];
        Array.Fill(result, double.NaN);
        for (var t = 0; t < tested.Count; t++) result[tested[t]] = adjusted[t];
        return result;
    }

    /// <summary>Δ after each impression in time order (the first value after the earliest impression): how the preference settled as evidence came in.</summary>
    internal static double[] CumulativePreference(IReadOnlyList<CreditedImpression> credited)
    {
        Guard.NotNull(credited);
        var ordered = credited.OrderBy(c => c.Impression.Timestamp).ToArray();
        var deltas = new double[ordered.Length];
        int engaged = 0, wins = 0, ties = 0;
        for (var i = 0; i < ordered.Length; i++)
        {
            var c = ordered[i].Credit;
            if (c.Engaged)
            {
                engaged++;
                if (c.Winner == InterleavingTeam.Challenger) wins++;
                else if (c.Winner is null) ties++;
            }
            deltas[i] = new InterleavingSummary(i + 1, engaged, engaged - wins - ties, wins, ties).Preference;
        }
        return deltas;
    }

    /// <summary>Writes the HTML page to <paramref name="path"/> (creating its folder).</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="notes">Lines printed under the title: logs, events, window.</param>
    /// <param name="credited">The credited impressions.</param>
    /// <param name="top">How many of the most frequent queries get a row of their own.</param>
    public static void Write(string path, IReadOnlyList<string> notes, IReadOnlyList<CreditedImpression> credited, int top = 20)
    {
        Guard.NotNull(path);
        Save(path, Render(notes, credited, top));
    }

    /// <summary>
    /// The page as text: the overall summary, the rankers compared, the per-query table and the cumulative Δ chart,
    /// counting each entry of <paramref name="credited"/> as one search (pass <see cref="Searches"/>' merged pages).
    /// Throws when the impressions compare more than one pair of rankers: two experiments' wins do not add up.
    /// </summary>
    public static string Render(IReadOnlyList<string> notes, IReadOnlyList<CreditedImpression> credited, int top = 20)
    {
        Guard.NotNull(notes);
        Guard.NotNull(credited);
        var pairs = credited.Select(c => c.Impression.Rankers).Distinct().ToList();
        if (pairs.Count > 1)
            throw new ArgumentException($"The impressions compare {pairs.Count} pairs of rankers ({string.Join("; ", pairs.Select(r => r.ControlName + " against " + r.ChallengerName))}); report one comparison at a time.", nameof(credited));
        const string title = "Interleaving: control against challenger";
        var h = Begin(title);
        h.Append("<h1>").Append(Enc(title)).Append("</h1>");
        foreach (var n in notes) h.Append("<p>").Append(Enc(n)).Append("</p>");
        foreach (var pair in pairs)
            h.Append("<p>control <b>").Append(Enc(pair.ControlName)).Append("</b> (").Append(Enc(pair.ControlKind)).Append(") against challenger <b>")
                .Append(Enc(pair.ChallengerName)).Append("</b> (").Append(Enc(pair.ChallengerKind)).Append(")</p>");
        var byQuery = ByQuery(credited, top);
        var holm = HolmPerQuery(byQuery);
        var tested = holm.Count(p => !double.IsNaN(p));
        h.Append("<p>Δ = (challenger wins + ties / 2) / engaged searches − 1/2: positive when users preferred the challenger's picks; p is the two-sided sign test of the wins against the losses. ")
            .Append("The per-query rows are ").Append(tested.ToString(CultureInfo.InvariantCulture)).Append(" tests read at once, so their colour follows p adjusted by Holm's method over them (p Holm); the all row is the one test planned.</p>");
        h.Append("<table><tr><th>query</th><th>searches</th><th>engaged</th><th>control wins</th><th>challenger wins</th><th>ties</th><th>Δ</th><th>p</th><th>p Holm</th></tr>");
        var all = InterleavingSummary.Of(credited.Select(c => c.Credit));
        Row(h, "all", all, all.PValue);
        for (var i = 0; i < byQuery.Count; i++) Row(h, byQuery[i].Key, byQuery[i].Value, holm[i]);
        h.Append("</table>");
        if (credited.Any(c => c.Credit.Engaged))
            h.Append("<h2>Cumulative Δ over searches, in time order</h2><img alt=\"cumulative preference\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(Chart(CumulativePreference(credited)))).Append("\">");
        else
            // A flat line at 0 would read as a tie that evidence settled; there is no evidence at all.
            h.Append("<p><b>No search was engaged with</b> (no later event of its user on an item it showed): nothing to prefer either ranker by yet, so no chart.</p>");
        End(h);
        return h.ToString();
    }

    // judged: the p the row is judged by (Holm's for a query's row), which colours it.
    private static void Row(System.Text.StringBuilder h, string query, InterleavingSummary s, double judged)
    {
        h.Append("<tr><td>").Append(Enc(query)).Append("</td>");
        foreach (var n in new[] { s.Impressions, s.Engaged, s.ControlWins, s.ChallengerWins, s.Ties })
            h.Append("<td>").Append(n.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
        // Without an engaged search there is no Δ, and a sign test of no wins says nothing: not "0.000" and "1.0000".
        if (s.Engaged == 0) { h.Append("<td>–</td><td class=\"ns\">–</td><td class=\"ns\">–</td></tr>"); return; }
        var css = judged < 0.05 ? "sig" : "ns";
        h.Append("<td>").Append(s.Preference.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture)).Append("</td><td class=\"").Append(css).Append("\">")
            .Append(P(s.PValue)).Append("</td><td class=\"").Append(css).Append("\">").Append(P(judged)).Append("</td></tr>");
    }

    // A p that rounds to 0.0000 is not zero.
    private static string P(double p) => p < 0.00005 ? "&lt; 0.0001" : F(p, 4);

    /// <summary>Most points the chart draws: a log of millions of pages is thinned to evenly spaced ones, the last kept.</summary>
    internal const int MaxChartPoints = 2_000;

    /// <summary>The impression numbers (1-based) the chart plots and Δ after each: every one up to <see cref="MaxChartPoints"/>, else evenly spaced ones ending with the last.</summary>
    internal static (double[] Xs, double[] Ys) ChartPoints(double[] deltas)
    {
        var n = Math.Min(deltas.Length, MaxChartPoints);
        var xs = new double[n];
        var ys = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Evenly spaced over the whole run, so the last point is the final Δ.
            var at = n == deltas.Length ? i : (int)((long)i * (deltas.Length - 1) / (n - 1));
            xs[i] = at + 1;
            ys[i] = deltas[at];
        }
        return (xs, ys);
    }

    private static byte[] Chart(double[] deltas)
    {
        var plot = new Plot();
        var (xs, ys) = ChartPoints(deltas);
        var line = plot.Add.Scatter(xs, ys);
        line.MarkerSize = deltas.Length > 200 ? 0 : 4;
        line.Color = Colors.SteelBlue;
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Gray;
        zero.LinePattern = LinePattern.Dashed;
        plot.Axes.SetLimitsY(-0.5, 0.5);
        // Searches are counted: no "2.4 searches" ticks on a short log.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.XLabel("searches");
        plot.YLabel("Δ (challenger preferred > 0)");
        return plot.GetImageBytes(720, 360, ImageFormat.Png);
    }
}
