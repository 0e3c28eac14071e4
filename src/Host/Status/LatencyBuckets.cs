namespace Biathlon.Host.Status;

/// <summary>
/// Log-linear latency buckets in the manner of HDR histograms: 8 equal buckets per power of two from 2^-20 s (about
/// 1 µs) to 2^7 s (128 s), so a bucket is at most 12.5% wide and a percentile read at its midpoint is within about
/// 6%. The index comes straight from the double's exponent and top mantissa bits: no logarithm per measurement.
/// </summary>
internal static class LatencyBuckets
{
    private const int SubBucketBits = 3;
    private const int SubBucketMask = (1 << SubBucketBits) - 1;
    private const int MinExponent = -20;
    private const int MaxExponent = 7;
    private const int MantissaBits = 52;
    private const int ExponentBias = 1023;

    public const int Count = (MaxExponent - MinExponent) << SubBucketBits;

    private static readonly double s_lowest = Math.ScaleB(1.0, MinExponent);
    private static readonly double s_highest = Math.ScaleB(1.0, MaxExponent);

    /// <summary>The bucket of a duration in seconds; anything below 2^-20 s (or NaN) counts in the first, anything
    /// from 128 s up in the last.</summary>
    public static int IndexOf(double seconds)
    {
        if (!(seconds >= s_lowest))
        {
            return 0;
        }

        if (seconds >= s_highest)
        {
            return Count - 1;
        }

        var bits = BitConverter.DoubleToInt64Bits(seconds);
        var exponent = (int)((bits >> MantissaBits) & 0x7FF) - ExponentBias;
        var subBucket = (int)(bits >> (MantissaBits - SubBucketBits)) & SubBucketMask;
        return ((exponent - MinExponent) << SubBucketBits) | subBucket;
    }

    /// <summary>The middle of a bucket, in seconds: what a percentile that falls in it reads as.</summary>
    public static double Midpoint(int index)
    {
        var exponent = (index >> SubBucketBits) + MinExponent;
        var subBucket = index & SubBucketMask;
        return Math.ScaleB(1.0 + ((subBucket + 0.5) / (1 << SubBucketBits)), exponent);
    }
}
