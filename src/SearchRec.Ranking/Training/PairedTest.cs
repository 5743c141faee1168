namespace SearchRec.Ranking.Training;

/// <summary>Paired significance of a difference in per-query metrics.</summary>
public static class PairedTest
{
    /// <summary>
    /// Two-sided paired randomisation (sign-flip) test of mean(a − b): the share of random sign assignments whose
    /// mean difference is at least as large in magnitude as the observed one.
    /// </summary>
    public static double RandomizationPValue(IReadOnlyList<double> a, IReadOnlyList<double> b, int samples = 10_000, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"{a.Count} and {b.Count} per-query values cannot be paired.");
        if (a.Count == 0) return 1;
        var d = new double[a.Count];
        for (var i = 0; i < d.Length; i++) d[i] = a[i] - b[i];
        var observed = Math.Abs(d.Average());
        var rng = new Random(seed);
        var extreme = 0;
        for (var s = 0; s < samples; s++)
        {
            double sum = 0;
            for (var i = 0; i < d.Length; i++) sum += rng.Next(2) == 0 ? d[i] : -d[i];
            if (Math.Abs(sum / d.Length) >= observed - 1e-12) extreme++;
        }
        return (extreme + 1.0) / (samples + 1.0);
    }

    /// <summary>A 95% bootstrap confidence interval of the mean (percentile method).</summary>
    public static (double Low, double High) BootstrapCi(IReadOnlyList<double> values, int samples = 2_000, int seed = 19)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return (0, 0);
        var rng = new Random(seed);
        var means = new double[samples];
        for (var s = 0; s < samples; s++)
        {
            double sum = 0;
            for (var i = 0; i < values.Count; i++) sum += values[rng.Next(values.Count)];
            means[s] = sum / values.Count;
        }
        Array.Sort(means);
        return (means[(int)(0.025 * samples)], means[Math.Min(samples - 1, (int)(0.975 * samples))]);
    }
}
