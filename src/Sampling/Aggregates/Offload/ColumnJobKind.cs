namespace Biathlon.Sampling.Aggregates.Offload;

/// <summary>What a <see cref="ColumnRangeJob"/> computes over its rows.</summary>
internal enum ColumnJobKind
{
    /// <summary>
    /// A <see cref="PartialMoments"/>: non-null count, null count, mean, central moment sums M2..M4, min and max of one
    /// column. Every column of a cursor gets one per range: it carries the null counts even when no moment is needed.
    /// </summary>
    Moments,

    /// <summary>A <see cref="PartialCoMoments"/> of two columns over the rows where both are non-null.</summary>
    CoMoments,

    /// <summary>
    /// The range's non-null values of one column, sorted ascending: for quantiles and distinct counts (the cursor's
    /// sorted sample) and for MIN/MAX (whose tracker keeps the 64 smallest and largest values, not just the extremes).
    /// </summary>
    SortedValues,
}
