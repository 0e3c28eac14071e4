using System.Collections.Concurrent;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Planner;

/// <summary>
/// The uniforms of a Saltelli design and their normal scores, for D features and N base points: Sobol' point i of
/// dimension 2D gives row A_i (its first D coordinates) and row B_i (the last D). Computed once per (D, N, seed,
/// scramble) and shared, so a round maps features with one multiply-add per cell and never calls Φ⁻¹.
/// </summary>
internal sealed class QmcDesign
{
    private static readonly ConcurrentDictionary<(int, int, ulong, bool), QmcDesign> s_cache = new();

    private QmcDesign(int features, int baseSamples, ulong seed, bool scramble)
    {
        Features = features;
        BaseSamples = baseSamples;
        var dimensions = 2 * features;
        var points = new uint[baseSamples * dimensions];
        new SobolSequence(dimensions, scramble, seed).Fill(baseSamples, points);
        UniformA = new double[features * baseSamples];
        UniformB = new double[features * baseSamples];
        NormalA = new double[features * baseSamples];
        NormalB = new double[features * baseSamples];
        for (var j = 0; j < features; j++)
        {
            for (var i = 0; i < baseSamples; i++)
            {
                var a = SobolSequence.ToUnit(points[i * dimensions + j]);
                var b = SobolSequence.ToUnit(points[i * dimensions + features + j]);
                UniformA[j * baseSamples + i] = a;
                UniformB[j * baseSamples + i] = b;
                NormalA[j * baseSamples + i] = NormalDistribution.InverseCdf(a);
                NormalB[j * baseSamples + i] = NormalDistribution.InverseCdf(b);
            }
        }
    }

    public int Features { get; }

    public int BaseSamples { get; }

    /// <summary>Uniforms of the A rows, feature-major: feature j, point i at j · N + i.</summary>
    public double[] UniformA { get; }

    /// <summary>Uniforms of the B rows, feature-major.</summary>
    public double[] UniformB { get; }

    /// <summary>Φ⁻¹ of <see cref="UniformA"/>.</summary>
    public double[] NormalA { get; }

    /// <summary>Φ⁻¹ of <see cref="UniformB"/>.</summary>
    public double[] NormalB { get; }

    public static QmcDesign Get(int features, PropagationOptions options) =>
        s_cache.GetOrAdd(
            (features, options.BaseSamples, options.Seed, options.Scramble),
            key => new QmcDesign(key.Item1, key.Item2, key.Item3, key.Item4));
}
