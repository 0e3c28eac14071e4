namespace Biathlon.Sampling.Numerics;

/// <summary>
/// xoshiro256** pseudo-random generator (Blackman and Vigna), seeded through SplitMix64. A mutable struct:
/// pass it by reference. Deterministic for a seed on every platform, which bootstrap results rely on.
/// </summary>
public struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the generator; equal seeds give equal streams.</summary>
    public Xoshiro256(ulong seed)
    {
        _s0 = SplitMix64.Hash(seed, 0);
        _s1 = SplitMix64.Hash(seed, 1);
        _s2 = SplitMix64.Hash(seed, 2);
        _s3 = SplitMix64.Hash(seed, 3);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
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

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform double in (0, 1]: safe to take a logarithm or a root of.</summary>
    public double NextOpenClosed() => ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="bound"/>).</summary>
    public int NextInt(int bound) => SplitMix64.Below(NextUInt64(), bound);
}
