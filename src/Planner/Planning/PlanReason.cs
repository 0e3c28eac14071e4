namespace Biathlon.Planner.Planning;

/// <summary>Why a plan policy changed a query's sample for the next round.</summary>
public enum PlanReason : byte
{
    /// <summary>Not widened this round.</summary>
    Unchanged,

    /// <summary>Its expected sample was below the minimum support.</summary>
    MinimumSupport,

    /// <summary>An error the sample could not yet describe (heavy tail, quantile beyond the sample): doubled.</summary>
    UnknownError,

    /// <summary>Its first-order index per unit of cost ranked it among the round's recipients.</summary>
    Sensitivity,

    /// <summary>The round's budget was shared out without a measured sensitivity (round robin or random).</summary>
    Budget,

    /// <summary>
    /// Read exactly because measured costs predicted its remaining rows (or all remaining rows) cheaper than another
    /// round: a decision that depends on the costs measured from earlier traffic.
    /// </summary>
    CheaperExact,
}
