using SearchRec.Core.Statistics;
using Xunit;

namespace SearchRec.Core.Tests;

public sealed class SignificanceTestsTests
{
    [Fact]
    public void Identical_values_give_p_of_exactly_one()
    {
        double[] a = [0.1, 0.5, 0.9, 0.3];
        Assert.Equal(1.0, SignificanceTests.PairedRandomization(a, (double[])a.Clone()));
    }

    [Fact]
    public void Three_equal_gains_give_the_exact_permutation_p_of_one_quarter()
    {
        // Of the 2^3 sign flips, only all-plus and all-minus are as extreme: p = 2/8.
        var p = SignificanceTests.PairedRandomization([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], 10_000, seed: 5);
        Assert.InRange(p, 0.235, 0.265);
    }

    [Fact]
    public void A_clearly_better_system_gets_a_small_p_and_a_noisy_tie_does_not()
    {
        var rng = new Random(11);
        var a = Enumerable.Range(0, 60).Select(_ => rng.NextDouble() * 0.5).ToArray();
        var better = a.Select(v => v + 0.2 + rng.NextDouble() * 0.05).ToArray();
        var noise = a.Select(v => v + (rng.NextDouble() - 0.5) * 0.02).ToArray();
        Assert.True(SignificanceTests.PairedRandomization(better, a) < 0.001);
        Assert.True(SignificanceTests.PairedRandomization(noise, a) > 0.05);
    }

    [Fact]
    public void The_test_is_seeded_and_symmetric()
    {
        double[] a = [0.1, 0.4, 0.2, 0.8, 0.5];
        double[] b = [0.2, 0.1, 0.3, 0.6, 0.9];
        Assert.Equal(SignificanceTests.PairedRandomization(a, b, seed: 9), SignificanceTests.PairedRandomization(a, b, seed: 9));
        Assert.Equal(SignificanceTests.PairedRandomization(a, b, seed: 9), SignificanceTests.PairedRandomization(b, a, seed: 9), 2);
    }

    [Fact]
    public void Unpaired_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SignificanceTests.PairedRandomization([1.0], [1.0, 2.0]));
    }

    [Fact]
    public void Bootstrap_interval_brackets_the_mean_and_narrows_with_more_queries()
    {
        var rng = new Random(2);
        var small = Enumerable.Range(0, 20).Select(_ => rng.NextDouble()).ToArray();
        var large = Enumerable.Range(0, 2000).Select(_ => rng.NextDouble()).ToArray();
        var (lo, hi) = SignificanceTests.BootstrapCi(small);
        Assert.InRange(small.Average(), lo, hi);
        var (lo2, hi2) = SignificanceTests.BootstrapCi(large);
        Assert.InRange(large.Average(), lo2, hi2);
        Assert.True(hi2 - lo2 < (hi - lo) / 4);
        // The interval of a uniform mean over 2000 draws is about ±1.96·0.2887/√2000 = ±0.0127.
        Assert.InRange(hi2 - lo2, 0.018, 0.033);
        var (clo, chi) = SignificanceTests.BootstrapCi([0.7, 0.7, 0.7]);
        Assert.Equal(0.7, clo, 12);
        Assert.Equal(0.7, chi, 12);
    }

    [Theory]
    [InlineData(0, 0, 1.0)]
    [InlineData(5, 5, 1.0)]
    [InlineData(10, 0, 0.001953125)]      // 2 · 2^-10
    [InlineData(0, 10, 0.001953125)]
    [InlineData(8, 2, 0.109375)]          // 2 · (1 + 10 + 45) / 1024
    [InlineData(6, 5, 1.0)]               // any split of 11 this even
    public void The_sign_test_gives_the_exact_two_sided_binomial_p_value(int wins, int losses, double expected)
    {
        Assert.Equal(expected, SignificanceTests.SignTest(wins, losses), 9);
    }

    [Fact]
    public void The_sign_test_stays_finite_and_ordered_for_many_trials()
    {
        // 2^-5000 underflows a double; the log-space sum must not.
        var near = SignificanceTests.SignTest(2_550, 2_450);
        var far = SignificanceTests.SignTest(2_700, 2_300);
        Assert.InRange(near, 0.15, 0.17); // z = 1.41
        Assert.InRange(far, 1e-9, 1e-7);  // z = 5.66
        Assert.Equal(0, SignificanceTests.SignTest(5_000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SignificanceTests.SignTest(-1, 3));
    }

    [Fact]
    public void Holm_multiplies_the_ith_smallest_p_by_the_tests_left_keeps_the_order_monotone_and_caps_at_one()
    {
        Assert.Equal([0.04, 0.09, 0.09, 0.5], SignificanceTests.Holm([0.01, 0.04, 0.03, 0.5]));
        Assert.Equal([1.0, 1.0], SignificanceTests.Holm([0.6, 0.7]));
        Assert.Empty(SignificanceTests.Holm([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SignificanceTests.Holm([0.1, double.NaN]));
    }
}
