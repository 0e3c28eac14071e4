using System.Numerics;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Planner.Sobol;

/// <summary>
/// A Sobol' sequence in up to 1,024 dimensions (Joe–Kuo directions), in Gray-code order, as 32-bit binary
/// fractions. Optionally scrambled by a random linear matrix scramble (a lower-triangular binary matrix with unit
/// diagonal per dimension) and a digital shift, both seeded; scrambling keeps the net property, so the first 2^k
/// points still fall one per 1/2^k interval in every dimension.
/// </summary>
internal sealed class SobolSequence
{
    private readonly uint[] _directions;
    private readonly uint[] _shift;

    /// <summary>Creates the sequence.</summary>
    /// <param name="dimensions">Dimensions, 1 to 1,024.</param>
    /// <param name="scramble">Apply the seeded linear matrix scramble and digital shift.</param>
    /// <param name="seed">Scrambling seed (ignored when not scrambling).</param>
    public SobolSequence(int dimensions, bool scramble, ulong seed = 0)
    {
        if (dimensions < 1 || dimensions > SobolDirections.MaxDimensions)
        {
            throw new ArgumentOutOfRangeException(
                nameof(dimensions), dimensions, $"A Sobol' sequence has 1 to {SobolDirections.MaxDimensions} dimensions.");
        }

        Dimensions = dimensions;
        Scrambled = scramble;
        _directions = new uint[dimensions * SobolDirections.Bits];
        _shift = new uint[dimensions];
        var rng = new Xoshiro256(seed);
        Span<uint> matrix = stackalloc uint[SobolDirections.Bits];
        for (var d = 0; d < dimensions; d++)
        {
            var source = SobolDirections.For(d);
            var target = _directions.AsSpan(d * SobolDirections.Bits, SobolDirections.Bits);
            if (!scramble)
            {
                source.CopyTo(target);
                continue;
            }

            // Row r of L produces output bit r (MSB first): its own bit plus random bits of the more significant inputs.
            for (var r = 0; r < SobolDirections.Bits; r++)
            {
                var higher = r == 0 ? 0u : ~0u << (SobolDirections.Bits - r);
                matrix[r] = (1u << (SobolDirections.Bits - 1 - r)) | ((uint)rng.NextUInt64() & higher);
            }

            for (var j = 0; j < SobolDirections.Bits; j++)
            {
                uint scrambled = 0;
                for (var r = 0; r < SobolDirections.Bits; r++)
                {
                    scrambled |= (uint)(BitOperations.PopCount(matrix[r] & source[j]) & 1) << (SobolDirections.Bits - 1 - r);
                }

                target[j] = scrambled;
            }

            _shift[d] = (uint)rng.NextUInt64();
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int Dimensions { get; }

    /// <summary>True when scrambled.</summary>
    public bool Scrambled { get; }

    /// <summary>
    /// Writes points [0, <paramref name="count"/>) as 32-bit fractions into <paramref name="points"/>, row-major
    /// (point i, dimension d at i · Dimensions + d).
    /// </summary>
    public void Fill(int count, Span<uint> points)
    {
        if (count < 0 || (long)count * Dimensions > points.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The output span is too small for that many points.");
        }

        Span<uint> x = Dimensions <= 256 ? stackalloc uint[Dimensions] : new uint[Dimensions];
        x.Clear();
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                // Gray-code order: point i differs from point i − 1 by direction number ctz(i).
                var bit = BitOperations.TrailingZeroCount(i);
                for (var d = 0; d < Dimensions; d++)
                {
                    x[d] ^= _directions[d * SobolDirections.Bits + bit];
                }
            }

            var row = points.Slice(i * Dimensions, Dimensions);
            for (var d = 0; d < Dimensions; d++)
            {
                row[d] = x[d] ^ _shift[d];
            }
        }
    }

    /// <summary>The point with index <paramref name="index"/> (any index below 2^32), computed directly.</summary>
    public void Point(uint index, Span<uint> point)
    {
        var gray = index ^ (index >> 1);
        for (var d = 0; d < Dimensions; d++)
        {
            uint value = 0;
            for (var bit = 0; gray >> bit != 0; bit++)
            {
                if (((gray >> bit) & 1) != 0)
                {
                    value ^= _directions[d * SobolDirections.Bits + bit];
                }
            }

            point[d] = value ^ _shift[d];
        }
    }

    /// <summary>A 32-bit fraction as a double strictly inside (0, 1): the midpoint of its 2^-32 cell.</summary>
    public static double ToUnit(uint fraction) => (fraction + 0.5) * (1.0 / 4294967296.0);
}
