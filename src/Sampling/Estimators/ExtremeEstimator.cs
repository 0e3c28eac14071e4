using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling;

/// <summary>
/// MIN and MAX: the sample extreme, with a bootstrap error. The bootstrap distribution of a resample's maximum is
/// known exactly (P(max* ≤ x₍ₖ₎) = (k/n)ⁿ), so each of the B resamples is drawn by inverting it: O(B), not O(B·n).
/// Values are reflected around the sample extreme (basic bootstrap): the population maximum is at least the sample's.
/// </summary>
internal static class ExtremeEstimator
{
    /// <param name="extremes">The retained most extreme values, ascending (<see cref="ExtremeTracker"/>).</param>
    /// <param name="isMax">MAX when true, MIN when false.</param>
    /// <param name="n">Number of non-null sampled values.</param>
    /// <param name="nulls">Nulls skipped.</param>
    /// <param name="p">Sample fraction.</param>
    /// <param name="exact">True when every partition was read.</param>
    /// <param name="options">Estimator settings.</param>
    /// <param name="seed">Bootstrap seed.</param>
    /// <param name="distribution">Receives the B bootstrap values.</param>
    public static FeatureEstimate Estimate(
        ReadOnlySpan<double> extremes, bool isMax, long n, long nulls, double p, bool exact, EstimatorOptions options,
        ulong seed, double[] distribution)
    {
        var value = n == 0 ? double.NaN : isMax ? extremes[^1] : extremes[0];
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, n, nulls, p);
        }

        var rng = new Xoshiro256(seed);
        var inverseN = 1.0 / n;
        for (var b = 0; b < distribution.Length; b++)
        {
            // Rank (1-based) of the resample's maximum: the smallest k with (k/n)^n ≥ u.
            var rank = (long)Math.Ceiling(n * Math.Pow(rng.NextOpenClosed(), inverseN));
            var fromTheEnd = (int)Math.Min(n - Math.Clamp(rank, 1, n), extremes.Length - 1);
            var resampled = isMax ? extremes[^(fromTheEnd + 1)] : extremes[fromTheEnd];
            distribution[b] = 2 * value - resampled;
        }

        return EstimateFactory.Empirical(value, distribution, n, nulls, p, options);
    }
}
