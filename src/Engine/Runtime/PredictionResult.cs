using Biathlon.Planner;
using Biathlon.Sampling;

namespace Biathlon.Engine;

/// <summary>One prediction with its guarantee and how it was reached.</summary>
public sealed class PredictionResult
{
    /// <summary>The prediction: the QMC mean (regression) or modal label (classification); the model's output on exact features when exact.</summary>
    public required double Value { get; init; }

    /// <summary>δ the prediction is bounded by (0 for classification).</summary>
    public required double Delta { get; init; }

    /// <summary>τ that was required.</summary>
    public required double Tau { get; init; }

    /// <summary>Achieved confidence Pr(|ŷ − ŷ_exact| ≤ δ) (1 when exact).</summary>
    public required double Confidence { get; init; }

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

    /// <summary>Per feature query: final fraction, rows read, S1 of the last QMC round.</summary>
    public required IReadOnlyList<QueryOutcome> Queries { get; init; }

    /// <summary>Per model input: value and error description.</summary>
    public required IReadOnlyList<FeatureOutcome> Features { get; init; }

    /// <summary>Time per stage.</summary>
    public required StageTimings Timings { get; init; }
}

/// <summary>A feature query's final state.</summary>
/// <param name="Name">Query name.</param>
/// <param name="Fraction">Final sample fraction z.</param>
/// <param name="RowsScanned">Rows read inside its ranges.</param>
/// <param name="RowsMatched">Of those, rows passing its filters.</param>
/// <param name="EstimatedRows">Rows in its ranges over all partitions (what exact reads).</param>
/// <param name="FirstOrderIndex">S1 from the last QMC round (0 when none ran).</param>
public readonly record struct QueryOutcome(string Name, double Fraction, long RowsScanned, long RowsMatched, long EstimatedRows, double FirstOrderIndex);

/// <summary>A model input's final value and error description.</summary>
/// <param name="Name">Input name.</param>
/// <param name="Value">Value given to the model (fill value when the aggregate is undefined).</param>
/// <param name="Error">Error kind.</param>
/// <param name="StdError">Standard error (0 when exact).</param>
/// <param name="Low">Lower end of its interval.</param>
/// <param name="High">Upper end of its interval.</param>
public readonly record struct FeatureOutcome(string Name, double Value, ErrorKind Error, double StdError, double Low, double High);

/// <summary>Time per stage of a prediction.</summary>
/// <param name="Sampling">Reading and aggregating rows.</param>
/// <param name="Propagation">QMC propagation, including the model call (or the single-row model call when exact).</param>
/// <param name="Planning">Planning the next round.</param>
/// <param name="Total">Wall time of the whole call.</param>
public readonly record struct StageTimings(TimeSpan Sampling, TimeSpan Propagation, TimeSpan Planning, TimeSpan Total);
