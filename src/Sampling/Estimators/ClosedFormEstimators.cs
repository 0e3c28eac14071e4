namespace Biathlon.Sampling;

/// <summary>
/// COUNT, SUM, AVG, VAR and STD from a Bernoulli(p) sample of a group of unknown size, with closed-form errors that
/// include the finite-population correction (1 − p), so every error reaches zero as p reaches one.
/// </summary>
/// <remarks>
/// COUNT, SUM and AVG carry the skewness of their estimator, (1 − 2p)/√(1 − p) · Σψ³ / (Σψ²)^{3/2} over the sampled
/// rows' influence values ψ (1, x and x − x̄), and are reported <see cref="ErrorKind.SkewCorrected"/>: on a right-skewed
/// column a sample that misses the few large rows has both a low mean and a low spread, so a symmetric interval misses
/// low far more often than high. Beyond <see cref="EstimatorOptions.MaxSkewness"/> the correction is not trusted and the
/// error is unknown. VAR and STD are log-normal with the kurtosis-based variance of s²; beyond
/// <see cref="EstimatorOptions.MaxLogSpread"/> they are unknown.
/// </remarks>
internal static class ClosedFormEstimators
{
    /// <summary>COUNT: M̂ = n / p, Var = n (1 − p) / p².</summary>
    public static FeatureEstimate Count(long n, long nulls, double p, bool exact, EstimatorOptions options)
    {
        if (exact)
        {
            return EstimateFactory.Exact(n, n, nulls);
        }

        var value = n / p;
        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        var skewness = SkewFactor(p) / Math.Sqrt(n);
        return Skewed(value, n * (1 - p) / (p * p), skewness, n, nulls, p, options);
    }

    /// <summary>SUM: Ŝ = Σx / p, Var = (1 − p) / p² · Σx² over the sampled values.</summary>
    public static FeatureEstimate Sum(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        if (exact)
        {
            return EstimateFactory.Exact(m.Sum, m.Count, nulls);
        }

        var value = m.Sum / p;
        if (m.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, m.Count, nulls, p);
        }

        var squares = m.SumOfSquares;
        var largest = Math.Max(m.Max * m.Max, m.Min * m.Min);
        if (squares > 0 && largest / squares > options.MaxMeanShare)
        {
            return EstimateFactory.Unknown(value, UnknownReason.HeavyTail, m.Count, nulls, p);
        }

        var skewness = squares > 0 ? SkewFactor(p) * m.SumOfCubes / (squares * Math.Sqrt(squares)) : 0;
        return Skewed(value, (1 - p) / (p * p) * squares, skewness, m.Count, nulls, p, options);
    }

    /// <summary>AVG: the sample mean, Var ≈ (1 − p) s² / n (ratio estimator).</summary>
    public static FeatureEstimate Avg(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var value = m.Count > 0 ? m.Mean : double.NaN;
        if (exact)
        {
            return EstimateFactory.Exact(value, m.Count, nulls);
        }

        if (m.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, m.Count, nulls, p);
        }

        if (m.M2 > 0 && m.LargestSquaredDeviation / m.M2 > options.MaxMeanShare)
        {
            return EstimateFactory.Unknown(value, UnknownReason.HeavyTail, m.Count, nulls, p);
        }

        var skewness = m.M2 > 0 ? SkewFactor(p) * m.M3 / (m.M2 * Math.Sqrt(m.M2)) : 0;
        return Skewed(value, (1 - p) * m.SampleVariance / m.Count, skewness, m.Count, nulls, p, options);
    }

    /// <summary>
    /// VAR_SAMP: s², Var(s²) ≈ (1 − p) (m₄ − s⁴ (n − 3)/(n − 1)) / n with m₄ the sample's fourth central moment, on
    /// the log scale.
    /// </summary>
    public static FeatureEstimate Var(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var value = m.SampleVariance;
        if (exact)
        {
            return EstimateFactory.Exact(value, m.Count, nulls);
        }

        if (m.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, m.Count, nulls, p);
        }

        var errorVariance = VarianceOfVariance(m, p);
        if (TailDecides(m, options) || (value > 0 && Math.Sqrt(errorVariance) / value > options.MaxLogSpread))
        {
            return EstimateFactory.Unknown(value, UnknownReason.HeavyTail, m.Count, nulls, p);
        }

        return EstimateFactory.LogNormal(value, errorVariance, m.Count, nulls, p, options);
    }

    /// <summary>STDDEV_SAMP: s, by the delta method Var(s) ≈ Var(s²) / (4 s²), on the log scale.</summary>
    public static FeatureEstimate Std(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var variance = m.SampleVariance;
        var value = Math.Sqrt(variance);
        if (exact)
        {
            return EstimateFactory.Exact(value, m.Count, nulls);
        }

        if (m.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, m.Count, nulls, p);
        }

        var varianceOfVariance = VarianceOfVariance(m, p);
        if (TailDecides(m, options) || (variance > 0 && Math.Sqrt(varianceOfVariance) / variance > options.MaxLogSpread))
        {
            return EstimateFactory.Unknown(value, UnknownReason.HeavyTail, m.Count, nulls, p);
        }

        var errorVariance = variance > 0 ? varianceOfVariance / (4 * variance) : 0;
        return EstimateFactory.LogNormal(value, errorVariance, m.Count, nulls, p, options);
    }

    /// <summary>(1 − 2p)/√(1 − p): how Bernoulli sampling of a fraction p scales the skewness of a total's estimator.</summary>
    private static double SkewFactor(double p) => (1 - 2 * p) / Math.Sqrt(1 - p);

    private static FeatureEstimate Skewed(
        double value, double variance, double skewness, long n, long nulls, double p, EstimatorOptions options)
    {
        if (!double.IsFinite(skewness))
        {
            skewness = 0;
        }

        return Math.Abs(skewness) > options.MaxSkewness
            ? EstimateFactory.Unknown(value, UnknownReason.HeavyTail, n, nulls, p)
            : EstimateFactory.SkewCorrected(value, variance, skewness, n, nulls, p, options);
    }

    /// <summary>True when one sampled row holds more than the allowed share of Σ(x − x̄)⁴.</summary>
    private static bool TailDecides(in MomentState m, EstimatorOptions options)
    {
        var largest = m.LargestSquaredDeviation;
        return m.M4 > 0 && largest * largest / m.M4 > options.MaxVarianceShare;
    }

    private static double VarianceOfVariance(in MomentState m, double p)
    {
        double n = m.Count;
        var s2 = m.SampleVariance;
        var m4 = m.M4 / n;
        return Math.Max((1 - p) * (m4 - s2 * s2 * (n - 3) / (n - 1)) / n, 0);
    }
}
