namespace SearchRec.Evaluation.Interleaving;

/// <summary>Which simulated shopper clicks a shown list.</summary>
public enum ClickModelKind
{
    /// <summary>
    /// Position-based model: rank r is examined with probability 1/r (Joachims, Swaminathan and Schnabel, WSDM 2017,
    /// with η = 1), and an examined result is clicked with its grade's attraction; every rank is decided alone.
    /// </summary>
    PositionBased = 0,

    /// <summary>
    /// Cascade (dependent click) model: the shopper scans top-down, clicks a result with its grade's attraction and
    /// stops after a click with its grade's stop probability (the navigational instantiation of Hofmann, Whiteson and
    /// de Rijke, TOIS 2013).
    /// </summary>
    Cascade = 1,
}

/// <summary>
/// A click model over graded results. Attraction rises linearly from 0.05 at grade 0 (unjudged results too: noise
/// clicks) to 0.95 at the top grade; the cascade's stop probability after a click from 0.2 to 0.9, as in the
/// navigational shopper of Hofmann et al. (TOIS 2013), whose five grades are near this line.
/// </summary>
internal sealed class ClickModel
{
    internal const double NoiseAttraction = 0.05, TopAttraction = 0.95, NoiseStop = 0.2, TopStop = 0.9;

    private readonly double[] _attraction;
    private readonly double[] _stop;

    internal ClickModel(ClickModelKind kind, int topGrade)
    {
        if (topGrade < 1) throw new ArgumentOutOfRangeException(nameof(topGrade), topGrade, "the top grade must be at least 1.");
        Kind = kind;
        _attraction = new double[topGrade + 1];
        _stop = new double[topGrade + 1];
        for (var g = 0; g <= topGrade; g++)
        {
            _attraction[g] = NoiseAttraction + (TopAttraction - NoiseAttraction) * g / topGrade;
            _stop[g] = NoiseStop + (TopStop - NoiseStop) * g / topGrade;
        }
    }

    internal ClickModelKind Kind { get; }

    /// <summary>The chance that an examined result of <paramref name="grade"/> is clicked.</summary>
    internal double Attraction(int grade) => _attraction[Math.Clamp(grade, 0, _attraction.Length - 1)];

    /// <summary>The position-based model's chance that the shopper looks at rank <paramref name="rank"/> (1-based).</summary>
    internal static double Examination(int rank) => 1.0 / rank;

    /// <summary>Simulates one shopper on a list whose results have <paramref name="grades"/>; sets <paramref name="clicked"/> and returns the clicks.</summary>
    internal int Simulate(ReadOnlySpan<int> grades, ref SimRandom random, Span<bool> clicked)
    {
        var clicks = 0;
        for (var i = 0; i < grades.Length; i++)
        {
            clicked[i] = false;
            var g = Math.Clamp(grades[i], 0, _attraction.Length - 1);
            if (Kind == ClickModelKind.PositionBased)
            {
                if (random.NextDouble() < Examination(i + 1) && random.NextDouble() < _attraction[g]) { clicked[i] = true; clicks++; }
                continue;
            }
            if (random.NextDouble() >= _attraction[g]) continue;
            clicked[i] = true;
            clicks++;
            if (random.NextDouble() < _stop[g])
            {
                clicked[(i + 1)..grades.Length].Clear();
                break;
            }
        }
        return clicks;
    }
}

/// <summary>SplitMix64: small, fast and the same on every runtime, so a seed gives the same simulation everywhere.</summary>
internal struct SimRandom(ulong seed)
{
    private ulong _state = seed;

    internal ulong NextULong()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    internal double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    internal int Next(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);
}
