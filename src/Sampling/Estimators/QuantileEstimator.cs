using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling.Estimators;

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
    /// <param name="census">The group's census values (read exactly), ascending; empty without a census.</param>
    /// <param name="q">The quantile level.</param>
    /// <param name="nulls">Nulls skipped.</param>
    /// <param name="p">Sample fraction.</param>
    /// <param name="exact">True when every partition was read (the census is then folded into <paramref name="sorted"/>).</param>
    /// <param name="options">Estimator settings.</param>
    /// <param name="grid">Receives the error distribution (<see cref="GridPoints"/> values) when it is known.</param>
    public static FeatureEstimate Estimate(
        ReadOnlySpan<double> sorted, ReadOnlySpan<double> census, double q, long nulls, double p, bool exact, EstimatorOptions options,
        double[] grid)
    {
        var n = sorted.Length;
        if (exact)
        {
            return EstimateFactory.Exact(Interpolate(sorted, q), n, nulls);
        }

        if (!census.IsEmpty)
        {
            return Stratified(sorted, census, q, nulls, p, options, grid);
        }

        var value = Interpolate(sorted, q);
        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        // Rank spread of the population quantile; 0-based positions, rounded outwards to the next order statistic.
        var centre = (n - 1) * q;
        var spread = Math.Sqrt(n * q * (1 - q) * (1 - p));
        var reach = options.CriticalValue * spread;
        if (centre - reach < 0 || centre + reach > n - 1)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BeyondSample, n, nulls, p);
        }

        for (var k = 0; k < GridPoints; k++)
        {
            var z = s_gridScores[k];
            var position = centre + z * spread;
            grid[k] = Interpolate(sorted, Math.Clamp(position / (n - 1), 0, 1));
        }

        // The centre level holds the interpolated estimate itself, so the grid straddles it monotonically.
        grid[GridPoints / 2 - 1] = Math.Min(grid[GridPoints / 2 - 1], value);
        grid[GridPoints / 2] = Math.Max(grid[GridPoints / 2], value);
        return EstimateFactory.Empirical(value, grid, n, nulls, p, options);
    }

    /// <summary>
    /// With a census: census values weigh 1 and sampled values 1/p in the group's estimated order; the quantile is the
    /// value at weighted position q·(M̂ − 1), and only the sampled stratum's count below it is uncertain
    /// (binomial, sd √(n F (1 − F)(1 − p)) sampled rows, each of weight 1/p).
    /// </summary>
    private static FeatureEstimate Stratified(
        ReadOnlySpan<double> sorted, ReadOnlySpan<double> census, double q, long nulls, double p, EstimatorOptions options, double[] grid)
    {
        var n = sorted.Length;
        var rows = n + census.Length;
        var weight = 1 / p;
        var size = census.Length + n * weight;
        var target = q * (size - 1);
        Span<double> one = [target];
        Span<double> found = stackalloc double[1];
        WeightedAt(sorted, census, weight, one, found);
        var value = found[0];
        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, rows, nulls, p);
        }

        var share = Math.Clamp((CountAtOrBelow(sorted, value) + 0.5) / (n + 1), 0, 1);
        var spread = weight * Math.Sqrt(n * share * (1 - share) * (1 - p));
        var reach = options.CriticalValue * spread + weight;
        if (target - reach < 0 || target + reach > size - 1)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BeyondSample, rows, nulls, p);
        }

        // Positions rounded outwards by half a sampled row's weight, as the unweighted grid rounds to the next order statistic.
        Span<double> targets = stackalloc double[GridPoints];
        for (var k = 0; k < GridPoints; k++)
        {
            var z = s_gridScores[k];
            targets[k] = target + z * spread + (z < 0 ? -0.5 : 0.5) * weight;
        }

        WeightedAt(sorted, census, weight, targets, grid);
        grid[GridPoints / 2 - 1] = Math.Min(grid[GridPoints / 2 - 1], value);
        grid[GridPoints / 2] = Math.Max(grid[GridPoints / 2], value);
        return EstimateFactory.Empirical(value, grid, rows, nulls, p, options);
    }

    /// <summary>
    /// The values at ascending weighted positions <paramref name="targets"/> (0-based) of the merged order of a sampled
    /// run (each value weighing <paramref name="weight"/>) and a census run (each weighing 1): one merge pass.
    /// </summary>
    private static void WeightedAt(ReadOnlySpan<double> sorted, ReadOnlySpan<double> census, double weight, ReadOnlySpan<double> targets, Span<double> values)
    {
        int i = 0, c = 0, t = 0;
        double position = 0, last = double.NaN;
        while (t < targets.Length)
        {
            double v, w;
            if (c < census.Length && (i >= sorted.Length || census[c] <= sorted[i]))
            {
                v = census[c++];
                w = 1;
            }
            else if (i < sorted.Length)
            {
                v = sorted[i++];
                w = weight;
            }
            else
            {
                for (; t < targets.Length; t++)
                {
                    values[t] = last; // beyond the last position: the largest value
                }

                return;
            }

            position += w;
            last = v;
            while (t < targets.Length && targets[t] < position)
            {
                values[t++] = v;
            }
        }
    }

    private static int CountAtOrBelow(ReadOnlySpan<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
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
