using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Engine;

/// <summary>
/// One prediction, what it was tested against, what it achieved, and how it was reached. Nothing here reports the
/// requested bound as achieved: <see cref="Confidence"/> and <see cref="ErrorAtTau"/> are what the last propagation
/// measured, and <see cref="MeetsBound"/> says whether that satisfied the bound.
/// </summary>
/// <remarks>
/// The guarantee rests on approximations, not a proof: each feature's error distribution is a large-sample
/// approximation (closed forms with a skewness correction, log-normal variances, order statistics for quantiles;
/// features whose sample cannot support one are reported unknown and widened), and the prediction's distribution is
/// estimated from N·(G + 2) quasi-Monte-Carlo model evaluations. The engine's calibration tests measure how often
/// BoundMet predictions really are within δ of exact (docs/sampling.md).
/// </remarks>
public sealed class PredictionResult
{
    /// <summary>
    /// The prediction. What it is depends on <see cref="StopReason"/>, and <see cref="ValueKind"/> says which:
    /// <list type="bullet">
    /// <item><see cref="StopReason.AllExact"/>: the model on the exact features (<see cref="Engine.ValueKind.ExactModel"/>), the exact pipeline's answer.</item>
    /// <item><see cref="StopReason.BoundMet"/>: the mean of the QMC outputs (regression) or their most frequent label (classification).</item>
    /// <item><see cref="StopReason.Deadline"/> and <see cref="StopReason.MaxRounds"/>: the last round's QMC mean or mode; when that round could not propagate (some feature's error unknown), the model on the point estimates.</item>
    /// <item><see cref="StopReason.FixedFraction"/>: the model on the point estimates at the fixed fraction.</item>
    /// </list>
    /// </summary>
    public required double Value { get; init; }

    /// <summary>How <see cref="Value"/> was computed.</summary>
    public required ValueKind ValueKind { get; init; }

    /// <summary>The kind of bound the prediction was tested against.</summary>
    public required BoundKind BoundKind { get; init; }

    /// <summary>
    /// The absolute δ the prediction was tested against: the requested δ for absolute and error-at-confidence bounds,
    /// δ·max(|ŷ|, 1e-9) for relative ones; 0 for classification (the label must not change).
    /// </summary>
    public required double Delta { get; init; }

    /// <summary>
    /// δ as requested for this request (<see cref="PredictOptions.Delta"/>, else the request's δ field when the pipeline
    /// has <c>bound.deltaField</c>, else the pipeline's): relative to |ŷ| for <see cref="BoundKind.RelativeError"/>, else
    /// equal to <see cref="Delta"/>.
    /// </summary>
    public required double RequestedDelta { get; init; }

    /// <summary>τ that was required.</summary>
    public required double Tau { get; init; }

    /// <summary>
    /// Achieved confidence for <see cref="Delta"/>: the share of the last round's QMC outputs within <see cref="Delta"/>
    /// of <see cref="Value"/> (classification: equal to it), for every bound kind. 1 when exact; NaN when nothing was
    /// propagated (fixed-fraction serving, or a last round with an unknown feature error).
    /// </summary>
    public required double Confidence { get; init; }

    /// <summary>
    /// For <see cref="BoundKind.ErrorAtConfidence"/>: the achieved τ-quantile of |ŷ − ŷ_exact| from the last round
    /// (0 when exact). NaN for the other kinds and when nothing was propagated.
    /// </summary>
    public required double ErrorAtTau { get; init; }

    /// <summary>True when the bound holds with the required confidence (always for exact predictions).</summary>
    public required bool MeetsBound { get; init; }

    /// <summary>True when every query was read completely (the prediction equals the exact pipeline's).</summary>
    public required bool IsExact { get; init; }

    /// <summary>Why the loop stopped.</summary>
    public required StopReason StopReason { get; init; }

    /// <summary>Rounds run.</summary>
    public required int Rounds { get; init; }

    /// <summary>True when measured costs sent the request straight to exact serving.</summary>
    public bool TookExactShortcut { get; init; }

    /// <summary>
    /// True when a decision priced by costs measured from earlier traffic shaped this answer: the exact shortcut, or a
    /// query read exactly because that looked cheaper (<see cref="QueryOutcome.ExactReason"/>). Only such a result can
    /// differ when the same request is sent again; one with this false replays exactly.
    /// </summary>
    public bool DependsOnMeasuredCosts { get; init; }

    /// <summary>The request's replay seed: digest of its field values and the pipeline seed. It fixes every partition order and QMC design.</summary>
    public ulong Seed { get; init; }

    /// <summary>Which runtime evaluated the model (spec <c>model.runtime</c>, resolved at load).</summary>
    public Models.ModelRuntime ModelRuntime { get; init; }

    /// <summary>Per feature query: final fraction, rows read, S1 of the last QMC round, and why it ended exact.</summary>
    public required IReadOnlyList<QueryOutcome> Queries { get; init; }

