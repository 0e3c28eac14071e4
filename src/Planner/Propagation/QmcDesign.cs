using System.Numerics;
using Biathlon.Planner.Sobol;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Planner.Propagation;

/// <summary>
/// The uniforms of a Saltelli design and their normal scores, for D features and N base points, regenerated from a
/// seed on every call: point i of a 2D-dimensional Sobol' sequence gives row A_i (its first D coordinates) and row B_i
/// (the last D). Each call draws a fresh random linear matrix scramble and digital shift per dimension, so no two
/// rounds or requests share a design: a model has no fixed design bias, and a stopping test repeated over rounds does
/// not re-read the same points. Only the first log₂ N direction numbers are scrambled (the first N points use no
/// others). Holds its buffers; allocation-free per call. Not thread-safe.
/// </summary>
internal sealed class QmcDesign
{
    private readonly uint[] _directions;   // per dimension, the first log2(N) unscrambled direction numbers
    private readonly uint[] _scrambled;
    private readonly int _bits;

    public QmcDesign(int features, int baseSamples)
    {
        Features = features;
        BaseSamples = baseSamples;
        _bits = BitOperations.Log2((uint)baseSamples);
        _directions = new uint[2 * features * _bits];
        _scrambled = new uint[_bits];
        for (var d = 0; d < 2 * features; d++)
        {
            SobolDirections.For(d)[.._bits].CopyTo(_directions.AsSpan(d * _bits, _bits));
        }

        UniformA = new double[features * baseSamples];
        UniformB = new double[features * baseSamples];
        NormalA = new double[features * baseSamples];
        NormalB = new double[features * baseSamples];
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

    /// <summary>Draws the design of <paramref name="seed"/> for the features whose <paramref name="needed"/> flag is set (the others are left as they were).</summary>
    public void Generate(ulong seed, ReadOnlySpan<bool> needed)
    {
        for (var j = 0; j < Features; j++)
        {
            if (!needed[j])
            {
                continue;
            }

            Fill(seed, j, UniformA.AsSpan(j * BaseSamples, BaseSamples), NormalA.AsSpan(j * BaseSamples, BaseSamples));
            Fill(seed, Features + j, UniformB.AsSpan(j * BaseSamples, BaseSamples), NormalB.AsSpan(j * BaseSamples, BaseSamples));
        }
    }

    private void Fill(ulong seed, int dimension, Span<double> uniforms, Span<double> normals)
    {
        var rng = new Xoshiro256(SplitMix64.Hash(seed, (ulong)dimension));
        Span<uint> matrix = stackalloc uint[SobolDirections.Bits];

        // Row r of the lower-triangular scramble L produces output bit r (MSB first): its own bit plus random bits of
        // the more significant inputs. L·v keeps the (t, m, s)-net property; the shift then randomises the cell.
        for (var r = 0; r < SobolDirections.Bits; r++)
        {
            var higher = r == 0 ? 0u : ~0u << (SobolDirections.Bits - r);
            matrix[r] = (1u << (SobolDirections.Bits - 1 - r)) | ((uint)rng.NextUInt64() & higher);
        }

        var shift = (uint)rng.NextUInt64();
        var source = _directions.AsSpan(dimension * _bits, _bits);
        for (var b = 0; b < _bits; b++)
        {
            uint scrambled = 0;
            for (var r = 0; r < SobolDirections.Bits; r++)
            {
                scrambled |= (uint)(BitOperations.PopCount(matrix[r] & source[b]) & 1) << (SobolDirections.Bits - 1 - r);
            }

            _scrambled[b] = scrambled;
        }

        uint x = 0;
        for (var i = 0; i < BaseSamples; i++)
        {
            if (i > 0)
            {
                x ^= _scrambled[BitOperations.TrailingZeroCount(i)]; // Gray-code order: same point set as index order
            }

            var u = SobolSequence.ToUnit(x ^ shift);
            uniforms[i] = u;
            normals[i] = NormalDistribution.InverseCdfFast(u);
        }
    }
}
