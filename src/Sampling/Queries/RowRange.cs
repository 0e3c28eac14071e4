namespace Biathlon.Sampling.Queries;

/// <summary>A half-open range [<see cref="Start"/>, <see cref="End"/>) of row positions within one partition of a layout.</summary>
/// <param name="Start">First row.</param>
/// <param name="End">One past the last row.</param>
public readonly record struct RowRange(int Start, int End)
{
    /// <summary>Number of rows in the range.</summary>
    public int Length => End - Start;

    /// <summary>True when the range holds no row.</summary>
    public bool IsEmpty => End <= Start;
}
