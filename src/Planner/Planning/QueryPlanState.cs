namespace Biathlon.Planner.Planning;

/// <summary>What the planner knows about one feature query when it plans the next round.</summary>
public struct QueryPlanState
{
    /// <summary>Partitions read so far (k of P).</summary>
    public int Partitions;

    /// <summary>False for queries that are always computed exactly; the planner leaves them alone.</summary>
    public bool Sampleable;

    /// <summary>First-order Sobol index S1 from the last round (NaN or ≤ 0: no measured influence).</summary>
    public double FirstOrderIndex;

    /// <summary>
    /// Cost slope w: seconds to read the query's whole population (time per unit of sample fraction), from measured
    /// costs. It prices the cost-based decisions (finish a query, go exact).
    /// </summary>
    public double CostSlope;

    /// <summary>
    /// The cost slope the sensitivity priority S1 / (w · (1 − z)) divides by; when 0, <see cref="CostSlope"/> is used.
    /// An engine sets it from costs that do not change with traffic, so the same request gets the same plan.
    /// </summary>
    public double PriorityCostSlope;

    /// <summary>Rows sampled so far that passed the query's predicate.</summary>
    public long RowsRead;

    /// <summary>
    /// True when some feature of the query has an error the sample cannot yet describe (a heavy tail, a quantile
    /// beyond the sample's ends): more rows may resolve it, so the planner doubles its sample.
    /// </summary>
    public bool ErrorUnknown;

    /// <summary>An estimate of the query's population rows when known (for example from its row ranges); NaN when not.</summary>
    public double EstimatedRows;
}