    /// <summary>Per model input: value and error description.</summary>
    public required IReadOnlyList<FeatureOutcome> Features { get; init; }

    /// <summary>Time per stage.</summary>
    public required StageTimings Timings { get; init; }

    /// <summary>
    /// The plan of every round, in order: how many partitions of <see cref="Partitions"/> each query had read by the end
    /// of that round's sampling (cumulative), and the confidence that round's propagation achieved. The audit trail's
    /// "plan per round".
    /// </summary>
    public IReadOnlyList<RoundPlan> Plan { get; init; } = [];

    /// <summary>Partitions per table layout: a query that read all of them was read exactly.</summary>
    public int Partitions { get; init; }

    /// <summary>Where this prediction's sampled aggregates and model ran, and any fallback from the device to the CPU.</summary>
    public Compute.ComputeUse Compute { get; init; }

    /// <summary>What this prediction fetched from a remote store: values, bytes, cache hits and time waited (nothing for in-process tables).</summary>
    public StoreUse Store { get; init; } = StoreUse.InProcess;
}

/// <summary>One round of a prediction: partitions read per query so far (in query order) and the confidence achieved (NaN when the round did not propagate; 1 when every query was exact).</summary>
public readonly record struct RoundPlan(int Round, IReadOnlyList<int> PartitionsRead, double Confidence);

/// <summary>How a <see cref="PredictionResult.Value"/> was computed.</summary>
public enum ValueKind
{
    /// <summary>The model on exact features: the exact pipeline's prediction.</summary>
    ExactModel,

    /// <summary>The mean of the last round's QMC outputs (regression).</summary>
    QmcMean,

    /// <summary>The most frequent label among the last round's QMC outputs (classification).</summary>
    QmcMode,

    /// <summary>The model on the features' point estimates (fixed-fraction serving, or a stop before any round could propagate).</summary>
    PointEstimates,
}

/// <summary>Why a feature query was read completely.</summary>
public enum ExactReason
{
    /// <summary>Not read completely: its features are estimates.</summary>
    None,

    /// <summary>An exact prediction was asked for (<see cref="BiathlonEngine.PredictExact"/>).</summary>
    ExactRequest,

    /// <summary>The spec marks it <c>"sampled": false</c>.</summary>
    NotSampled,

    /// <summary>The initial (or fixed) sample fraction already covered every partition.</summary>
    FullInitialFraction,

    /// <summary>It has an aggregate whose error a sample cannot bound (MIN, MAX, COUNT DISTINCT).</summary>
    NotEstimable,

    /// <summary>Measured costs predicted exact serving of the whole request cheaper than a first approximate round.</summary>
    ExactShortcut,

    /// <summary>Measured costs predicted its whole read cheaper than a QMC round, so it started exact.</summary>
    CheapAtStart,

    /// <summary>Measured costs predicted finishing it cheaper than another round.</summary>
    CheaperToFinish,

    /// <summary>The planner widened it to every partition (minimum support, an unknown error, or sensitivity).</summary>
    Widened,
}

/// <summary>A feature query's final state.</summary>
/// <param name="Name">Query name.</param>
/// <param name="Fraction">Final sample fraction z.</param>
/// <param name="RowsScanned">Rows read inside its ranges.</param>
/// <param name="RowsMatched">Of those, rows passing its filters.</param>
/// <param name="EstimatedRows">Rows in its ranges over all partitions (what exact reads).</param>
/// <param name="FirstOrderIndex">
/// S1 from this request's last propagated QMC round (0 when none ran), clamped to [0, 1]: the estimator's noise at
/// N = 128 can leave it slightly outside.
/// </param>
/// <param name="ExactReason">Why it was read completely (<see cref="Engine.ExactReason.None"/> when it was not).</param>
public readonly record struct QueryOutcome(
    string Name, double Fraction, long RowsScanned, long RowsMatched, long EstimatedRows, double FirstOrderIndex, ExactReason ExactReason);

/// <summary>A model input's final value and error description.</summary>
/// <param name="Name">Input name.</param>
/// <param name="Value">Value given to the model (fill value when the aggregate is undefined).</param>
/// <param name="Error">Error kind.</param>
/// <param name="StdError">Standard error (0 when exact).</param>
/// <param name="Low">Lower end of its interval.</param>
/// <param name="High">Upper end of its interval.</param>
/// <param name="UnknownReason">Why its error is unknown, when it is.</param>
public readonly record struct FeatureOutcome(
    string Name, double Value, ErrorKind Error, double StdError, double Low, double High, UnknownReason UnknownReason);

/// <summary>Time per stage of a prediction.</summary>
/// <param name="Sampling">Reading and aggregating rows.</param>
/// <param name="Propagation">QMC propagation, including the model call (or the single-row model call when exact).</param>
/// <param name="Planning">Planning the next round.</param>
/// <param name="Total">Wall time of the whole call.</param>
public readonly record struct StageTimings(TimeSpan Sampling, TimeSpan Propagation, TimeSpan Planning, TimeSpan Total);
