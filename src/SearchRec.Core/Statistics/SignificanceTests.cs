namespace SearchRec.Core.Statistics;

/// <summary>
/// Seeded resampling statistics over per-query metric values: percentile bootstrap confidence intervals and the
/// paired randomization (permutation) test of Smucker, Allan and Carterette (2007). Shared by the ranking stage's
/// cross-validation reports and the evaluation stage's run comparisons, so their p-values agree.
/// </summary>
public static class SignificanceTests
{
    /// <summary>Permutations the paired test uses by default.</summary>
    public const int DefaultPermutations = 10_000;

    /// <summary>Bootstrap resamples used by default.</summary>
    public const int DefaultResamples = 2_000;

    /// <summary>The 95% percentile-bootstrap confidence interval of the mean. (0, 0) for no values.</summary>
    public static (double Low, double High) BootstrapCi(IReadOnlyList<double> values, int resamples = DefaultResamples, int seed = 1, double confidence = 0.95)
    {
        Guard.NotNull(values);
        Guard.Positive(resamples);
        Guard.InRange(confidence, 0.5, 0.999);
        var n = values.Count;
        if (n == 0) return (0, 0);
        var rng = new Random(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += values[rng.Next(n)];
            means[r] = sum / n;
        }
        Array.Sort(means);
        var tail = (1 - confidence) / 2;
        return (means[(int)Math.Floor(tail * (resamples - 1))], means[(int)Math.Ceiling((1 - tail) * (resamples - 1))]);
    }

    /// <summary>
    /// Two-sided p-value of the paired randomization test on the difference of means: each query's pair of values
    /// is swapped at random. Returns (extreme + 1) / (permutations + 1), so identical inputs give exactly 1.
    /// </summary>
    public static double PairedRandomization(IReadOnlyList<double> a, IReadOnlyList<double> b, int permutations = DefaultPermutations, int seed = 1)
    {
        Guard.NotNull(a);
        Guard.NotNull(b);
        Guard.Positive(permutations);
        if (a.Count != b.Count) throw new ArgumentException($"paired values must have the same length ({a.Count} vs {b.Count})", nameof(b));
        var n = a.Count;
        if (n == 0) return 1;
        var diff = new double[n];
        double observed = 0;
        for (var i = 0; i < n; i++) { diff[i] = a[i] - b[i]; observed += diff[i]; }
        observed = Math.Abs(observed);
        // A tolerance so float noise in equal sums does not count as less extreme.
        var threshold = observed - 1e-9 * Math.Max(1, observed);
        var rng = new Random(seed);
        var extreme = 0;
        for (var p = 0; p < permutations; p++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                if (diff[i] == 0) continue;
                sum += (rng.Next() & 1) == 0 ? diff[i] : -diff[i];
            }
            if (Math.Abs(sum) >= threshold) extreme++;
        }
        return (extreme + 1.0) / (permutations + 1.0);
    }

    /// <summary>
    /// Holm's step-down adjustment of <paramref name="pValues"/>, tests of one family read at once (Holm 1979): the
    /// i-th smallest p times (m − i + 1), never below an adjusted smaller one, at most 1. Rejecting where the adjusted p
    /// is below α keeps the chance of any false rejection in the family at most α. In the order given.
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var m = pValues.Count;
        var order = new int[m];
        for (var i = 0; i < m; i++)
        {
            if (!(pValues[i] is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(pValues), pValues[i], $"p-value {i} must be in [0, 1].");
            order[i] = i;
        }
        Array.Sort(order, (a, b) => pValues[a] != pValues[b] ? pValues[a].CompareTo(pValues[b]) : a.CompareTo(b));
        var adjusted = new double[m];
        var running = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }

    /// <summary>
    /// Two-sided p-value of the exact sign test: the chance that a fair coin splits <paramref name="wins"/> +
    /// <paramref name="losses"/> trials at least as unevenly (ties left out beforehand). 1 when there are none.
    /// </summary>
    public static double SignTest(int wins, int losses)
    {
        if (wins < 0) throw new ArgumentOutOfRangeException(nameof(wins), wins, "wins must not be negative.");
        if (losses < 0) throw new ArgumentOutOfRangeException(nameof(losses), losses, "losses must not be negative.");
        var n = wins + losses;
        if (n == 0) return 1;
        var low = Math.Min(wins, losses);
        if (2 * low == n) return 1;
        // P(X <= low) for X ~ Binomial(n, 1/2), summed in log space: 2^-n underflows past n of about 1,000.
        var logTerm = -n * Math.Log(2); // log P(X = 0)
        var logSum = logTerm;
        for (var i = 1; i <= low; i++)
        {
            logTerm += Math.Log((n - i + 1.0) / i);
            var hi = Math.Max(logSum, logTerm);
            logSum = hi + Math.Log(Math.Exp(logSum - hi) + Math.Exp(logTerm - hi));
        }
        return Math.Min(1, 2 * Math.Exp(logSum));
    }
}
