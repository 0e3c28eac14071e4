namespace Biathlon.Sampling.Aggregates.Offload;

/// <summary>
/// The result of a <see cref="ColumnJobKind.Moments"/> job: what one column's non-null values in one range sum up to.
/// </summary>
/// <param name="Count">Non-null (non-NaN) values.</param>
/// <param name="Nulls">Null (NaN) values.</param>
/// <param name="Mean">Mean of the non-null values (0 when there are none).</param>
/// <param name="M2">Σ(x − mean)².</param>
/// <param name="M3">Σ(x − mean)³.</param>
/// <param name="M4">Σ(x − mean)⁴.</param>
/// <param name="Min">Smallest non-null value (NaN when there are none).</param>
/// <param name="Max">Largest non-null value (NaN when there are none).</param>
internal readonly record struct PartialMoments(long Count, long Nulls, double Mean, double M2, double M3, double M4, double Min, double Max)
{
    /// <summary>The result of a range without a non-null value (and no null either): count 0, min and max NaN.</summary>
    public static PartialMoments Empty => new(0, 0, 0, 0, 0, 0, double.NaN, double.NaN);

    /// <summary>
    /// The moment state a cursor keeps at <paramref name="order"/> (2 or 4): at order 2 M3 and M4 are zero, as the CPU
    /// kernel leaves them, so a merge of either gives the same state.
    /// </summary>
    public MomentState ToMomentState(int order) => new()
    {
        Count = Count,
        Mean = Mean,
        M2 = Math.Max(M2, 0),
        M3 = order >= 4 ? M3 : 0,
        M4 = order >= 4 ? Math.Max(M4, 0) : 0,
    };
}
