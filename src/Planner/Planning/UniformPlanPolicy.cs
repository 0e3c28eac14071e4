namespace Biathlon.Planner;

/// <summary>Ablation baseline: after the minimum-support jump, the budget is shared round-robin, ignoring sensitivity and cost.</summary>
public sealed class UniformPlanPolicy : IPlanPolicy
{
    /// <inheritdoc />
    public void Plan(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next)
    {
        PlanSteps.Start(queries, settings, next);
        if (PlanSteps.MinimumSupportJump(queries, settings, next))
        {
            return;
        }

        PlanSteps.RoundRobin(queries, settings, next, PlanSteps.Budget(queries, settings, next));
    }
}
