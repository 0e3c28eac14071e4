namespace Biathlon.Sampling.Aggregates;

/// <summary>An aggregation operator.</summary>
public enum AggregateOp
{
    /// <summary>Number of rows (COUNT(*)), or of non-null values when a column is given.</summary>
    Count,

    /// <summary>Sum of the values.</summary>
    Sum,

    /// <summary>Arithmetic mean.</summary>
    Avg,

    /// <summary>Sample variance (divisor n − 1), as SQL's VAR_SAMP.</summary>
    Var,

    /// <summary>Sample standard deviation (square root of <see cref="Var"/>), as SQL's STDDEV_SAMP.</summary>
    Std,

    /// <summary>Smallest value.</summary>
    Min,

    /// <summary>Largest value.</summary>
    Max,

    /// <summary>The 0.5 quantile (linear interpolation between order statistics).</summary>
    Median,

    /// <summary>The q quantile, q in [0, 1] (linear interpolation between order statistics, numpy's default).</summary>
    Percentile,

    /// <summary>Number of distinct non-null values.</summary>
    CountDistinct,
}
