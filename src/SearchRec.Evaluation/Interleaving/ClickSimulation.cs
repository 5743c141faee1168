using System.Globalization;
using SearchRec.Core;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Trec;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Evaluation.Interleaving;

/// <summary>What the A/B split compares between its arms, per impression.</summary>
public enum AbSplitMetric
{
    /// <summary>Clicks per impression. Blind to order under the cascade model, whose shoppers scan until they click.</summary>
    ClicksPerImpression = 0,

    /// <summary>The reciprocal rank of the impression's first click, 0 without one (Chapelle et al., TOIS 2012, among their absolute metrics).</summary>
    FirstClickReciprocalRank = 1,
}

/// <summary>Settings of <see cref="ClickSimulation.Run"/>. Checked by <see cref="Validate"/> before anything runs.</summary>
public sealed class ClickSimulationOptions
{
    /// <summary>Results shown per impression, and the cut-off of the offline nDCG (1 to 100). Default 10.</summary>
    public int K { get; set; } = 10;

    /// <summary>Impressions per trial, the largest sample measured (10 to 10,000,000). Default 20,000.</summary>
    public int Impressions { get; set; } = 20_000;

    /// <summary>How the simulated shoppers click. Default <see cref="ClickModelKind.PositionBased"/>.</summary>
    public ClickModelKind ClickModel { get; set; } = ClickModelKind.PositionBased;

    /// <summary>What the A/B split compares. Default <see cref="AbSplitMetric.ClicksPerImpression"/>.</summary>
    public AbSplitMetric AbMetric { get; set; } = AbSplitMetric.ClicksPerImpression;

    /// <summary>Independent simulated experiments (1 to 100,000). Default 200.</summary>
    public int Trials { get; set; } = 200;

    /// <summary>The seed: the same inputs, options and seed give the same figures. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (K is < 1 or > 100) Fail(nameof(K), K, "must be between 1 and 100");
        if (Impressions is < 10 or > 10_000_000) Fail(nameof(Impressions), Impressions, "must be between 10 and 10,000,000");
        if (Trials is < 1 or > 100_000) Fail(nameof(Trials), Trials, "must be between 1 and 100,000");
        if (!Enum.IsDefined(ClickModel)) Fail(nameof(ClickModel), ClickModel, "must be PositionBased or Cascade");
        if (!Enum.IsDefined(AbMetric)) Fail(nameof(AbMetric), AbMetric, "must be ClicksPerImpression or FirstClickReciprocalRank");
    }

    internal ClickSimulationOptions Clone() => (ClickSimulationOptions)MemberwiseClone();

    private static void Fail(string field, object value, string rule) =>
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"ClickSimulationOptions.{field} {rule} (was {value})."), field);
}

/// <summary>
/// Shares of the trials of one test at one sample size: significant (p &lt; 0.05) on the side the offline metric
/// prefers, significant on the other side (either side when the offline metric ties), and leaning to the other side
/// whatever the p-value.
/// </summary>
/// <param name="SignificantRight">Significant, on the offline metric's side.</param>
/// <param name="SignificantWrong">Significant, on the other side (any significant result when the offline metric has no side).</param>
/// <param name="LeansWrong">The estimate points to the other side, significant or not; NaN when the offline metric has no side.</param>
public readonly record struct SideShares(double SignificantRight, double SignificantWrong, double LeansWrong);

/// <summary>Both tests at one number of impressions.</summary>
/// <param name="Impressions">Impressions per trial, both arms together for the A/B split.</param>
/// <param name="Interleaving">Team-draft interleaving, sign test over the lists with a winner.</param>
/// <param name="AbSplit">Half the impressions A alone, half B alone, the <see cref="ClickSimulationOptions.AbMetric"/> compared by Welch's t-test.</param>
public sealed record SimulationPoint(int Impressions, SideShares Interleaving, SideShares AbSplit);

/// <summary>What <see cref="ClickSimulation.Run"/> measured.</summary>
public sealed record ClickSimulationResult
{
    /// <summary>The settings it ran with.</summary>
    public required ClickSimulationOptions Options { get; init; }

