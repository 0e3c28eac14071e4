namespace Biathlon.Sampling.Numerics;

/// <summary>
/// The SplitMix64 mixing function, used as a counter-based hash: the same (seed, index) always gives the
/// same 64 bits on every machine and runtime version, which <see cref="System.Random"/> does not promise.
/// </summary>
public static class SplitMix64
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Mixes <paramref name="state"/> into 64 well-distributed bits.</summary>
    public static ulong Mix(ulong state)
    {
        var z = state + Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A hash of element <paramref name="index"/> of the stream named by <paramref name="seed"/>.</summary>
    public static ulong Hash(ulong seed, ulong index) => Mix(Mix(seed) ^ (index * Golden));

    /// <summary>Maps 64 uniform bits onto [0, <paramref name="bound"/>) without modulo bias worth measuring (Lemire's multiply-high).</summary>
    public static int Below(ulong bits, int bound) => (int)Math.BigMul(bits, (ulong)bound, out _);
}
