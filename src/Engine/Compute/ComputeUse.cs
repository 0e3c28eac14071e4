namespace Biathlon.Engine.Compute;

/// <summary>Where one prediction's work ran (<see cref="PredictionResult.Compute"/>).</summary>
/// <param name="Backend">The engine's backend (<see cref="ComputeInfo.Backend"/>).</param>
/// <param name="AggregatesOnDevice">True when at least one widening of this prediction ran on the device.</param>
/// <param name="ModelOnDevice">True when at least one model evaluation of this prediction ran on the device.</param>
/// <param name="Fallback">Why some of this prediction's device work ran on the CPU instead (device memory, device failure); null when none did.</param>
public readonly record struct ComputeUse(ComputeBackend Backend, bool AggregatesOnDevice, bool ModelOnDevice, string? Fallback);
