using Biathlon.Sampling.Errors;

namespace Biathlon.Planner.Planning;

/// <summary>Settings shared by the plan policies.</summary>
public sealed record PlanSettings
{
    /// <summary>Creates settings, validating each value.</summary>
    /// <param name="totalPartitions">P: partitions per table (fractions move in steps of 1/P).</param>
    /// <param name="stepBudget">Partitions added per round across all queries; 0 (the default) means one per sampleable query.</param>
    /// <param name="minSupport">Rows a query should have before its error is trusted (default 30): the minimum-support jump.</param>
    /// <param name="roundOverheadSeconds">Fixed cost of one more round (propagation, model, planning); when finishing every query exactly is predicted cheaper, the plan goes exact. 0 disables.</param>
    public PlanSettings(int totalPartitions = 100, int stepBudget = 0, int minSupport = 30, double roundOverheadSeconds = 0)
    {
        if (totalPartitions < 1)
        {
            throw new ConfigurationException(nameof(totalPartitions), $"totalPartitions must be at least 1 (got {totalPartitions}).");
        }

        if (stepBudget < 0)
        {
            throw new ConfigurationException(nameof(stepBudget), $"stepBudget must be at least 0 (got {stepBudget}).");
        }

        if (minSupport < 1)
        {
            throw new ConfigurationException(nameof(minSupport), $"minSupport must be at least 1 (got {minSupport}).");
        }

        if (!(roundOverheadSeconds >= 0) || double.IsInfinity(roundOverheadSeconds))
        {
            throw new ConfigurationException(nameof(roundOverheadSeconds), $"roundOverheadSeconds must be finite and at least 0 (got {roundOverheadSeconds}).");
        }

        TotalPartitions = totalPartitions;
        StepBudget = stepBudget;
        MinSupport = minSupport;
        RoundOverheadSeconds = roundOverheadSeconds;
    }

    /// <summary>P.</summary>
    public int TotalPartitions { get; }

    /// <summary>Partitions added per round (0: one per sampleable query).</summary>
    public int StepBudget { get; }

    /// <summary>The minimum support.</summary>
    public int MinSupport { get; }

    /// <summary>Fixed cost of one more round, in seconds.</summary>
    public double RoundOverheadSeconds { get; }
}
