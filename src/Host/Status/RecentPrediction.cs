namespace Biathlon.Host.Status;

/// <summary>One served prediction as the status page lists it.</summary>
/// <param name="Time">When it was answered.</param>
/// <param name="Pipeline">Pipeline name.</param>
/// <param name="Version">Pipeline version that served it.</param>
/// <param name="Exact">True when served exactly (every row read), false when approximate.</param>
/// <param name="Value">The predicted value.</param>
/// <param name="Delta">The absolute error bound δ the answer was tested against.</param>
/// <param name="Confidence">Achieved confidence (0..1).</param>
/// <param name="StopReason">Why the loop stopped (the engine's stop reason).</param>
/// <param name="Rounds">Sampling rounds run.</param>
/// <param name="LatencyMs">Time to answer, milliseconds.</param>
/// <param name="Queries">Per query: its first-order Sobol index and final sample fraction.</param>
internal sealed record RecentPrediction(
    DateTimeOffset Time,
    string Pipeline,
    long Version,
    bool Exact,
    double Value,
    double Delta,
    double Confidence,
    string StopReason,
    int Rounds,
    double LatencyMs,
    IReadOnlyList<QueryContribution> Queries);
