using Biathlon.Sampling.Numerics;

namespace Biathlon.Planner.Planning;

/// <summary>Ablation baseline: after the minimum-support jump, each budget partition goes to a random unfinished query (seeded).</summary>
/// <param name="seed">Seed of the choices; mixed with each request's seed by <see cref="BeginRequest"/>.</param>
public sealed class RandomPlanPolicy(ulong seed = 0) : IPlanPolicy
{
    private Xoshiro256 _rng = new(seed);

    /// <inheritdoc />
    public void BeginRequest(ulong requestSeed) => _rng = new Xoshiro256(SplitMix64.Hash(seed, requestSeed));

    /// <inheritdoc />
    public void Plan(ReadOnlySpan<QueryPlanState> queries, PlanSettings settings, Span<int> next, Span<PlanReason> reasons = default)
    {
        PlanSteps.Start(queries, settings, next, reasons);
        if (PlanSteps.MinimumSupportJump(queries, settings, next, reasons) | PlanSteps.WidenUnknownErrors(queries, settings, next, reasons))
        {
            return;
        }

        var budget = PlanSteps.Budget(queries, settings, next);
        while (budget > 0)
        {
            var open = 0;
            for (var q = 0; q < queries.Length; q++)
            {
                open += queries[q].Sampleable && next[q] < settings.TotalPartitions ? 1 : 0;
            }

            if (open == 0)
            {
                return;
            }

            var pick = _rng.NextInt(open);
            for (var q = 0; q < queries.Length; q++)
            {
                if (queries[q].Sampleable && next[q] < settings.TotalPartitions && pick-- == 0)
                {
                    next[q]++;
                    budget--;
                    PlanSteps.Mark(reasons, q, PlanReason.Budget);
                    break;
                }
            }
        }
    }
}
