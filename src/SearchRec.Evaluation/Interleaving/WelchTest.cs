namespace SearchRec.Evaluation.Interleaving;

/// <summary>
/// Welch's two-sample t-test from sums (unequal variances; Welch–Satterthwaite degrees of freedom), with Student's t
/// distribution from the regularized incomplete beta function (Numerical Recipes, 3rd ed., §6.4).
/// </summary>
internal static class WelchTest
{
    /// <summary>
    /// Two-sided p-value that two samples, given by count, sum and sum of squares, have the same mean. 1 when either
    /// has fewer than two values; when both have no spread, 1 for equal means and 0 otherwise.
    /// </summary>
    internal static double PValue(long n1, double sum1, double squares1, long n2, double sum2, double squares2)
    {
        if (n1 < 2 || n2 < 2) return 1;
        var m1 = sum1 / n1;
        var m2 = sum2 / n2;
        var v1 = Math.Max(0, (squares1 - n1 * m1 * m1) / (n1 - 1)) / n1;
        var v2 = Math.Max(0, (squares2 - n2 * m2 * m2) / (n2 - 1)) / n2;
        var se2 = v1 + v2;
        if (se2 <= 0) return m1 == m2 ? 1 : 0;
        var t = (m1 - m2) / Math.Sqrt(se2);
        var df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
        return TwoSidedT(t, df);
    }

    /// <summary>P(|T| ≥ |t|) for Student's t with <paramref name="df"/> degrees of freedom.</summary>
    internal static double TwoSidedT(double t, double df) =>
        Math.Clamp(RegularizedBeta(df / (df + t * t), df / 2, 0.5), 0, 1);

    /// <summary>I_x(a, b).</summary>
    internal static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        // The continued fraction converges fast for x below (a + 1) / (a + b + 2); use the symmetry above it.
        return x < (a + 1) / (a + b + 2) ? front * BetaFraction(x, a, b) / a : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    private static double BetaFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300, Epsilon = 1e-15;
        double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 10_000; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            var del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < Epsilon) break;
        }
        return h;
    }

    // Lanczos (g = 7, n = 9), good to about 15 digits for positive arguments.
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    internal static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
