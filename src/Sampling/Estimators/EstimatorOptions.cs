using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling.Estimators;

/// <summary>Settings of the feature estimators. Immutable; validated when constructed.</summary>
public sealed class EstimatorOptions
{
    /// <summary>Creates options, validating each value.</summary>
    /// <param name="minSupport">Sampled values below which the error is <see cref="ErrorKind.Unknown"/> (default 30, at least 1).</param>
    /// <param name="confidenceLevel">Coverage of the reported interval [Low, High] (default 0.95), in (0, 1).</param>
    /// <param name="maxSkewness">
    /// Largest skewness of a COUNT, SUM or AVG estimate that the skewness correction is trusted to carry (default
    /// 0.5, in (0, 1]); beyond it the error is unknown (<see cref="UnknownReason.HeavyTail"/>) and the sample must grow.
    /// </param>
    /// <param name="maxLogSpread">
    /// Largest standard error of log VAR (twice that of log STD) that is trusted (default 0.35, positive); beyond it
    /// the error is unknown (<see cref="UnknownReason.HeavyTail"/>).
    /// </param>
    public EstimatorOptions(int minSupport = 30, double confidenceLevel = 0.95, double maxSkewness = 0.5, double maxLogSpread = 0.35)
    {
        if (minSupport < 1)
        {
            throw new ConfigurationException(nameof(minSupport), $"minSupport must be at least 1 (got {minSupport}).");
        }

        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ConfigurationException(nameof(confidenceLevel), $"confidenceLevel must lie in (0, 1) (got {confidenceLevel}).");
        }

        if (!(maxSkewness > 0 && maxSkewness <= 1))
        {
            throw new ConfigurationException(nameof(maxSkewness), $"maxSkewness must lie in (0, 1] (got {maxSkewness}).");
        }

        if (!(maxLogSpread > 0) || double.IsInfinity(maxLogSpread))
        {
            throw new ConfigurationException(nameof(maxLogSpread), $"maxLogSpread must be positive and finite (got {maxLogSpread}).");
        }

        MinSupport = minSupport;
        ConfidenceLevel = confidenceLevel;
        MaxSkewness = maxSkewness;
        MaxLogSpread = maxLogSpread;
        CriticalValue = NormalDistribution.InverseCdf(0.5 + confidenceLevel / 2);
    }

    /// <summary>The defaults: minimum support 30, 95% intervals, skewness up to 0.5, log spread up to 0.35.</summary>
    public static EstimatorOptions Default { get; } = new();

    /// <summary>Sampled values below which the error is unknown.</summary>
    public int MinSupport { get; }

    /// <summary>Coverage of the reported interval.</summary>
    public double ConfidenceLevel { get; }

    /// <summary>Largest trusted skewness of a COUNT, SUM or AVG estimate.</summary>
    public double MaxSkewness { get; }

    /// <summary>Largest trusted standard error of log VAR.</summary>
    public double MaxLogSpread { get; }

    /// <summary>Φ⁻¹(1/2 + level/2): 1.96 for 95%.</summary>
    public double CriticalValue { get; }
}
