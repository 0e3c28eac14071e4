using Biathlon.Sampling.Aggregates;

namespace Biathlon.Sampling.Estimators;

/// <summary>
/// COUNT, SUM, AVG, VAR and STD from a Bernoulli(p) sample of a group of unknown size, plus the group's census rows
/// (read exactly; none when the table has no census), with closed-form errors that include the finite-population
/// correction (1 − p), so every error reaches zero as p reaches one. Only the sampled stratum carries error: with
/// weights 1 for census rows and 1/p for sampled ones, each estimator is linearised into per-row influence values ψ
/// and Var ≈ (1 − p)/p² · Σ_sampled ψ².
/// </summary>
/// <remarks>
/// COUNT, SUM and AVG carry the skewness of their estimator, (1 − 2p)/√(1 − p) · Σψ³ / (Σψ²)^{3/2}, and are reported
/// <see cref="ErrorKind.SkewCorrected"/>: on a right-skewed column a sample that misses the larger rows has both a low
/// mean and a low spread, so a symmetric interval misses low more often than high. Beyond
/// <see cref="EstimatorOptions.MaxSkewness"/> the correction is not trusted and the error is unknown. VAR and STD are
/// log-normal with the fourth-moment variance of s²; beyond <see cref="EstimatorOptions.MaxLogSpread"/> they are unknown.
/// </remarks>
internal static class ClosedFormEstimators
{
    /// <summary>COUNT: M̂ = n_c + n / p, Var = n (1 − p) / p².</summary>
    public static FeatureEstimate Count(long sampled, long census, long nulls, double p, bool exact, EstimatorOptions options)
    {
        if (exact)
        {
            return EstimateFactory.Exact(census + sampled, census + sampled, nulls);
        }

        var value = census + sampled / p;
        var n = census + sampled;
        if (sampled < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        return Skewed(value, sampled * (1 - p) / (p * p), SkewFactor(p) / Math.Sqrt(sampled), n, nulls, p, options);
    }

    /// <summary>SUM: Ŝ = Σ_c x + Σ x / p, Var = (1 − p) / p² · Σ x² over the sampled values.</summary>
    public static FeatureEstimate Sum(in MomentState sampled, in MomentState census, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var n = sampled.Count + census.Count;
        if (exact)
        {
            return EstimateFactory.Exact(sampled.Sum + census.Sum, n, nulls);
        }

        var value = census.Sum + sampled.Sum / p;
        if (sampled.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        var squares = sampled.SumOfSquares;
        var skewness = squares > 0 ? SkewFactor(p) * sampled.SumOfCubes / (squares * Math.Sqrt(squares)) : 0;
        return Skewed(value, (1 - p) / (p * p) * squares, skewness, n, nulls, p, options);
    }

    /// <summary>AVG: the ratio R = Ŝ / M̂, Var ≈ (1 − p)/p² · Σ (x − R)² / M̂² over the sampled values.</summary>
    public static FeatureEstimate Avg(in MomentState sampled, in MomentState census, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var n = sampled.Count + census.Count;
        var size = census.Count + sampled.Count / p;
        var value = n > 0 ? (census.Sum + sampled.Sum / p) / size : double.NaN;
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (sampled.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        var d = sampled.Mean - value;
        var e2 = sampled.M2 + sampled.Count * d * d;
        var e3 = sampled.M3 + 3 * d * sampled.M2 + sampled.Count * d * d * d;
        var skewness = e2 > 0 ? SkewFactor(p) * e3 / (e2 * Math.Sqrt(e2)) : 0;
        return Skewed(value, (1 - p) / (p * p) * e2 / (size * size), skewness, n, nulls, p, options);
    }

    /// <summary>
    /// VAR_SAMP of the group: the census rows' exact spread plus the sampled stratum's (its s² scaled to its estimated
    /// size), about the estimated mean; Var(σ̂²) ≈ (1 − p)/p² · Σ((x − R)² − σ̂²)² / (M̂ − 1)², on the log scale.
    /// </summary>
    public static FeatureEstimate Var(in MomentState sampled, in MomentState census, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var (value, errorVariance, n) = Variance(sampled, census, p, exact);
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (sampled.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        if (value > 0 && Math.Sqrt(errorVariance) / value > options.MaxLogSpread)
        {
            return EstimateFactory.Unknown(value, UnknownReason.HeavyTail, n, nulls, p);
        }

        return EstimateFactory.LogNormal(value, errorVariance, n, nulls, p, options);
    }

    /// <summary>STDDEV_SAMP: √VAR, by the delta method Var(s) ≈ Var(s²) / (4 s²), on the log scale.</summary>
    public static FeatureEstimate Std(in MomentState sampled, in MomentState census, long nulls, double p, bool exact, EstimatorOptions options)
    {
        var (variance, varianceOfVariance, n) = Variance(sampled, census, p, exact);
        var value = Math.Sqrt(variance);
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (sampled.Count < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, UnknownReason.BelowMinimumSupport, n, nulls, p);
        }

        if (variance > 0 && Math.Sqrt(varianceOfVariance) / variance > options.MaxLogSpread)
        {
            return EstimateFactory.Unknown(value, UnknownReason.HeavyTail, n, nulls, p);
        }

        var errorVariance = variance > 0 ? varianceOfVariance / (4 * variance) : 0;
        return EstimateFactory.LogNormal(value, errorVariance, n, nulls, p, options);
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

    /// <summary>The group's sample variance and the variance of that estimate (0 when exact), and the rows behind it.</summary>
    private static (double Value, double ErrorVariance, long Rows) Variance(in MomentState sampled, in MomentState census, double p, bool exact)
    {
        long n = sampled.Count + census.Count;
        if (exact)
        {
            return (sampled.SampleVariance, 0, n); // an exact cursor has folded its census into the sampled state
        }

        if (census.Count == 0)
        {
            return (sampled.SampleVariance, VarianceOfVariance(sampled, p), n);
        }

        var sampledSize = sampled.Count / p;
        var size = census.Count + sampledSize;
        var mean = (census.Sum + sampled.Sum / p) / size;
        var dc = census.Mean - mean;
        var d = sampled.Mean - mean;
        var within = sampled.Count > 1 ? (sampledSize - 1) * sampled.SampleVariance : 0;
        var spread = census.M2 + census.Count * dc * dc + within + sampledSize * d * d;
        var value = size > 1 ? spread / (size - 1) : double.NaN;

        // Influence ψ = (x − R)² − σ̂² of every sampled row, from the stratum's moments about its own mean.
        var e2 = sampled.M2 + sampled.Count * d * d;
        var e4 = sampled.M4 + 4 * d * sampled.M3 + 6 * d * d * sampled.M2 + sampled.Count * d * d * d * d;
        var psi = Math.Max(e4 - 2 * value * e2 + sampled.Count * value * value, 0);
        return (value, (1 - p) / (p * p) * psi / ((size - 1) * (size - 1)), n);
    }

    private static double VarianceOfVariance(in MomentState m, double p)
    {
        double n = m.Count;
        var s2 = m.SampleVariance;
        var m4 = m.M4 / n;
        return Math.Max((1 - p) * (m4 - s2 * s2 * (n - 3) / (n - 1)) / n, 0);
    }
}
