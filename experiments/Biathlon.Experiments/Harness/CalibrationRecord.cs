namespace Biathlon.Experiments.Harness;

/// <summary>One request of a calibration cell: the approximate prediction against the exact one (a row of calibration-PIPELINE.csv).</summary>
/// <param name="Pipeline">Pipeline name.</param>
/// <param name="TableSeed">Table seed of the deployment that served it.</param>
/// <param name="DeltaLabel">δ in words (MAE, MAE/4, MAE/10, same label).</param>
/// <param name="Delta">The absolute δ asked for (0 for classification).</param>
/// <param name="Tau">τ asked for.</param>
/// <param name="Request">Index of the request in the test requests.</param>
/// <param name="Stop">Why the approximate prediction stopped (a <see cref="Planner.Planning.StopReason"/> name).</param>
/// <param name="Value">The approximate prediction.</param>
/// <param name="ExactValue">The exact prediction.</param>
/// <param name="AbsoluteError">|value − exact value|.</param>
/// <param name="WithinDelta">|value − exact value| ≤ δ (classification: the same label).</param>
/// <param name="Confidence">The achieved confidence the engine reported (NaN when nothing was propagated).</param>
/// <param name="Rounds">Rounds run.</param>
/// <param name="MeanFraction">Mean final sample fraction over the sampled queries (1 when none is sampled).</param>
/// <param name="LatencyMs">Latency of the approximate prediction.</param>
/// <param name="ExactLatencyMs">Latency of the exact prediction.</param>
/// <param name="DependsOnMeasuredCosts">The engine's flag: a decision priced by measured costs shaped the answer.</param>
public sealed record CalibrationRecord(
    string Pipeline, int TableSeed, string DeltaLabel, double Delta, double Tau, int Request, string Stop, double Value,
    double ExactValue, double AbsoluteError, bool WithinDelta, double Confidence, int Rounds, double MeanFraction,
    double LatencyMs, double ExactLatencyMs, bool DependsOnMeasuredCosts);
