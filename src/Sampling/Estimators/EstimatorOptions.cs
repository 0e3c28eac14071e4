using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling;

/// <summary>Settings of the feature estimators. Immutable; validated when constructed.</summary>
public sealed class EstimatorOptions
{
    /// <summary>Creates options, validating each value.</summary>
    /// <param name="minSupport">Sampled values below which the error is <see cref="ErrorKind.Unknown"/> (default 30, at least 1).</param>
    /// <param name="bootstrapResamples">Bootstrap resamples B (default 100, at least 2).</param>
    /// <param name="seed">Seed of every bootstrap; equal seeds give equal results.</param>
    /// <param name="confidenceLevel">Coverage of the reported interval [Low, High] (default 0.95), in (0, 1).</param>
    /// <param name="quantileError">How quantiles report their error (default order statistics).</param>
    public EstimatorOptions(
        int minSupport = 30,
        int bootstrapResamples = 100,
        ulong seed = 0,
        double confidenceLevel = 0.95,
        QuantileErrorMode quantileError = QuantileErrorMode.OrderStatistics)
    {
        if (minSupport < 1)
        {
            throw new ConfigurationException(nameof(minSupport), $"minSupport must be at least 1 (got {minSupport}).");
        }

        if (bootstrapResamples < 2)
        {
            throw new ConfigurationException(nameof(bootstrapResamples), $"bootstrapResamples must be at least 2 (got {bootstrapResamples}).");
        }

        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ConfigurationException(nameof(confidenceLevel), $"confidenceLevel must lie in (0, 1) (got {confidenceLevel}).");
        }

        MinSupport = minSupport;
        BootstrapResamples = bootstrapResamples;
        Seed = seed;
        ConfidenceLevel = confidenceLevel;
        QuantileError = quantileError;
        CriticalValue = NormalDistribution.InverseCdf(0.5 + confidenceLevel / 2);
    }

    /// <summary>The defaults: min support 30, B = 100, seed 0, 95% intervals, order-statistics quantile errors.</summary>
    public static EstimatorOptions Default { get; } = new();

    /// <summary>Sampled values below which the error is unknown.</summary>
    public int MinSupport { get; }

    /// <summary>Bootstrap resamples B.</summary>
    public int BootstrapResamples { get; }

    /// <summary>Seed of every bootstrap.</summary>
    public ulong Seed { get; }

    /// <summary>Coverage of the reported interval.</summary>
    public double ConfidenceLevel { get; }

    /// <summary>How quantiles report their error.</summary>
    public QuantileErrorMode QuantileError { get; }

    /// <summary>Φ⁻¹(1/2 + level/2): 1.96 for 95%.</summary>
    public double CriticalValue { get; }
}
