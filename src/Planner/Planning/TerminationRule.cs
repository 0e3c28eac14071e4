using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;

namespace Biathlon.Planner.Planning;

/// <summary>Decides after each round whether the loop stops: bound met, all exact, out of time, or out of rounds.</summary>
public sealed class TerminationRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="bound">The error bound and its confidence.</param>
    /// <param name="maxRounds">Rounds after which the loop stops regardless (default 1000, at least 1).</param>
    /// <param name="timeBudget">Time after which the loop stops with its best estimate; null for none.</param>
    public TerminationRule(ErrorBound bound, int maxRounds = 1000, TimeSpan? timeBudget = null)
    {
        ArgumentNullException.ThrowIfNull(bound);
        if (maxRounds < 1)
        {
            throw new ConfigurationException(nameof(maxRounds), $"maxRounds must be at least 1 (got {maxRounds}).");
        }

        if (timeBudget is { } budget && budget <= TimeSpan.Zero)
        {
            throw new ConfigurationException(nameof(timeBudget), $"A time budget must be positive (got {budget}).");
        }

        Bound = bound;
        MaxRounds = maxRounds;
        TimeBudget = timeBudget;
    }

    /// <summary>The error bound.</summary>
    public ErrorBound Bound { get; }

    /// <summary>The round limit.</summary>
    public int MaxRounds { get; }

    /// <summary>The time budget, if any.</summary>
    public TimeSpan? TimeBudget { get; }

    /// <summary>The reason to stop after <paramref name="roundsCompleted"/> rounds, or <see cref="StopReason.None"/>.</summary>
    public StopReason Check(in PropagationResult result, bool allExact, int roundsCompleted, TimeSpan elapsed)
    {
        if (allExact)
        {
            return StopReason.AllExact;
        }

        if (Bound.IsMet(result))
        {
            return StopReason.BoundMet;
        }

        if (TimeBudget is { } budget && elapsed >= budget)
        {
            return StopReason.Deadline;
        }

        return roundsCompleted >= MaxRounds ? StopReason.MaxRounds : StopReason.None;
    }
}
