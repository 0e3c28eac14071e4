using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling.Estimators;

/// <summary>
/// An aggregation feature's estimate of its population value from the sample read so far, with a description of
/// its error (<see cref="ErrorKind"/>). The value is NaN where the aggregate is undefined (AVG, VAR, MIN, ... of no
/// rows; VAR of one row).
/// </summary>
public readonly struct FeatureEstimate
{
    /// <summary>Normal score of the 95% interval's ends, the default of the public factories.</summary>
    private const double Z95 = 1.959963984540054;

    internal FeatureEstimate(
        double value, ErrorKind error, double stdError, double shape, ReadOnlyMemory<double> distribution,
        long sampleRows, long nullsSkipped, double fraction, UnknownReason unknownReason, double criticalValue)
    {
        Value = value;
        Error = error;
        StdError = stdError;
        Shape = shape;
        Distribution = distribution;
        SampleRows = sampleRows;
        NullsSkipped = nullsSkipped;
        Fraction = fraction;
        UnknownReason = unknownReason;
        switch (error)
        {
            case ErrorKind.Exact:
                Low = High = value;
                break;
            case ErrorKind.Unknown:
                Low = double.NegativeInfinity;
                High = double.PositiveInfinity;
                break;
            default:
                Low = ValueAtNormalScore(-criticalValue);
                High = ValueAtNormalScore(criticalValue);
                break;
        }
    }

    /// <summary>An exact value (a request field, a lookup, or an aggregate computed from every row).</summary>
    public static FeatureEstimate Exact(double value) =>
        new(value, ErrorKind.Exact, 0, 0, default, 0, 0, 1, UnknownReason.None, Z95);

    /// <summary>A value with a normal error of standard deviation <paramref name="stdError"/> (finite, ≥ 0).</summary>
    /// <param name="value">The point estimate.</param>
    /// <param name="stdError">Its standard error.</param>
    /// <param name="criticalValue">Normal score of the reported interval's ends (1.96: 95%).</param>
    public static FeatureEstimate Normal(double value, double stdError, double criticalValue = Z95)
    {
        if (!(stdError >= 0) || double.IsInfinity(stdError))
        {
            throw new ArgumentOutOfRangeException(nameof(stdError), stdError, "A standard error must be finite and at least 0.");
        }

        return new FeatureEstimate(value, ErrorKind.Normal, stdError, 0, default, 0, 0, double.NaN, UnknownReason.None, criticalValue);
    }

    /// <summary>
    /// A value whose plausible population values are <paramref name="sortedValues"/>: ascending, at least one, no NaN;
    /// each of the K values holds probability 1/K. The array is kept, not copied.
    /// </summary>
    public static FeatureEstimate Empirical(double value, ReadOnlyMemory<double> sortedValues)
    {
        var span = sortedValues.Span;
        if (span.IsEmpty)
        {
            throw new ArgumentException("An empirical error needs at least one value.", nameof(sortedValues));
        }

        for (var i = 0; i < span.Length; i++)
        {
            if (double.IsNaN(span[i]) || (i > 0 && span[i] < span[i - 1]))
            {
                throw new ArgumentException($"Empirical values must be ascending and not NaN (index {i}).", nameof(sortedValues));
            }
        }

        return new FeatureEstimate(
            value, ErrorKind.Empirical, StandardDeviation(span), 0, sortedValues, 0, 0, double.NaN, UnknownReason.None, Z95);
    }

    /// <summary>An unknown error (nothing can be propagated) with its reason.</summary>
    public static FeatureEstimate Unknown(double value, UnknownReason reason)
    {
        if (reason == UnknownReason.None)
        {
            throw new ArgumentException("An unknown error needs a reason.", nameof(reason));
        }

        return new FeatureEstimate(value, ErrorKind.Unknown, double.NaN, 0, default, 0, 0, double.NaN, reason, Z95);
    }

    /// <summary>The point estimate.</summary>
    public double Value { get; }

    /// <summary>How the error is described.</summary>
    public ErrorKind Error { get; }

    /// <summary>Standard error of the estimate: 0 when exact, NaN when unknown.</summary>
    public double StdError { get; }

    /// <summary>For <see cref="ErrorKind.SkewCorrected"/>: the skewness g of the estimator's error (|g| ≤ 0.5); 0 otherwise.</summary>
    public double Skewness => Error == ErrorKind.SkewCorrected ? Shape : 0;

    /// <summary>Lower end of the interval at the options' confidence level (−∞ when unknown, the value when exact).</summary>
    public double Low { get; }

    /// <summary>Upper end of the interval at the options' confidence level (+∞ when unknown, the value when exact).</summary>
    public double High { get; }

    /// <summary>
    /// For <see cref="ErrorKind.Empirical"/>: the sorted plausible population values, each of the K holding probability
    /// 1/K. Estimates from a cursor share its buffer: valid until the cursor next widens or estimates this
    /// feature; copy it to keep it.
    /// </summary>
    public ReadOnlyMemory<double> Distribution { get; }

    /// <summary>Sampled rows the estimate rests on (non-null values; rows for COUNT(*)).</summary>
    public long SampleRows { get; }

    /// <summary>Sampled rows skipped because the column was null.</summary>
    public long NullsSkipped { get; }

    /// <summary>The sample fraction z the estimate was computed at.</summary>
    public double Fraction { get; }

    /// <summary>Why the error is unknown (<see cref="UnknownReason.None"/> unless <see cref="Error"/> is <see cref="ErrorKind.Unknown"/>).</summary>
    public UnknownReason UnknownReason { get; }

    /// <summary>True when computed from every row.</summary>
    public bool IsExact => Error == ErrorKind.Exact;

    /// <summary>The kind's shape parameter: skewness g (SkewCorrected) or log-scale σ (LogNormal).</summary>
    internal double Shape { get; }

    /// <summary>
    /// The plausible population value at standard normal score <paramref name="z"/> of this error distribution: the
    /// value itself at z = 0 for symmetric kinds, the interval's ends at z = ∓1.96 for 95%. Monotone in z. Exact
    /// estimates return the value; unknown ones NaN.
    /// </summary>
    public double ValueAtNormalScore(double z)
    {
        switch (Error)
        {
            case ErrorKind.Exact:
                return Value;
            case ErrorKind.Normal:
                return Value + StdError * z;
            case ErrorKind.SkewCorrected:
                return Value + StdError * SkewedScore(z, Shape);
            case ErrorKind.LogNormal:
                return Value * Math.Exp(Shape * z);
            case ErrorKind.Empirical:
                return AtLevel(Distribution.Span, NormalDistribution.Cdf(z));
            default:
                return double.NaN;
        }
    }

    /// <summary>
    /// The plausible population value at probability level <paramref name="u"/> in (0, 1): the inverse CDF of the error
    /// distribution. Empirical errors interpolate their values directly; the other kinds are
    /// <see cref="ValueAtNormalScore"/> at Φ⁻¹(u).
    /// </summary>
    public double ValueAtLevel(double u) => Error == ErrorKind.Empirical
        ? AtLevel(Distribution.Span, u)
        : ValueAtNormalScore(NormalDistribution.InverseCdf(u));

    /// <summary>z + g·(2z² + 1)/6, held flat beyond its turning point so the map stays monotone for any z.</summary>
    internal static double SkewedScore(double z, double g)
    {
        if (g != 0)
        {
            var turn = -1.5 / g; // derivative 1 + 2gz/3 vanishes here
            if (g > 0 ? z < turn : z > turn)
            {
                z = turn;
            }
        }

        return z + g * (2 * z * z + 1) / 6;
    }

    /// <summary>The empirical inverse CDF of K sorted values: level u falls on value ⌊u·K⌋ (each holds probability 1/K).</summary>
    internal static double AtLevel(ReadOnlySpan<double> sorted, double u) =>
        sorted[Math.Clamp((int)(u * sorted.Length), 0, sorted.Length - 1)];

    internal static double StandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.Length < 2)
        {
            return 0;
        }

        double mean = 0, ss = 0;
        foreach (var v in values)
        {
            mean += v;
        }

        mean /= values.Length;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }

        return Math.Sqrt(ss / (values.Length - 1));
    }

    /// <inheritdoc />
    public override string ToString() => Error switch
    {
        ErrorKind.Exact => $"{Value:G6} (exact)",
        ErrorKind.Unknown => $"{Value:G6} (error unknown: {UnknownReason}, n = {SampleRows})",
        _ => $"{Value:G6} ± {StdError:G3} [{Low:G6}, {High:G6}]",
    };
}
