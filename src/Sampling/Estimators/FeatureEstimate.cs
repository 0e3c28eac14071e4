namespace Biathlon.Sampling;

/// <summary>
/// An aggregation feature's estimate of its population value from the sample read so far, with a description of
/// its error. The value is NaN where the aggregate is undefined (AVG, VAR, MIN, ... of no rows; VAR of one row).
/// </summary>
public readonly struct FeatureEstimate
{
    internal FeatureEstimate(
        double value, ErrorKind error, double stdError, double low, double high, ReadOnlyMemory<double> distribution,
        long sampleRows, long nullsSkipped, double fraction)
    {
        Value = value;
        Error = error;
        StdError = stdError;
        Low = low;
        High = high;
        Distribution = distribution;
        SampleRows = sampleRows;
        NullsSkipped = nullsSkipped;
        Fraction = fraction;
    }

    /// <summary>An exact value (a request field, a lookup, or an aggregate computed from every row).</summary>
    public static FeatureEstimate Exact(double value) => new(value, ErrorKind.Exact, 0, value, value, default, 0, 0, 1);

    /// <summary>A value with a normal error of standard deviation <paramref name="stdError"/> (finite, ≥ 0).</summary>
    public static FeatureEstimate Normal(double value, double stdError, double criticalValue = 1.959963984540054)
    {
        if (!(stdError >= 0) || double.IsInfinity(stdError))
        {
            throw new ArgumentOutOfRangeException(nameof(stdError), stdError, "A standard error must be finite and at least 0.");
        }

        return new FeatureEstimate(
            value, ErrorKind.Normal, stdError, value - criticalValue * stdError, value + criticalValue * stdError, default, 0, 0, double.NaN);
    }

    /// <summary>A value whose plausible population values are <paramref name="sortedValues"/> (ascending, at least one, no NaN).</summary>
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

        double mean = 0, ss = 0;
        foreach (var v in span)
        {
            mean += v;
        }

        mean /= span.Length;
        foreach (var v in span)
        {
            ss += (v - mean) * (v - mean);
        }

        var sd = span.Length > 1 ? Math.Sqrt(ss / (span.Length - 1)) : 0;
        return new FeatureEstimate(value, ErrorKind.Empirical, sd, span[0], span[^1], sortedValues, 0, 0, double.NaN);
    }

    /// <summary>The point estimate.</summary>
    public double Value { get; }

    /// <summary>How the error is described.</summary>
    public ErrorKind Error { get; }

    /// <summary>Standard error: 0 when exact, NaN when unknown.</summary>
    public double StdError { get; }

    /// <summary>Lower end of the interval at the options' confidence level (−∞ when unknown, the value when exact).</summary>
    public double Low { get; }

    /// <summary>Upper end of the interval at the options' confidence level (+∞ when unknown, the value when exact).</summary>
    public double High { get; }

    /// <summary>
    /// For <see cref="ErrorKind.Empirical"/>: the sorted plausible population values (B bootstrap values). Owned by the
    /// cursor: valid until the cursor next widens or estimates this feature; copy it to keep it.
    /// </summary>
    public ReadOnlyMemory<double> Distribution { get; }

    /// <summary>Sampled rows the estimate rests on (non-null values; rows for COUNT(*)).</summary>
    public long SampleRows { get; }

    /// <summary>Sampled rows skipped because the column was null.</summary>
    public long NullsSkipped { get; }

    /// <summary>The sample fraction z the estimate was computed at.</summary>
    public double Fraction { get; }

    /// <summary>True when computed from every row.</summary>
    public bool IsExact => Error == ErrorKind.Exact;

    /// <inheritdoc />
    public override string ToString() => Error switch
    {
        ErrorKind.Exact => $"{Value:G6} (exact)",
        ErrorKind.Unknown => $"{Value:G6} (error unknown, n = {SampleRows})",
        _ => $"{Value:G6} ± {StdError:G3} [{Low:G6}, {High:G6}]",
    };
}
