using MathNet.Numerics.Distributions;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// The calibration pass rule. Of n requests that stopped with the bound met, k were within δ of the exact prediction.
/// An honest bound makes each of them within δ with probability at least τ, so k is at least Binomial(n, τ); the cell
/// passes when k / n ≥ τ − m with the one-sided margin m = z₀.₉₉·√(τ(1 − τ)/n) (normal approximation at α = 0.01):
/// an engine whose coverage is exactly τ fails a given cell with probability about 0.01, a conservative one less.
/// </summary>
public static class CalibrationRule
{
    /// <summary>z₀.₉₉, the 99% quantile of the standard normal distribution (2.3263…), from MathNet's inverse normal CDF.</summary>
    public static readonly double Z99 = Normal.InvCDF(0, 1, 0.99);

    /// <summary>The one-sided margin for <paramref name="n"/> trials at confidence <paramref name="tau"/>; NaN when n = 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tau"/> is not in (0, 1], or n is negative.</exception>
    public static double Margin(double tau, int n)
    {
        CheckTau(tau);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return n == 0 ? double.NaN : Z99 * Math.Sqrt(tau * (1 - tau) / n);
    }

    /// <summary>
    /// The verdict for <paramref name="within"/> (k) of <paramref name="boundMet"/> (n) requests within δ at confidence
    /// <paramref name="tau"/>. With n = 0 nothing was claimed: the verdict passes and says so (<see cref="CalibrationVerdict.HasEvidence"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">τ outside (0, 1], n negative, or k outside [0, n].</exception>
    public static CalibrationVerdict Evaluate(int boundMet, int within, double tau)
    {
        CheckTau(tau);
        ArgumentOutOfRangeException.ThrowIfNegative(boundMet);
        if (within < 0 || within > boundMet)
        {
            throw new ArgumentOutOfRangeException(nameof(within), within, $"k must lie in [0, n = {boundMet}].");
        }

        if (boundMet == 0)
        {
            return new CalibrationVerdict(0, 0, double.NaN, double.NaN, Pass: true);
        }

        var share = (double)within / boundMet;
        var margin = Margin(tau, boundMet);
        return new CalibrationVerdict(boundMet, within, share, margin, share >= tau - margin);
    }

    private static void CheckTau(double tau)
    {
        if (!(tau > 0 && tau <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "τ must lie in (0, 1].");
        }
    }
}

/// <summary>A calibration verdict.</summary>
/// <param name="N">Requests that stopped with the bound met.</param>
/// <param name="K">Of those, requests within δ of exact.</param>
/// <param name="Share">K / N (NaN when N = 0).</param>
/// <param name="Margin">The one-sided binomial margin (NaN when N = 0).</param>
/// <param name="Pass">K / N ≥ τ − margin (true when N = 0: nothing was claimed).</param>
public readonly record struct CalibrationVerdict(int N, int K, double Share, double Margin, bool Pass)
{
    /// <summary>False when no request stopped with the bound met, so the cell tested nothing.</summary>
    public bool HasEvidence => N > 0;
}