    /// <summary>Queries the shoppers issue: the judged ones with a relevant document.</summary>
    public required int Queries { get; init; }

    /// <summary>The highest grade of the judgments, which the click model's attraction tops out at.</summary>
    public required int TopGrade { get; init; }

    /// <summary>Mean nDCG@k of run A over <see cref="Queries"/>.</summary>
    public required double NdcgA { get; init; }

    /// <summary>Mean nDCG@k of run B.</summary>
    public required double NdcgB { get; init; }

    /// <summary>+1 when B has the higher offline nDCG@k, −1 when A has, 0 on a tie: the side a test should pick.</summary>
    public int OfflineSide => NdcgB > NdcgA + 1e-12 ? 1 : NdcgA > NdcgB + 1e-12 ? -1 : 0;

    /// <summary>Clicks per impression of A shown alone, over every trial's A arm at the largest sample.</summary>
    public required double ClicksPerImpressionA { get; init; }

    /// <summary>Clicks per impression of B shown alone.</summary>
    public required double ClicksPerImpressionB { get; init; }

    /// <summary>Share of interleaved impressions with a click.</summary>
    public required double InterleavingEngagedShare { get; init; }

    /// <summary>Mean interleaving preference Δ for B (Chapelle et al.), over the trials at the largest sample.</summary>
    public required double InterleavingPreference { get; init; }

    /// <summary>The grid of sample sizes, smallest first.</summary>
    public required IReadOnlyList<SimulationPoint> Points { get; init; }

    /// <summary>The smallest sample of the grid at which most trials of interleaving are significant on the offline side; null when none is.</summary>
    public int? InterleavingImpressionsNeeded => Needed(p => p.Interleaving);

    /// <summary>The same for the A/B split.</summary>
    public int? AbSplitImpressionsNeeded => Needed(p => p.AbSplit);

    private int? Needed(Func<SimulationPoint, SideShares> test)
    {
        foreach (var p in Points)
            if (test(p).SignificantRight > 0.5) return p.Impressions;
        return null;
    }
}

/// <summary>
/// How many shoppers it takes to tell two rankers apart: simulated shoppers issue the judged queries (uniformly) and
/// click under a <see cref="ClickModelKind"/>; each trial shows team-draft interleavings of the two runs' top k and,
/// for contrast, an A/B split of the same number of impressions, and records at each sample size of a grid which side
/// each test picks and whether it is significant at 0.05.
/// </summary>
public static class ClickSimulation
{
    /// <summary>The significance level both tests are read at.</summary>
    public const double Alpha = 0.05;

    /// <summary>The sample sizes measured up to <paramref name="impressions"/>: 10, 20, 50, 100, 200, 500, … and <paramref name="impressions"/> itself.</summary>
    public static IReadOnlyList<int> Grid(int impressions)
    {
        var grid = new List<int>();
        for (long decade = 10; decade <= impressions; decade *= 10)
            foreach (var step in (ReadOnlySpan<int>)[1, 2, 5])
                if (decade * step <= impressions) grid.Add((int)(decade * step));
        if (grid.Count == 0 || grid[^1] != impressions) grid.Add(impressions);
        return grid;
    }

