namespace Biathlon.Experiments.Results;

/// <summary>
/// Everything one harness run measured, written as <c>results.json</c> in the run folder (results/RUN-ID/). The
/// Markdown report and the plots are generated from this document alone.
/// </summary>
public sealed record RunResults
{
    /// <summary>Run folder name, e.g. 2026-11-22T1800-all.</summary>
    public required string RunId { get; init; }

    /// <summary>When the run started (UTC).</summary>
    public required DateTime StartedUtc { get; init; }

    /// <summary>The machine, in words (CPU, cores, memory, OS, .NET).</summary>
    public required string Machine { get; init; }

    /// <summary>The command line that produced the run.</summary>
    public required string Command { get; init; }

    /// <summary>Seed of request sampling and training.</summary>
    public required int Seed { get; init; }

    /// <summary>Per pipeline: what it predicts and how it was trained and bounded.</summary>
    public required List<PipelineSummary> Pipelines { get; init; }

    /// <summary>Per pipeline and method: latency, speedup, accuracy, agreement with exact, sampling, stage shares.</summary>
    public required List<MethodSummary> Methods { get; init; }

    /// <summary>Latency against rows read per request, for several window lengths of one heavy feature.</summary>
    public required List<ScalingPoint> Scaling { get; init; }

    /// <summary>Biathlon at several confidence levels τ on one pipeline.</summary>
    public required List<TauPoint> TauSweep { get; init; }

    /// <summary>
    /// Calibration where the bound binds (exact shortcut off): per pipeline, table seed and δ at the pass-rule τ.
    /// Empty in runs without calibration (and in results written before it existed).
    /// </summary>
    public List<CalibrationCell> Calibration { get; init; } = [];

    /// <summary>The calibration's τ sweep: per pipeline and δ at several τ, on one table seed (named in each cell).</summary>
    public List<CalibrationCell> CalibrationSweep { get; init; } = [];
}

/// <summary>A pipeline in a run.</summary>
/// <param name="Name">Pipeline name.</param>
/// <param name="Task">regression, binary or multiclass.</param>
/// <param name="Model">Model kind, e.g. "LightGbm, 100 trees".</param>
/// <param name="Delta">δ in force (0 for classification).</param>
/// <param name="Tau">τ in force.</param>
/// <param name="TrainRequests">Training requests.</param>
/// <param name="TestRequests">Test requests replayed.</param>
/// <param name="ValidationMetric">"MAE" (regression) or "F1" (classification).</param>
/// <param name="ValidationValue">Its value on the validation requests.</param>
/// <param name="Data">Dataset and its credit, one line.</param>
/// <param name="DeltaField">The request field holding each request's δ (spec <c>bound.deltaField</c>), else null.</param>
public sealed record PipelineSummary(
    string Name, string Task, string Model, double Delta, double Tau, int TrainRequests, int TestRequests,
    string ValidationMetric, double ValidationValue, string Data, string? DeltaField = null);

/// <summary>
/// One method on one pipeline's test requests. Methods: "exact", "biathlon", "fixed-5%", "fixed-20%", "duckdb",
/// "stale-cache". Latencies are per request, one request at a time, in milliseconds.
/// </summary>
public sealed record MethodSummary
{
    public required string Pipeline { get; init; }

    public required string Method { get; init; }

    public required int Requests { get; init; }

    /// <summary>False for methods whose latency is not comparable (the stale cache serves from memory; its updates run in the background).</summary>
    public required bool LatencyMeasured { get; init; }

    public required double MeanMs { get; init; }

    public required double P50Ms { get; init; }

    public required double P95Ms { get; init; }

    public required double P99Ms { get; init; }

    /// <summary>Mean exact latency / mean latency of this method (same requests, same run).</summary>
    public required double Speedup { get; init; }

    /// <summary>"R2" (regression, predictions clipped to the label range) or "F1" (classification).</summary>
    public required string AccuracyMetric { get; init; }

    /// <summary>Accuracy against the labels.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Share of requests within δ of the exact prediction (classification: equal label).</summary>
    public required double AgreementWithExact { get; init; }

    /// <summary>Mean final sample fraction over sampled queries (1 for exact methods).</summary>
    public required double MeanFraction { get; init; }

    /// <summary>Mean rounds (1 for single-pass methods).</summary>
    public required double MeanRounds { get; init; }

    /// <summary>Share of time reading and aggregating rows.</summary>
    public required double SamplingShare { get; init; }

    /// <summary>Share of time in propagation and model calls.</summary>
    public required double PropagationShare { get; init; }

    /// <summary>Share of time planning.</summary>
    public required double PlanningShare { get; init; }

    /// <summary>Everything else (request parsing, binding, result assembly).</summary>
    public required double OtherShare { get; init; }
}

/// <summary>Mean latency of a method when one heavy feature's window is <paramref name="Setting"/>.</summary>
/// <param name="Pipeline">Pipeline.</param>
/// <param name="Method">exact, biathlon, biathlon-no-shortcut (biathlon with <c>ExactShortcut = false</c>) or duckdb.</param>
/// <param name="Setting">Window length, e.g. "7d".</param>
/// <param name="RowsPerRequest">Mean rows the exact computation of all features reads per request.</param>
/// <param name="MeanMs">Mean latency.</param>
/// <param name="Requests">Requests measured.</param>
/// <param name="AgreementWithExact">
/// Share of the requests whose prediction is within δ of exact's at the same setting (classification: the same label);
/// NaN in results written before it was recorded.
/// </param>
public sealed record ScalingPoint(
    string Pipeline, string Method, string Setting, double RowsPerRequest, double MeanMs, int Requests,
    double AgreementWithExact = double.NaN);

/// <summary>Biathlon at confidence <paramref name="Tau"/>.</summary>
/// <param name="Pipeline">Pipeline.</param>
/// <param name="Tau">τ.</param>
/// <param name="MeanMs">Mean latency.</param>
/// <param name="Speedup">Against exact in the same sweep.</param>
/// <param name="AgreementWithExact">Share within δ of exact.</param>
/// <param name="MeanFraction">Mean final sample fraction.</param>
/// <param name="MeanRounds">Mean rounds.</param>
public sealed record TauPoint(string Pipeline, double Tau, double MeanMs, double Speedup, double AgreementWithExact, double MeanFraction, double MeanRounds);
