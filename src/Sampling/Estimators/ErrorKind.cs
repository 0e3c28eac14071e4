namespace Biathlon.Sampling;

/// <summary>How a <see cref="FeatureEstimate"/> describes its sampling error.</summary>
public enum ErrorKind
{
    /// <summary>Computed from every row: the value is exact and the error is zero.</summary>
    Exact,

    /// <summary>The estimate is approximately normal around the value with standard deviation <see cref="FeatureEstimate.StdError"/>.</summary>
    Normal,

    /// <summary>
    /// The plausible population values are the sorted bootstrap values in <see cref="FeatureEstimate.Distribution"/>
    /// (an empirical distribution); <see cref="FeatureEstimate.StdError"/> is their standard deviation.
    /// </summary>
    Empirical,

    /// <summary>Too few sampled values (below the minimum support) to estimate the error: widen the sample.</summary>
    Unknown,
}