    /// <summary>
    /// Runs the simulation. Trials run in parallel, each from its own seed, so the result depends on the seed only.
    /// </summary>
    /// <param name="a">Run A (control).</param>
    /// <param name="b">Run B (challenger).</param>
    /// <param name="qrels">The judgments: which queries the shoppers issue, and the grades that drive their clicks (unjudged results are grade 0).</param>
    /// <param name="options">Settings; validated first.</param>
    /// <param name="trialsDone">Told the number of finished trials after each.</param>
    /// <param name="cancellation">Stops between impressions.</param>
    /// <exception cref="ArgumentException">A setting is out of range, or the qrels have no document graded above 0.</exception>
    public static ClickSimulationResult Run(TrecRun a, TrecRun b, Qrels qrels, ClickSimulationOptions options, IProgress<int>? trialsDone = null, CancellationToken cancellation = default)
    {
        Guard.NotNull(a);
        Guard.NotNull(b);
        Guard.NotNull(qrels);
        Guard.NotNull(options);
        var o = options.Clone();
        o.Validate();
        var queries = RunMetrics.JudgedQueries(qrels.QueryIds, qrels);
        if (queries.Count == 0) throw new ArgumentException("the qrels have no document graded above 0, so no shopper would find anything", nameof(qrels));

        var topGrade = 1;
        foreach (var q in queries)
            foreach (var g in qrels.For(q).Values) topGrade = Math.Max(topGrade, g);
        var lists = new QueryLists[queries.Count];
        double ndcgA = 0, ndcgB = 0;
        for (var i = 0; i < queries.Count; i++)
        {
            var grades = qrels.For(queries[i]);
            var topA = Top(a.DocIds(queries[i]), o.K);
            var topB = Top(b.DocIds(queries[i]), o.K);
            ndcgA += RankingMetrics.Ndcg(topA, grades, o.K);
            ndcgB += RankingMetrics.Ndcg(topB, grades, o.K);
            lists[i] = new QueryLists(topA, topB, GradesOf(topA, grades), GradesOf(topB, grades), grades);
        }
        ndcgA /= queries.Count;
        ndcgB /= queries.Count;
        var side = ndcgB > ndcgA + 1e-12 ? 1 : ndcgA > ndcgB + 1e-12 ? -1 : 0;

        var grid = Grid(o.Impressions);
        var model = new ClickModel(o.ClickModel, topGrade);
        var trials = new TrialOutcome[o.Trials];
        var done = 0;
        Parallel.For(0, o.Trials, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Environment.ProcessorCount }, t =>
        {
            trials[t] = Trial(lists, model, o, grid, TrialSeed(o.Seed, t), cancellation);
            var n = Interlocked.Increment(ref done);
            trialsDone?.Report(n);
        });

