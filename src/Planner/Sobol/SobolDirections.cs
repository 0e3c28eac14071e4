using System.Globalization;

namespace Biathlon.Planner.Sobol;

/// <summary>
/// Direction numbers of the Sobol' sequence for up to <see cref="MaxDimensions"/> dimensions, from the Joe–Kuo
/// table (new-joe-kuo-6.21201) shipped as the resource <c>sobol-joe-kuo-1024.txt</c>. Each dimension has 32
/// direction numbers as 32-bit binary fractions, most significant bit first. Loaded once; immutable.
/// </summary>
internal static class SobolDirections
{
    /// <summary>Dimensions the embedded table covers.</summary>
    public const int MaxDimensions = 1024;

    /// <summary>Bits per coordinate.</summary>
    public const int Bits = 32;

    private static readonly Lazy<uint[]> s_table = new(Load);

    /// <summary>The 32 direction numbers of <paramref name="dimension"/> (0-based).</summary>
    public static ReadOnlySpan<uint> For(int dimension)
    {
        if ((uint)dimension >= MaxDimensions)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"Sobol' dimensions are 0..{MaxDimensions - 1}.");
        }

        return s_table.Value.AsSpan(dimension * Bits, Bits);
    }

    private static uint[] Load()
    {
        var table = new uint[MaxDimensions * Bits];
        for (var j = 0; j < Bits; j++)
        {
            table[j] = 1u << (Bits - 1 - j); // dimension 1: van der Corput
        }

        using var stream = typeof(SobolDirections).Assembly.GetManifestResourceStream("Biathlon.Planner.sobol-joe-kuo-1024.txt")
            ?? throw new InvalidOperationException("The Sobol' direction table resource is missing from Biathlon.Planner.");
        using var reader = new StreamReader(stream);
        var loaded = 1;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var dimension = int.Parse(fields[0], CultureInfo.InvariantCulture) - 1;
            var degree = int.Parse(fields[1], CultureInfo.InvariantCulture);
            var coefficients = uint.Parse(fields[2], CultureInfo.InvariantCulture);
            if (dimension != loaded || fields.Length != 3 + degree)
            {
                throw new InvalidDataException($"Sobol' direction table: malformed line '{line}'.");
            }

            var v = table.AsSpan(dimension * Bits, Bits);
            for (var j = 0; j < degree; j++)
            {
                v[j] = uint.Parse(fields[3 + j], CultureInfo.InvariantCulture) << (Bits - 1 - j);
            }

            // v_j = a_1 v_{j-1} ⊕ … ⊕ a_{s-1} v_{j-s+1} ⊕ v_{j-s} ⊕ (v_{j-s} >> s)
            for (var j = degree; j < Bits; j++)
            {
                var value = v[j - degree] ^ (v[j - degree] >> degree);
                for (var k = 1; k < degree; k++)
                {
                    if (((coefficients >> (degree - 1 - k)) & 1) != 0)
                    {
                        value ^= v[j - k];
                    }
                }

                v[j] = value;
            }

            loaded++;
        }

        if (loaded != MaxDimensions)
        {
            throw new InvalidDataException($"Sobol' direction table holds {loaded} dimensions, expected {MaxDimensions}.");
        }

        return table;
    }
}
