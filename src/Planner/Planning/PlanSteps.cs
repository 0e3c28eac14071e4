namespace Biathlon.Planner.Planning;

/// <summary>Pieces every policy shares: copying the current plan, the minimum-support jump, the budget, and the go-exact test.</summary>
internal static class PlanSteps
{
    /// <summary>Smallest cost slope used in priorities, so a profiled slope of 0 cannot divide by zero.</summary>
    public const double MinimumSlope = 1e-12;

    public static void Start(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons)
    {
        if (next.Length < queries.Length)
        {
            throw new ArgumentException("The plan span is shorter than the query list.", nameof(next));
        }

        if (!reasons.IsEmpty && reasons.Length < queries.Length)
        {
            throw new ArgumentException("The reasons span is shorter than the query list.", nameof(reasons));
        }

        reasons.Clear();

        for (var q = 0; q < queries.Length; q++)
        {
            next[q] = Math.Clamp(queries[q].Partitions, 0, settings.TotalPartitions);
        }
    }

    /// <summary>
    /// Raises queries whose expected sample is below the minimum support: to exact when the whole group is smaller
    /// than the support, to 50% when they are at most 10% and need at least half, else to the fraction that gives the
    /// support; an empty sample with no size estimate doubles. True when any query was raised (the round then applies
    /// only these jumps).
    /// </summary>
    public static bool MinimumSupportJump(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons)
    {
        var p = settings.TotalPartitions;
        var jumped = false;
        for (var q = 0; q < queries.Length; q++)
        {
            var state = queries[q];
            if (!state.Sampleable || next[q] >= p)
            {
                continue;
            }

            var current = next[q];
            var fraction = (double)current / p;
            double rows;
            if (state.EstimatedRows >= 0)
            {
                rows = state.EstimatedRows;
            }
            else if (state.RowsRead > 0 && current > 0)
            {
                rows = state.RowsRead / fraction;
            }
            else
            {
                // Nothing seen and no size estimate: double rather than crawl one step at a time.
                next[q] = Math.Min(p, Math.Max(1, 2 * current));
                Mark(reasons, q, PlanReason.MinimumSupport);
                jumped = true;
                continue;
            }

            var needed = settings.MinSupport / Math.Max(rows, 1e-9);
            if (fraction + 1e-12 >= needed)
            {
                continue;
            }

            // A group smaller than the support goes exact at once; a large shortfall at a small fraction jumps to 50%.
            var target = needed >= 1 ? 1 : fraction <= 0.1 && needed >= 0.5 ? 0.5 : needed;
            next[q] = Math.Max(current + 1, Math.Min(p, (int)Math.Ceiling(target * p - 1e-9)));
            Mark(reasons, q, PlanReason.MinimumSupport);
            jumped = true;
        }

        return jumped;
    }

    /// <summary>
    /// Doubles the sample of every sampleable query with an unknown error that the minimum-support jump did not
    /// already raise: its error needs more rows, and stepping 1/P at a time would spend a round per step. True when any
    /// query was raised.
    /// </summary>
    public static bool WidenUnknownErrors(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons)
    {
        var raised = false;
        for (var q = 0; q < queries.Length; q++)
        {
            var state = queries[q];
            if (state.Sampleable && state.ErrorUnknown && next[q] == state.Partitions && next[q] < settings.TotalPartitions)
            {
                next[q] = Math.Min(settings.TotalPartitions, Math.Max(next[q] + 1, 2 * next[q]));
                Mark(reasons, q, PlanReason.UnknownError);
                raised = true;
            }
        }

        return raised;
    }

    /// <summary>Partitions to hand out this round: the budget (default one per sampleable query), capped by what remains.</summary>
    public static int Budget(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, ReadOnlySpan<int> next)
    {
        var sampleable = 0;
        var remaining = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            if (queries[q].Sampleable)
            {
                sampleable++;
                remaining += settings.TotalPartitions - next[q];
            }
        }

        var budget = settings.StepBudget > 0 ? settings.StepBudget : sampleable;
        return Math.Min(budget, remaining);
    }

    /// <summary>True (and the plan set to exact) when reading every remaining row is predicted cheaper than another round.</summary>
    public static bool GoExactIfCheaper(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons)
    {
        if (settings.RoundOverheadSeconds <= 0)
        {
            return false;
        }

        double remainingCost = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            if (queries[q].Sampleable)
            {
                remainingCost += Math.Max(queries[q].CostSlope, 0) * (1 - (double)next[q] / settings.TotalPartitions);
            }
        }

        if (remainingCost > settings.RoundOverheadSeconds)
        {
            return false;
        }

        for (var q = 0; q < queries.Length; q++)
        {
            if (queries[q].Sampleable && next[q] < settings.TotalPartitions)
            {
                next[q] = settings.TotalPartitions;
                Mark(reasons, q, PlanReason.CheaperExact);
            }
        }

        return true;
    }

    /// <summary>
    /// Finishes every sampleable query whose remaining rows are predicted to cost less than one more round: a small
    /// query read exactly at once is cheaper than another propagation and model call spent waiting on it. Does not
    /// consume the budget. 0 overhead disables it.
    /// </summary>
    public static void FinishCheapQueries(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons)
    {
        if (settings.RoundOverheadSeconds <= 0)
        {
            return;
        }

        for (var q = 0; q < queries.Length; q++)
        {
            var remaining = 1 - (double)next[q] / settings.TotalPartitions;
            if (queries[q].Sampleable && remaining > 0 && Math.Max(queries[q].CostSlope, 0) * remaining <= settings.RoundOverheadSeconds)
            {
                next[q] = settings.TotalPartitions;
                Mark(reasons, q, PlanReason.CheaperExact);
            }
        }
    }

    /// <summary>Gives the budget one partition at a time to each unfinished sampleable query in turn.</summary>
    public static void RoundRobin(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, int budget, Span<PlanReason> reasons)
    {
        while (budget > 0)
        {
            var gave = false;
            for (var q = 0; q < queries.Length && budget > 0; q++)
            {
                if (queries[q].Sampleable && next[q] < settings.TotalPartitions)
                {
                    next[q]++;
                    budget--;
                    gave = true;
                    Mark(reasons, q, PlanReason.Budget);
                }
            }

            if (!gave)
            {
                return;
            }
        }
    }

    /// <summary>Records why query <paramref name="q"/> changed, keeping the first reason of the round.</summary>
    public static void Mark(Span<PlanReason> reasons, int q, PlanReason reason)
    {
        if (!reasons.IsEmpty && reasons[q] == PlanReason.Unchanged)
        {
            reasons[q] = reason;
        }
    }
}
