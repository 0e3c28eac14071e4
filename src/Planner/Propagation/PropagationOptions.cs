using System.Numerics;
using Biathlon.Sampling.Errors;

namespace Biathlon.Planner.Propagation;

/// <summary>Settings of the QMC design.</summary>
public sealed record PropagationOptions
{
    /// <summary>Creates options, validating each value.</summary>
    /// <param name="baseSamples">N, the Saltelli base points: a power of two in [2, 65536] (default 128).</param>
    /// <param name="closedForm">
    /// Propagate in closed form, with no design points, when the specialised model is affine and every uncertain
    /// error is normal (default true; false always runs the QMC design, for comparisons).
    /// </param>
    public PropagationOptions(int baseSamples = 128, bool closedForm = true)
    {
        if (baseSamples < 2 || baseSamples > 65_536 || !BitOperations.IsPow2(baseSamples))
        {
            throw new ConfigurationException(
                nameof(baseSamples), $"The number of QMC base points N must be a power of two in [2, 65536] (got {baseSamples}).");
        }

        BaseSamples = baseSamples;
        ClosedForm = closedForm;
    }

    /// <summary>The defaults: N = 128.</summary>
    public static PropagationOptions Default { get; } = new();

    /// <summary>N, the Saltelli base points.</summary>
    public int BaseSamples { get; }

    /// <summary>Whether affine models with normal errors propagate in closed form.</summary>
    public bool ClosedForm { get; }
}
