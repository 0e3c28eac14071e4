namespace Biathlon.Planner;

/// <summary>What the planner knows about one feature query when it plans the next round.</summary>
public struct QueryPlanState
{
    /// <summary>Partitions read so far (k of P).</summary>
    public int Partitions;

    /// <summary>False for queries that are always computed exactly; the planner leaves them alone.</summary>
    public bool Sampleable;

    /// <summary>First-order Sobol index S1 from the last round (NaN or ≤ 0: no measured influence).</summary>
    public double FirstOrderIndex;

    /// <summary>Cost slope w: seconds to read the query's whole population (time per unit of sample fraction).</summary>
    public double CostSlope;

    /// <summary>Rows sampled so far that passed the query's predicate.</summary>
    public long RowsRead;

    /// <summary>An estimate of the query's population rows when known (for example from its row ranges); NaN when not.</summary>
    public double EstimatedRows;
}
