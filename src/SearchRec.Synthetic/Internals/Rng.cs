namespace SearchRec.Synthetic.Internals;

/// <summary>
/// xoshiro256** seeded through SplitMix64. Our own generator rather than <see cref="Random"/> so a seed gives the
/// same shop on every runtime version; streams are derived per product and per user so each can be regenerated alone.
/// </summary>
internal struct Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed, ulong stream = 0)
    {
        var x = seed ^ (stream * 0x9E3779B97F4A7C15UL) ^ 0xD1B54A32D192ED03UL;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        unchecked
        {
            var z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    public ulong NextULong()
    {
        unchecked
        {
            var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n); n must be positive.</summary>
    public int Next(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    /// <summary>True with probability p.</summary>
    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(T[] items) => items[Next(items.Length)];

    /// <summary>A standard Gumbel draw: adding it to utilities and taking the best is a softmax choice.</summary>
    public double Gumbel() => -Math.Log(-Math.Log(NextDouble() * 0.999999 + 0.0000005));
}
