using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling;

/// <summary>
/// Quantiles by linear interpolation between order statistics (numpy's default, Hyndman–Fan type 7), with either a
/// distribution-free order-statistics interval or a seeded bootstrap as the error.
/// </summary>
internal static class QuantileEstimator
{
    /// <summary>The q quantile of sorted values: x[h] interpolated at h = (n − 1) q.</summary>
    public static double Interpolate(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }

        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1)
        {
            return sorted[^1];
        }

        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    public static FeatureEstimate Estimate(
        ReadOnlySpan<double> sorted, double q, long nulls, double p, bool exact, EstimatorOptions options,
        ulong seed, double[] distribution, int[] counts)
    {
        var n = sorted.Length;
        var value = Interpolate(sorted, q);
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, n, nulls, p);
        }

        if (options.QuantileError == QuantileErrorMode.Bootstrap)
        {
            Bootstrap(sorted, q, value, seed, distribution, counts);
            return EstimateFactory.Empirical(value, distribution, n, nulls, p, options);
        }

        // Ranks n·q ± z·√(n q (1 − q)(1 − p)): the binomial spread of how many sampled values fall below the
        // population quantile, with the finite-population correction.
        var centre = n * q;
        var half = options.CriticalValue * Math.Sqrt(n * q * (1 - q) * (1 - p));
        var lowRank = Math.Clamp((int)Math.Floor(centre - half), 1, n);
        var highRank = Math.Clamp((int)Math.Ceiling(centre + half), 1, n);
        var low = Math.Min(sorted[lowRank - 1], value);
        var high = Math.Max(sorted[highRank - 1], value);
        return EstimateFactory.Interval(value, low, high, n, nulls, p, options);
    }

    /// <summary>
    /// B resamples with replacement; each resample's quantile is found by counting draws per sorted position (linear,
    /// no sort). Values are reflected around the estimate (basic bootstrap), so they describe the population quantile.
    /// </summary>
    private static void Bootstrap(ReadOnlySpan<double> sorted, double q, double value, ulong seed, double[] distribution, int[] counts)
    {
        var n = sorted.Length;
        var rng = new Xoshiro256(seed);
        var h = (n - 1) * q;
        var lo = (int)Math.Floor(h);
        var frac = h - lo;
        var hits = counts.AsSpan(0, n);
        for (var b = 0; b < distribution.Length; b++)
        {
            hits.Clear();
            for (var i = 0; i < n; i++)
            {
                hits[rng.NextInt(n)]++;
            }

            // Walk the cumulative counts to the sorted positions lo and lo + 1 of the resample.
            double atLo = double.NaN, atHi = double.NaN;
            var seen = 0;
            for (var position = 0; position < n; position++)
            {
                seen += hits[position];
                if (double.IsNaN(atLo) && seen > lo)
                {
                    atLo = sorted[position];
                }

                if (seen > lo + 1 || (lo + 1 >= n && !double.IsNaN(atLo)))
                {
                    atHi = lo + 1 >= n ? atLo : sorted[position];
                    break;
                }
            }

            var resampled = atLo + frac * (atHi - atLo);
            distribution[b] = 2 * value - resampled;
        }
    }
}
