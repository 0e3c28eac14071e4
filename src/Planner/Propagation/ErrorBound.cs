using System.Globalization;
using Biathlon.Sampling.Errors;

namespace Biathlon.Planner.Propagation;

/// <summary>How a prediction's error is bounded.</summary>
public enum BoundKind
{
    /// <summary>Pr(|ŷ − ŷ_exact| ≤ δ) ≥ τ: confidence is computed for a fixed δ (the default).</summary>
    AbsoluteError,

    /// <summary>Pr(|ŷ − ŷ_exact| ≤ δ·|ŷ|) ≥ τ: δ is relative to the prediction.</summary>
    RelativeError,

    /// <summary>The error at confidence τ (the τ-quantile of |ŷ − ŷ_exact|) must be at most δ: confidence given, error out.</summary>
    ErrorAtConfidence,
}

/// <summary>An error bound δ with its required confidence τ. For classification δ is 0: the label must not change.</summary>
public sealed record ErrorBound
{
    /// <summary>Relative bounds treat |ŷ| below this as this, so a prediction near zero does not demand zero error.</summary>
    public const double RelativeFloor = 1e-9;

    private ErrorBound(BoundKind kind, double delta, double tau)
    {
        if (!(delta >= 0) || double.IsInfinity(delta))
        {
            throw new ConfigurationException("delta", $"The error bound δ must be finite and at least 0 (got {delta.ToString(CultureInfo.InvariantCulture)}).");
        }

        if (!(tau > 0 && tau < 1))
        {
            throw new ConfigurationException("tau", $"The confidence τ must lie in (0, 1) (got {tau.ToString(CultureInfo.InvariantCulture)}).");
        }

        Kind = kind;
        Delta = delta;
        Tau = tau;
    }

    /// <summary>The kind of bound.</summary>
    public BoundKind Kind { get; }

    /// <summary>δ: absolute, or relative for <see cref="BoundKind.RelativeError"/>.</summary>
    public double Delta { get; }

    /// <summary>τ: the required confidence.</summary>
    public double Tau { get; }

    /// <summary>Pr(|ŷ − ŷ_exact| ≤ <paramref name="delta"/>) ≥ <paramref name="tau"/>.</summary>
    public static ErrorBound Absolute(double delta, double tau) => new(BoundKind.AbsoluteError, delta, tau);

    /// <summary>Pr(|ŷ − ŷ_exact| ≤ <paramref name="delta"/>·|ŷ|) ≥ <paramref name="tau"/>.</summary>
    public static ErrorBound Relative(double delta, double tau) => new(BoundKind.RelativeError, delta, tau);

    /// <summary>The <paramref name="tau"/>-quantile of |ŷ − ŷ_exact| must be at most <paramref name="delta"/>.</summary>
    public static ErrorBound AtConfidence(double tau, double delta) => new(BoundKind.ErrorAtConfidence, delta, tau);

    /// <summary>True when <paramref name="result"/> satisfies the bound: its τ-quantile error is at most δ (error at confidence), else its confidence is at least τ.</summary>
    public bool IsMet(in PropagationResult result) =>
        !result.IsIndeterminate && (Kind == BoundKind.ErrorAtConfidence ? result.ErrorAtTau <= Delta : result.Confidence >= Tau);
}
