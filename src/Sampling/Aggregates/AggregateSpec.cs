using Biathlon.Sampling.Estimators;

namespace Biathlon.Sampling.Aggregates;

/// <summary>One aggregation feature: an operator over a column (or over rows, for COUNT(*)).</summary>
/// <param name="Op">The operator.</param>
/// <param name="Column">The column, or null for COUNT(*).</param>
/// <param name="Quantile">For <see cref="AggregateOp.Percentile"/>: q in [0, 1]; ignored otherwise.</param>
public readonly record struct AggregateSpec(AggregateOp Op, string? Column, double Quantile = 0.5)
{
    /// <summary>COUNT(*).</summary>
    public static AggregateSpec Count() => new(AggregateOp.Count, null);

    /// <summary>COUNT(column): non-null values.</summary>
    public static AggregateSpec Count(string column) => new(AggregateOp.Count, column);

    /// <summary>SUM(column).</summary>
    public static AggregateSpec Sum(string column) => new(AggregateOp.Sum, column);

    /// <summary>AVG(column).</summary>
    public static AggregateSpec Avg(string column) => new(AggregateOp.Avg, column);

    /// <summary>VAR_SAMP(column).</summary>
    public static AggregateSpec Var(string column) => new(AggregateOp.Var, column);

    /// <summary>STDDEV_SAMP(column).</summary>
    public static AggregateSpec Std(string column) => new(AggregateOp.Std, column);

    /// <summary>MIN(column).</summary>
    public static AggregateSpec Min(string column) => new(AggregateOp.Min, column);

    /// <summary>MAX(column).</summary>
    public static AggregateSpec Max(string column) => new(AggregateOp.Max, column);

    /// <summary>MEDIAN(column).</summary>
    public static AggregateSpec Median(string column) => new(AggregateOp.Median, column);

    /// <summary>The <paramref name="q"/> quantile of the column.</summary>
    public static AggregateSpec Percentile(string column, double q) => new(AggregateOp.Percentile, column, q);

    /// <summary>COUNT(DISTINCT column).</summary>
    public static AggregateSpec CountDistinct(string column) => new(AggregateOp.CountDistinct, column);

    /// <summary>The quantile this operator computes (0.5 for MEDIAN), or NaN for non-quantile operators.</summary>
    public double EffectiveQuantile => Op switch
    {
        AggregateOp.Median => 0.5,
        AggregateOp.Percentile => Quantile,
        _ => double.NaN,
    };

    /// <summary>
    /// False for MIN, MAX and COUNT DISTINCT: a sample cannot bound their error (rows it never saw can move them any
    /// distance), so their estimates below z = 1 report <see cref="UnknownReason.NotEstimable"/> and an engine computes
    /// them exactly.
    /// </summary>
    public bool IsEstimableFromSample => Op is not (AggregateOp.Min or AggregateOp.Max or AggregateOp.CountDistinct);

    /// <inheritdoc />
    public override string ToString() => Op switch
    {
        AggregateOp.Count when Column is null => "COUNT(*)",
        AggregateOp.Percentile => $"PERCENTILE({Column}, {Quantile.ToString(System.Globalization.CultureInfo.InvariantCulture)})",
        AggregateOp.CountDistinct => $"COUNT(DISTINCT {Column})",
        _ => $"{Op.ToString().ToUpperInvariant()}({Column})",
    };
}
