namespace Biathlon.Planner.Planning;

/// <summary>Why the online loop stopped, or <see cref="None"/> to go on.</summary>
public enum StopReason
{
    /// <summary>Not stopped: plan another round.</summary>
    None,

    /// <summary>The prediction meets the error bound with the required confidence.</summary>
    BoundMet,

    /// <summary>Every query is exact: the prediction is the exact one.</summary>
    AllExact,

    /// <summary>The time budget ran out: the best estimate so far is returned, flagged as not meeting τ.</summary>
    Deadline,

    /// <summary>The round limit was reached: the best estimate so far is returned, flagged as not meeting τ.</summary>
    MaxRounds,

    /// <summary>Fixed-fraction serving (an experimental baseline): one sample at a fixed fraction, the model on its point estimates, no bound.</summary>
    FixedFraction,
}
