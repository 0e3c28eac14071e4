namespace Biathlon.Sampling;

/// <summary>
/// COUNT, SUM, AVG, VAR and STD from a Bernoulli(p) sample of a group of unknown size, with closed-form errors that
/// include the finite-population correction (1 − p), so every error reaches zero as p reaches one.
/// </summary>
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
        return n < options.MinSupport
            ? EstimateFactory.Unknown(value, n, nulls, p)
            : EstimateFactory.Normal(value, n * (1 - p) / (p * p), n, nulls, p, options);
    }

    /// <summary>SUM: Ŝ = Σx / p, Var = (1 − p) / p² · Σx² over the sampled values.</summary>
    public static FeatureEstimate Sum(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        if (exact)
        {
            return EstimateFactory.Exact(m.Sum, m.Count, nulls);
        }

        var value = m.Sum / p;
        return m.Count < options.MinSupport
            ? EstimateFactory.Unknown(value, m.Count, nulls, p)
            : EstimateFactory.Normal(value, (1 - p) / (p * p) * m.SumOfSquares, m.Count, nulls, p, options);
    }

    /// <summary>AVG: the sample mean, Var ≈ (1 − p) s² / n (ratio estimator).</summary>
    public static FeatureEstimate Avg(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var value = m.Count > 0 ? m.Mean : double.NaN;
        if (exact)
        {
            return EstimateFactory.Exact(value, m.Count, nulls);
        }

        return m.Count < options.MinSupport
            ? EstimateFactory.Unknown(value, m.Count, nulls, p)
            : EstimateFactory.Normal(value, (1 - p) * m.SampleVariance / m.Count, m.Count, nulls, p, options);
    }

    /// <summary>
    /// VAR_SAMP: s², Var(s²) ≈ (1 − p) (m₄ − s⁴ (n − 3)/(n − 1)) / n with m₄ the sample's fourth central moment; the
    /// interval is taken on the log scale.
    /// </summary>
    public static FeatureEstimate Var(in MomentState m, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var value = m.SampleVariance;
        if (exact)
        {
            return EstimateFactory.Exact(value, m.Count, nulls);
        }

        return m.Count < options.MinSupport
            ? EstimateFactory.Unknown(value, m.Count, nulls, p)
            : EstimateFactory.LogScale(value, VarianceOfVariance(m, p), m.Count, nulls, p, options);
    }

    /// <summary>STDDEV_SAMP: s, by the delta method Var(s) ≈ Var(s²) / (4 s²); the interval is taken on the log scale.</summary>
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
            return EstimateFactory.Unknown(value, m.Count, nulls, p);
        }

        var errorVariance = variance > 0 ? VarianceOfVariance(m, p) / (4 * variance) : 0;
        return EstimateFactory.LogScale(value, errorVariance, m.Count, nulls, p, options);
    }

    private static double VarianceOfVariance(in MomentState m, double p)
    {
        double n = m.Count;
        var s2 = m.SampleVariance;
        var m4 = m.M4 / n;
        return Math.Max((1 - p) * (m4 - s2 * s2 * (n - 3) / (n - 1)) / n, 0);
    }
}
