namespace Biathlon.Sampling.Estimators;

/// <summary>Builds <see cref="FeatureEstimate"/>s with the exact / unknown / known rules applied the same way for every operator.</summary>
internal static class EstimateFactory
{
    public static FeatureEstimate Exact(double value, long n, long nulls) =>
        new(value, ErrorKind.Exact, 0, 0, default, n, nulls, 1, UnknownReason.None, 0);

    public static FeatureEstimate Unknown(double value, UnknownReason reason, long n, long nulls, double fraction) =>
        new(value, ErrorKind.Unknown, double.NaN, 0, default, n, nulls, fraction, reason, 0);

    public static FeatureEstimate Normal(double value, double variance, long n, long nulls, double fraction, EstimatorOptions options) =>
        new(value, ErrorKind.Normal, Math.Sqrt(Math.Max(variance, 0)), 0, default, n, nulls, fraction, UnknownReason.None, options.CriticalValue);

    /// <summary>A normal error with skewness <paramref name="skewness"/> corrected for (|g| within the options' limit).</summary>
    public static FeatureEstimate SkewCorrected(
        double value, double variance, double skewness, long n, long nulls, double fraction, EstimatorOptions options)
    {
        var kind = skewness == 0 ? ErrorKind.Normal : ErrorKind.SkewCorrected;
        return new(value, kind, Math.Sqrt(Math.Max(variance, 0)), skewness, default, n, nulls, fraction, UnknownReason.None, options.CriticalValue);
    }

    /// <summary>
    /// A positive quantity (VAR, STD) with its error on the log scale: value·exp(s·z), s = σ / value. The sampling
    /// distribution of a variance is right-skewed; on the log scale it is close to symmetric.
    /// </summary>
    public static FeatureEstimate LogNormal(double value, double variance, long n, long nulls, double fraction, EstimatorOptions options)
    {
        var sd = Math.Sqrt(Math.Max(variance, 0));
        return value > 0
            ? new(value, ErrorKind.LogNormal, sd, sd / value, default, n, nulls, fraction, UnknownReason.None, options.CriticalValue)
            : Normal(value, variance, n, nulls, fraction, options);
    }

    /// <summary>An empirical error from K sorted values at levels (k + ½)/K.</summary>
    public static FeatureEstimate Empirical(double value, double[] sorted, long n, long nulls, double fraction, EstimatorOptions options) =>
        new(value, ErrorKind.Empirical, FeatureEstimate.StandardDeviation(sorted), 0, sorted, n, nulls, fraction, UnknownReason.None, options.CriticalValue);
}
