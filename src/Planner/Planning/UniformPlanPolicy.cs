namespace Biathlon.Planner.Planning;

/// <summary>Ablation baseline: after the minimum-support jump, the budget is shared round-robin, ignoring sensitivity and cost.</summary>
public sealed class UniformPlanPolicy : IPlanPolicy
{
    /// <inheritdoc />
    public void Plan(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons = default)
    {
        PlanSteps.Start(queries, settings, next, reasons);
        if (PlanSteps.MinimumSupportJump(queries, settings, next, reasons) | PlanSteps.WidenUnknownErrors(queries, settings, next, reasons))
        {
            return;
        }

        PlanSteps.RoundRobin(queries, settings, next, PlanSteps.Budget(queries, settings, next), reasons);
    }
}
