namespace Biathlon.Sampling;

/// <summary>Builds <see cref="FeatureEstimate"/>s with the exact / unknown / known rules applied the same way for every operator.</summary>
internal static class EstimateFactory
{
    public static FeatureEstimate Exact(double value, long n, long nulls) =>
        new(value, ErrorKind.Exact, 0, value, value, default, n, nulls, 1);

    public static FeatureEstimate Unknown(double value, long n, long nulls, double fraction) =>
        new(value, ErrorKind.Unknown, double.NaN, double.NegativeInfinity, double.PositiveInfinity, default, n, nulls, fraction);

    public static FeatureEstimate Normal(double value, double variance, long n, long nulls, double fraction, EstimatorOptions options)
    {
        var sd = Math.Sqrt(Math.Max(variance, 0));
        var half = options.CriticalValue * sd;
        return new FeatureEstimate(value, ErrorKind.Normal, sd, value - half, value + half, default, n, nulls, fraction);
    }

    /// <summary>
    /// A normal error for a positive quantity (VAR, STD) whose interval is taken on the log scale, value·exp(±z·σ/value):
    /// the sampling distribution of a variance is right-skewed, and the log scale makes it nearly symmetric.
    /// </summary>
    public static FeatureEstimate LogScale(double value, double variance, long n, long nulls, double fraction, EstimatorOptions options)
    {
        var sd = Math.Sqrt(Math.Max(variance, 0));
        if (!(value > 0))
        {
            return Normal(value, variance, n, nulls, fraction, options);
        }

        var factor = Math.Exp(options.CriticalValue * sd / value);
        return new FeatureEstimate(value, ErrorKind.Normal, sd, value / factor, value * factor, default, n, nulls, fraction);
    }

    public static FeatureEstimate Interval(
        double value, double low, double high, long n, long nulls, double fraction, EstimatorOptions options) =>
        new(value, ErrorKind.Normal, (high - low) / (2 * options.CriticalValue), low, high, default, n, nulls, fraction);

    /// <summary>An empirical error from bootstrap values, sorted in place; interval from its percentiles.</summary>
    public static FeatureEstimate Empirical(
        double value, double[] distribution, long n, long nulls, double fraction, EstimatorOptions options)
    {
        var span = distribution.AsSpan();
        span.Sort();
        double mean = 0;
        foreach (var v in span)
        {
            mean += v;
        }

        mean /= span.Length;
        double ss = 0;
        foreach (var v in span)
        {
            ss += (v - mean) * (v - mean);
        }

        var sd = Math.Sqrt(ss / (span.Length - 1));
        var tail = (1 - options.ConfidenceLevel) / 2;
        var low = QuantileEstimator.Interpolate(span, tail);
        var high = QuantileEstimator.Interpolate(span, 1 - tail);
        return new FeatureEstimate(value, ErrorKind.Empirical, sd, low, high, distribution, n, nulls, fraction);
    }
}
