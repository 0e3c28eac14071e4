namespace Biathlon.Sampling.Estimators;

/// <summary>
/// How a <see cref="FeatureEstimate"/> describes its sampling error: the distribution of plausible population values
/// given the sample. Every kind maps a standard normal score z onto a value with
/// <see cref="FeatureEstimate.ValueAtNormalScore"/>; the interval [Low, High] is that map at ∓z of the confidence level,
/// and the propagator draws features through the same map, so what is reported and what is propagated agree.
/// </summary>
public enum ErrorKind
{
    /// <summary>Computed from every row: the value is exact and the error is zero.</summary>
    Exact,

    /// <summary>Normal around the value with standard deviation <see cref="FeatureEstimate.StdError"/>: value + σ·z.</summary>
    Normal,

    /// <summary>
    /// A normal error with a second-order skewness correction (Cornish–Fisher for a studentised estimator, Hall 1992):
    /// value + σ·(z + g·(2z² + 1)/6), g = <see cref="FeatureEstimate.Skewness"/>. Used for COUNT, SUM and AVG, whose
    /// sampling error on a skewed column is itself skewed.
    /// </summary>
    SkewCorrected,

    /// <summary>
    /// Normal on the log scale, for positive quantities (VAR, STD): value·exp(s·z) with s = σ / value. Its interval is
    /// asymmetric: [value / e^(z·s), value · e^(z·s)].
    /// </summary>
    LogNormal,

    /// <summary>
    /// The plausible population values are <see cref="FeatureEstimate.Distribution"/>: K sorted values, each holding
    /// probability 1/K (level u falls on value ⌊u·K⌋). Used for quantiles (from order statistics) and for
    /// distributions a caller supplies. <see cref="FeatureEstimate.StdError"/> is their standard deviation.
    /// </summary>
    Empirical,

    /// <summary>The sample cannot support an error description (<see cref="FeatureEstimate.UnknownReason"/> says why): widen the sample.</summary>
    Unknown,
}

/// <summary>Why a <see cref="FeatureEstimate"/>'s error is <see cref="ErrorKind.Unknown"/>.</summary>
public enum UnknownReason
{
    /// <summary>The error is known.</summary>
    None,

    /// <summary>Fewer sampled values than the minimum support.</summary>
    BelowMinimumSupport,

    /// <summary>
    /// The sample's own moments show a tail too heavy for the error's approximation at this sample size (for example
    /// a skewness the correction cannot carry, or a kurtosis that makes the variance's error unreliable).
    /// </summary>
    HeavyTail,

    /// <summary>A quantile's order-statistics interval reaches past the ends of the sample: too few values near that quantile.</summary>
    BeyondSample,

    /// <summary>
    /// The operator has no error that a sample can bound (MIN, MAX, COUNT DISTINCT): values the sample never saw can
    /// change it by any amount. Such features are computed exactly.
    /// </summary>
    NotEstimable,
}
