namespace Biathlon.Experiments.Results;

/// <summary>
/// One calibration cell: a pipeline served on one deployment (table seed) at one error bound δ and confidence τ,
/// with the exact shortcut and every other decision made from measured costs turned off, so the bound has to bind.
/// The pass rule is tested on the requests that stopped because the bound was met (<see cref="BoundMet"/> = n); the
/// others are counted by stop reason and left out of n.
/// </summary>
public sealed record CalibrationCell
{
    /// <summary>Pipeline name.</summary>
    public required string Pipeline { get; init; }

    /// <summary>regression, binary or multiclass.</summary>
    public required string Task { get; init; }

    /// <summary>The table seed the pipeline's tables were partitioned with (one "deployment").</summary>
    public required int TableSeed { get; init; }

    /// <summary>δ in words: "MAE", "MAE/4", "MAE/10" (regression), or "same label" (classification, δ = 0).</summary>
    public required string DeltaLabel { get; init; }

    /// <summary>The absolute δ the requests were served with (0 for classification).</summary>
    public required double Delta { get; init; }

    /// <summary>The required confidence τ.</summary>
    public required double Tau { get; init; }

    /// <summary>Requests served.</summary>
    public required int Requests { get; init; }

    /// <summary>n: requests that stopped with the bound met.</summary>
    public required int BoundMet { get; init; }

    /// <summary>k: of those, requests within δ of the exact prediction (classification: the same label).</summary>
    public required int Within { get; init; }

    /// <summary>k / n (NaN when n = 0).</summary>
    public required double Share { get; init; }

    /// <summary>The one-sided binomial margin m = z₀.₉₉·√(τ(1 − τ)/n) (NaN when n = 0).</summary>
    public required double Margin { get; init; }

    /// <summary>True when k / n ≥ τ − m, or when n = 0 (nothing was claimed; see <see cref="BoundMet"/>).</summary>
    public required bool Pass { get; init; }

    /// <summary>Requests that stopped with every query read completely (their prediction is the exact one).</summary>
    public required int AllExact { get; init; }

    /// <summary>Requests that stopped at the round limit without meeting the bound.</summary>
    public required int MaxRounds { get; init; }

    /// <summary>Requests that stopped for any other reason (deadline, ...).</summary>
    public required int OtherStops { get; init; }

    /// <summary>Share of all requests within δ of exact, whatever their stop reason.</summary>
    public required double ShareAll { get; init; }

    /// <summary>Mean achieved confidence of the BoundMet requests (NaN when n = 0).</summary>
    public required double MeanConfidence { get; init; }

    /// <summary>Mean rounds over all requests.</summary>
    public required double MeanRounds { get; init; }

    /// <summary>Mean final sample fraction over the sampled queries, over all requests.</summary>
    public required double MeanFraction { get; init; }

    /// <summary>Mean latency of the approximate prediction (ms).</summary>
    public required double MeanMs { get; init; }

    /// <summary>Mean latency of the exact prediction of the same requests (ms).</summary>
    public required double ExactMeanMs { get; init; }

    /// <summary>Requests whose answer still depended on measured costs (should be 0 with the exact shortcut off).</summary>
    public required int DependedOnCosts { get; init; }
}