        var points = new SimulationPoint[grid.Count];
        for (var j = 0; j < grid.Count; j++)
            points[j] = new SimulationPoint(grid[j], Shares(trials, t => t.Interleaving[j], side), Shares(trials, t => t.AbSplit[j], side));
        var impressionsA = (o.Impressions + 1) / 2;
        var impressionsB = o.Impressions / 2;
        return new ClickSimulationResult
        {
            Options = o,
            Queries = queries.Count,
            TopGrade = topGrade,
            NdcgA = ndcgA,
            NdcgB = ndcgB,
            ClicksPerImpressionA = trials.Average(t => (double)t.ClicksA) / impressionsA,
            ClicksPerImpressionB = trials.Average(t => (double)t.ClicksB) / impressionsB,
            InterleavingEngagedShare = trials.Average(t => (double)t.Engaged) / o.Impressions,
            InterleavingPreference = trials.Average(t => t.Preference),
            Points = points,
        };
    }

    private sealed record QueryLists(string[] TopA, string[] TopB, int[] GradesA, int[] GradesB, IReadOnlyDictionary<string, int> Grades);

    // One test's verdict at one sample size: the side its estimate points to (+1 B, −1 A, 0 none) and whether p < alpha.
    private readonly record struct Verdict(sbyte Side, bool Significant);

    private sealed record TrialOutcome(Verdict[] Interleaving, Verdict[] AbSplit, long ClicksA, long ClicksB, long Engaged, double Preference);

    private static TrialOutcome Trial(QueryLists[] lists, ClickModel model, ClickSimulationOptions o, IReadOnlyList<int> grid, ulong seed, CancellationToken cancellation)
    {
        var interleaving = new Verdict[grid.Count];
        var ab = new Verdict[grid.Count];
        var clicked = new bool[o.K];
        var grades = new int[o.K];
        var engagedItems = new HashSet<string>(StringComparer.Ordinal);

        // Interleaving: every impression shows both rankers' picks to one shopper.
        var random = new SimRandom(seed);
        int winsA = 0, winsB = 0, ties = 0, next = 0;
        for (var n = 1; n <= o.Impressions; n++)
        {
            if ((n & 1023) == 0) cancellation.ThrowIfCancellationRequested();
            var q = lists[random.Next(lists.Length)];
            var shown = TeamDraft.Interleave(q.TopA, q.TopB, o.K, random.NextULong());
            for (var i = 0; i < shown.Length; i++) grades[i] = q.Grades.TryGetValue(shown[i].ItemId, out var g) ? g : 0;
            if (model.Simulate(grades.AsSpan(0, shown.Length), ref random, clicked) > 0)
            {
                engagedItems.Clear();
                for (var i = 0; i < shown.Length; i++) if (clicked[i]) engagedItems.Add(shown[i].ItemId);
                switch (TeamDraft.Credit(shown, engagedItems).Winner)
                {
                    case InterleavingTeam.Control: winsA++; break;
                    case InterleavingTeam.Challenger: winsB++; break;
                    default: ties++; break;
                }
            }
            if (n == grid[next])
            {
                var summary = new InterleavingSummary(n, winsA + winsB + ties, winsA, winsB, ties);
                interleaving[next++] = new Verdict((sbyte)Math.Sign(winsB - winsA), summary.PValue < Alpha);
                if (next == grid.Count) break;
            }
        }
        var final = new InterleavingSummary(o.Impressions, winsA + winsB + ties, winsA, winsB, ties);

        // A/B split: the same number of impressions, alternately A alone and B alone, each to a fresh shopper.
        random = new SimRandom(seed ^ 0x5DEECE66DUL);
        long nA = 0, nB = 0, clicksA = 0, clicksB = 0;
        double sumA = 0, sumB = 0, squaresA = 0, squaresB = 0;
        next = 0;
        for (var n = 1; n <= o.Impressions; n++)
        {
            if ((n & 1023) == 0) cancellation.ThrowIfCancellationRequested();
            var q = lists[random.Next(lists.Length)];
            var showA = (n & 1) == 1;
            var shownGrades = showA ? q.GradesA : q.GradesB;
            var c = model.Simulate(shownGrades, ref random, clicked);
            double value = o.AbMetric == AbSplitMetric.ClicksPerImpression ? c : FirstClickReciprocalRank(clicked.AsSpan(0, shownGrades.Length));
            if (showA) { nA++; clicksA += c; sumA += value; squaresA += value * value; }
            else { nB++; clicksB += c; sumB += value; squaresB += value * value; }
            if (n == grid[next])
            {
                var p = WelchTest.PValue(nB, sumB, squaresB, nA, sumA, squaresA);
                var diff = (nB > 0 ? sumB / nB : 0) - (nA > 0 ? sumA / nA : 0);
                ab[next++] = new Verdict((sbyte)Math.Sign(diff), p < Alpha);
                if (next == grid.Count) break;
            }
        }
        return new TrialOutcome(interleaving, ab, clicksA, clicksB, final.Engaged, final.Preference);
    }

    private static double FirstClickReciprocalRank(ReadOnlySpan<bool> clicked)
    {
        var first = clicked.IndexOf(true);
        return first < 0 ? 0 : 1.0 / (first + 1);
    }

    private static SideShares Shares(TrialOutcome[] trials, Func<TrialOutcome, Verdict> verdict, int side)
    {
        int right = 0, wrong = 0, leansWrong = 0;
        foreach (var t in trials)
        {
            var v = verdict(t);
            if (v.Significant && side != 0 && v.Side == side) right++;
            else if (v.Significant && v.Side != 0) wrong++;
            if (side != 0 && v.Side == -side) leansWrong++;
        }
        double n = trials.Length;
        return new SideShares(right / n, wrong / n, side == 0 ? double.NaN : leansWrong / n);
    }

    private static string[] Top(IReadOnlyList<string> ranked, int k)
    {
        var top = new string[Math.Min(k, ranked.Count)];
        for (var i = 0; i < top.Length; i++) top[i] = ranked[i];
        return top;
    }

    private static int[] GradesOf(string[] items, IReadOnlyDictionary<string, int> grades)
    {
        var result = new int[items.Length];
        for (var i = 0; i < items.Length; i++) result[i] = grades.TryGetValue(items[i], out var g) ? g : 0;
        return result;
    }

    // Each trial its own stream, so trials can run in any order on any number of threads.
    private static ulong TrialSeed(int seed, int trial)
    {
        var r = new SimRandom(((ulong)(uint)seed << 32) | (uint)trial);
        return r.NextULong();
    }
}
