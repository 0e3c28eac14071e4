using System.Globalization;
using System.IO.Compression;
using Biathlon.Planner.Sobol;

namespace Biathlon.Planner.Tests;

public sealed class SobolTests
{
    /// <summary>
    /// Reference points produced once by scipy 1.10.1 (Debian python3-scipy), qmc.Sobol(d=1024, scramble=False), stored
    /// as 30-bit integers: indices 0..31 in all 1,024 dimensions, and indices up to 2^20 in 81 dimensions
    /// (scripts/export-sobol-data.py).
    /// </summary>
    private static List<(uint Index, int Dimension, uint Value)> Reference()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "sobol-unscrambled-reference.csv.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        reader.ReadLine();
        var rows = new List<(uint, int, uint)>();
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',');
            rows.Add((uint.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture), uint.Parse(f[2], CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    [Fact]
    public void Unscrambled_points_equal_scipy_in_all_1024_dimensions()
    {
        var reference = Reference();
        Assert.True(reference.Count > 35_000);
        var sequence = new SobolSequence(SobolDirections.MaxDimensions, scramble: false);
        var first = new uint[32 * SobolDirections.MaxDimensions];
        sequence.Fill(32, first);
        var point = new uint[SobolDirections.MaxDimensions];
        uint loaded = uint.MaxValue;
        var mismatches = new List<string>();
        foreach (var (index, dimension, value) in reference)
        {
            uint ours;
            if (index < 32)
            {
                ours = first[index * SobolDirections.MaxDimensions + dimension];
            }
            else
            {
                if (loaded != index)
                {
                    sequence.Point(index, point);
                    loaded = index;
                }

                ours = point[dimension];
            }

            if (ours >> 2 != value && mismatches.Count < 10)
            {
                mismatches.Add($"point {index}, dimension {dimension}: ours {ours >> 2}, scipy {value}");
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Sequential_and_direct_generation_agree()
    {
        var sequence = new SobolSequence(40, scramble: true, seed: 9);
        var points = new uint[300 * 40];
        sequence.Fill(300, points);
        var point = new uint[40];
        foreach (var index in new uint[] { 0, 1, 2, 7, 64, 199, 299 })
        {
            sequence.Point(index, point);
            Assert.Equal(points.AsSpan((int)index * 40, 40).ToArray(), point);
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(12345UL)]
    public void Scrambled_points_keep_one_point_per_dyadic_interval_for_the_first_2_to_the_k_points(ulong seed)
    {
        const int dimensions = 96;
        var sequence = new SobolSequence(dimensions, scramble: true, seed);
        var points = new uint[1024 * dimensions];
        sequence.Fill(1024, points);
        for (var k = 0; k <= 10; k++)
        {
            var count = 1 << k;
            for (var d = 0; d < dimensions; d++)
            {
                var seen = new bool[count];
                for (var i = 0; i < count; i++)
                {
                    var cell = k == 0 ? 0 : (int)(points[i * dimensions + d] >> (32 - k));
                    Assert.False(seen[cell], $"seed {seed}, k = {k}, dimension {d}: two of the first {count} points in cell {cell}");
                    seen[cell] = true;
                }
            }
        }
    }

    [Fact]
    public void Scrambling_is_seeded_and_changes_the_points()
    {
        var a = new uint[64 * 8];
        var b = new uint[64 * 8];
        var c = new uint[64 * 8];
        var plain = new uint[64 * 8];
        new SobolSequence(8, true, 5).Fill(64, a);
        new SobolSequence(8, true, 5).Fill(64, b);
        new SobolSequence(8, true, 6).Fill(64, c);
        new SobolSequence(8, false).Fill(64, plain);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, plain);
        Assert.Equal(0u, plain[0]);
        Assert.All(Enumerable.Range(0, 64 * 8), i => Assert.InRange(SobolSequence.ToUnit(a[i]), double.Epsilon, 1 - 1e-12));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public void Dimensions_outside_1_to_1024_are_refused(int dimensions) =>
        Assert.Equal("dimensions", Assert.Throws<ArgumentOutOfRangeException>(() => new SobolSequence(dimensions, false)).ParamName);
}
