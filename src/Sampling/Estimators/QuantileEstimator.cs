using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling;

/// <summary>
/// Quantiles by linear interpolation between order statistics (numpy's default, Hyndman–Fan type 7), with a
/// distribution-free error from order statistics: the number of sampled values below the population q-quantile is
/// Binomial(n, q), thinned by the finite-population correction, so the population quantile sits at sample rank
/// (n − 1)q + z·√(n q (1 − q)(1 − p)) for a standard normal z. The error is that map tabulated on a grid of levels, an
/// asymmetric <see cref="ErrorKind.Empirical"/> distribution, never a normal one read off the interval's width.
/// </summary>
internal static class QuantileEstimator
{
    /// <summary>Grid points K of a quantile's error distribution.</summary>
    public const int GridPoints = 64;

    private static readonly double[] s_gridScores = GridScores();

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

    /// <param name="sorted">The sampled non-null values, ascending.</param>
    /// <param name="q">The quantile level.</param>
    /// <param name="nulls">Nulls skipped.</param>
    /// <param name="p">Sample fraction.</param>
    /// <param name="exact">True when every partition was read.</param>
    /// <param name="options">Estimator settings.</param>
    /// <param name="grid">Receives the error distribution (<see cref="GridPoints"/> values) when it is known.</param>
    public static FeatureEstimate Estimate(
        ReadOnlySpan<double> sorted, double q, long nulls, double p, bool exact, EstimatorOptions options, double[] grid)
    {
        var n = sorted.Length;
        var value = Interpolate(sorted, q);
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        // Rank spread of the population quantile; positions are 0-based, rounded outwards by half a rank (a continuity
        // correction), so a band that ends at the edge of a run of ties includes the next distinct value.
        var centre = (n - 1) * q;
        var spread = Math.Sqrt(n * q * (1 - q) * (1 - p));
        var reach = options.CriticalValue * spread + 0.5;
        if (centre - reach < 0 || centre + reach > n - 1)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BeyondSample, n, nulls, p);
        }

        for (var k = 0; k < GridPoints; k++)
        {
            var z = s_gridScores[k];
            var position = centre + z * spread;
            var rank = z < 0 ? (int)Math.Floor(position - 0.5) : (int)Math.Ceiling(position + 0.5);
            grid[k] = sorted[Math.Clamp(rank, 0, n - 1)];
        }

        // The centre level holds the interpolated estimate itself, so the grid straddles it monotonically.
        grid[GridPoints / 2 - 1] = Math.Min(grid[GridPoints / 2 - 1], value);
        grid[GridPoints / 2] = Math.Max(grid[GridPoints / 2], value);
        return EstimateFactory.Empirical(value, grid, n, nulls, p, options);
    }

    private static double[] GridScores()
    {
        var scores = new double[GridPoints];
        for (var k = 0; k < GridPoints; k++)
        {
            scores[k] = NormalDistribution.InverseCdf((k + 0.5) / GridPoints); // the middle of value k's 1/K of probability
        }

        return scores;
    }
}
