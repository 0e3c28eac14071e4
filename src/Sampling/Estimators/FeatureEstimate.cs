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
