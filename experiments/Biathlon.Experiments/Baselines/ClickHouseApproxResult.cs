using Biathlon.Planner.Planning;

namespace Biathlon.Experiments.Baselines;

/// <summary>One request served by <see cref="ClickHouseApproximate"/>.</summary>
/// <param name="Value">The prediction: the last round's QMC mean (or mode), or the model on exact or point estimates.</param>
/// <param name="Stop">Why the loop ended (bound met, all exact, round limit).</param>
/// <param name="Rounds">Rounds run.</param>
/// <param name="MeanFraction">Mean over the sampled queries of the fraction of partitions read (1 when none is sampled).</param>
/// <param name="Confidence">The last round's confidence (1 when exact, NaN when nothing propagated).</param>
/// <param name="Statements">SQL statements sent.</param>
/// <param name="Sampling">Time in SQL (the server and the HTTP round trips) and in the estimators.</param>
/// <param name="Propagation">Time propagating and evaluating the model.</param>
/// <param name="Planning">Time planning the next round.</param>
public sealed record ClickHouseApproxResult(
    double Value, StopReason Stop, int Rounds, double MeanFraction, double Confidence, int Statements,
    TimeSpan Sampling, TimeSpan Propagation, TimeSpan Planning);
