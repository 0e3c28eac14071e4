namespace Biathlon.Planner.Planning;

/// <summary>
/// The default policy: after the minimum-support jump and the doubling of queries whose error is unknown, the round's budget goes to the queries with the highest
/// S1 / (w · (1 − z)) (the share of prediction variance a query explains per second needed to finish it), each
/// taking as many partitions as it has left before the next is served. Queries with S1 ≤ 0 get nothing while any
/// query has S1 > 0; when none has, the budget is shared round-robin. If finishing every query exactly is predicted
/// cheaper than another round, the plan goes exact.
/// </summary>
public sealed class SensitivityPlanPolicy : IPlanPolicy
{
    private int[] _order = new int[16];
    private double[] _priority = new double[16];

    /// <inheritdoc />
    public void Plan(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons = default)
    {
        PlanSteps.Start(queries, settings, next, reasons);
        if ((PlanSteps.MinimumSupportJump(queries, settings, next, reasons) | PlanSteps.WidenUnknownErrors(queries, settings, next, reasons))
            || PlanSteps.GoExactIfCheaper(queries, settings, next, reasons))
        {
            return;
        }

        PlanSteps.FinishCheapQueries(queries, settings, next, reasons);

        var budget = PlanSteps.Budget(queries, settings, next);
        if (budget <= 0)
        {
            return;
        }

        if (_order.Length < queries.Length)
        {
            _order = new int[queries.Length];
            _priority = new double[queries.Length];
        }

        var candidates = 0;
        var p = settings.TotalPartitions;
        for (var q = 0; q < queries.Length; q++)
        {
            var state = queries[q];
            if (!state.Sampleable || next[q] >= p || !(state.FirstOrderIndex > 0))
            {
                continue;
            }

            var remaining = 1 - (double)next[q] / p;
            var slope = state.PriorityCostSlope > 0 ? state.PriorityCostSlope : state.CostSlope;
            var priority = state.FirstOrderIndex / (Math.Max(slope, PlanSteps.MinimumSlope) * remaining);
            var at = candidates++;
            while (at > 0 && _priority[at - 1] < priority)
            {
                _priority[at] = _priority[at - 1];
                _order[at] = _order[at - 1];
                at--;
            }

            _priority[at] = priority;
            _order[at] = q;
        }

        if (candidates == 0)
        {
            PlanSteps.RoundRobin(queries, settings, next, budget, reasons);
            return;
        }

        for (var c = 0; c < candidates && budget > 0; c++)
        {
            var q = _order[c];
            var give = Math.Min(budget, p - next[q]);
            next[q] += give;
            budget -= give;
            PlanSteps.Mark(reasons, q, PlanReason.Sensitivity);
        }
    }
}
