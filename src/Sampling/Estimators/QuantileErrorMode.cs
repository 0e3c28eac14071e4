namespace Biathlon.Sampling;

/// <summary>How quantile features (MEDIAN, PERCENTILE) describe their error.</summary>
public enum QuantileErrorMode
{
    /// <summary>A distribution-free interval between two order statistics (binomial ranks), reported as a normal error. Cheap.</summary>
    OrderStatistics,

    /// <summary>A seeded bootstrap of the sample quantile, reported as an empirical distribution. Costs B passes over the sample.</summary>
    Bootstrap,
}
