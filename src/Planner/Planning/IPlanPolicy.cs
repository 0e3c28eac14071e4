namespace Biathlon.Planner.Planning;

/// <summary>Chooses the next round's sample size of every query. Implementations must not allocate per call.</summary>
public interface IPlanPolicy
{
    /// <summary>
    /// Writes the partitions each query should have read after the next round into <paramref name="next"/>: at least
    /// its current count, at most P. Queries that are not sampleable keep their count. When <paramref name="reasons"/>
    /// is not empty it receives, per query, why its sample changed.
    /// </summary>
    void Plan(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons = default);

    /// <summary>
    /// Called before a request's first plan with its replay seed: a policy that draws random choices reseeds from it,
    /// so a request's plans depend on the request alone, not on the ones served before it.
    /// </summary>
    void BeginRequest(ulong requestSeed)
    {
    }
}
