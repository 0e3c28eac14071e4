namespace Biathlon.Experiments.Harness;

/// <summary>What a calibration run serves: table seeds, δ as divisors of the pipeline's δ, the pass-rule τ and the τ sweep.</summary>
public sealed record CalibrationSettings
{
    /// <summary>The pipelines calibrated by default (and by <c>run</c>): two regressions and a binary classifier.</summary>
    public static IReadOnlyList<string> DefaultPipelines { get; } = ["flight-delay", "fx-next-price", "sensor-anomaly"];

    /// <summary>Table seeds, one deployment each (default 0, 1, 2).</summary>
    public IReadOnlyList<int> TableSeeds { get; init; } = [0, 1, 2];

    /// <summary>δ = the pipeline's δ (its validation MAE) divided by each of these (default 1, 4, 10). Classification: δ = 0 only.</summary>
    public IReadOnlyList<double> DeltaDivisors { get; init; } = [1, 4, 10];

    /// <summary>τ of the pass-rule cells; null for the pipeline's own τ.</summary>
    public double? Tau { get; init; }

    /// <summary>τ values of the sweep (default 0.5, 0.8, 0.9, 0.95, 0.99); empty for no sweep.</summary>
    public IReadOnlyList<double> SweepTaus { get; init; } = [0.5, 0.8, 0.9, 0.95, 0.99];

    /// <summary>The table seed the sweep runs on (default the first of <see cref="TableSeeds"/>).</summary>
    public int? SweepSeed { get; init; }

    /// <summary>Requests served first on each deployment and not recorded (JIT, caches).</summary>
    public int WarmUp { get; init; } = 5;

    /// <summary>Throws naming the bad setting.</summary>
    public void Validate()
    {
        if (TableSeeds.Count == 0 || TableSeeds.Any(s => s < 0))
        {
            throw new CliException("calibration: table seeds must be one or more non-negative integers", 2);
        }

        if (DeltaDivisors.Count == 0 || DeltaDivisors.Any(d => !(d >= 1) || !double.IsFinite(d)))
        {
            throw new CliException("calibration: δ divisors must be finite numbers ≥ 1", 2);
        }

        if (Tau is { } tau && !(tau > 0 && tau < 1))
        {
            throw new CliException($"calibration: τ must lie in (0, 1) (got {tau})", 2);
        }

        if (SweepTaus.Any(t => !(t > 0 && t < 1)))
        {
            throw new CliException("calibration: every sweep τ must lie in (0, 1)", 2);
        }
    }
}
