using Biathlon.Sampling.Aggregates;

namespace Biathlon.Sampling.Tests;

/// <summary>The SIMD moment kernels and their merge against textbook two-pass computations.</summary>
public sealed class KernelUnitTests
{
    public static TheoryData<int, double> Lengths() => new()
    {
        { 1, 0 }, { 2, 0 }, { 3, 5 }, { 7, -2 }, { 16, 0 }, { 33, 100 }, { 1000, 0 }, { 10_007, 1e9 },
    };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Order2_and_order4_match_two_pass_moments(int length, double offset)
    {
        var values = Values(length, offset, seed: length);
        var (mean, m2, m3, m4) = TwoPass(values);
        foreach (var order in new[] { 2, 4 })
        {
            var state = MomentKernels.Compute(values, order, out var nulls);
            Assert.Equal(0, nulls);
            Assert.Equal(length, state.Count);
            AssertRelative(mean, state.Mean, 1e-12);
            AssertRelative(m2, state.M2, 1e-9, scale: m2 + 1e-300);
            if (order == 4)
            {
                AssertRelative(m3, state.M3, 1e-10, scale: Math.Pow(m2 / length, 1.5) * length + 1e-300);
                AssertRelative(m4, state.M4, 1e-9, scale: m4 + 1e-300);
            }
        }
    }

    [Fact]
    public void NaN_values_are_skipped_and_counted()
    {
        var values = Values(3000, 0, seed: 1);
        var clean = new List<double>();
        for (var i = 0; i < values.Length; i++)
        {
            if (i % 7 == 3)
            {
                values[i] = double.NaN;
            }
            else
            {
                clean.Add(values[i]);
            }
        }

        var state = MomentKernels.Compute(values, 4, out var nulls);
        Assert.Equal(values.Length - clean.Count, nulls);
        Assert.Equal(clean.Count, state.Count);
        var (mean, m2, _, m4) = TwoPass([.. clean]);
        AssertRelative(mean, state.Mean, 1e-12);
        AssertRelative(m2, state.M2, 1e-9);
        AssertRelative(m4, state.M4, 1e-9);
    }

    [Fact]
    public void Merging_chunks_equals_the_moments_of_the_whole()
    {
        var values = Values(5000, 3, seed: 9);
        var rng = new Random(4);
        var merged = default(MomentState);
        for (var start = 0; start < values.Length;)
        {
            var length = Math.Min(rng.Next(1, 700), values.Length - start);
            merged.Merge(MomentKernels.Compute(values.AsSpan(start, length), 4, out _), 4);
            start += length;
        }

        var (mean, m2, m3, m4) = TwoPass(values);
        Assert.Equal(values.Length, merged.Count);
        AssertRelative(mean, merged.Mean, 1e-12);
        AssertRelative(m2, merged.M2, 1e-10);
        AssertRelative(m3, merged.M3, 1e-10, scale: Math.Pow(m2 / values.Length, 1.5) * values.Length);
        AssertRelative(m4, merged.M4, 1e-10);
    }

    [Fact]
    public void Integer_conversion_maps_the_null_sentinel_to_NaN()
    {
        long[] source = [1, long.MinValue, -3, 4_000_000_000_000, 5, long.MinValue, 7, 8, 9];
        var target = new double[source.Length];
        MomentKernels.ConvertToDouble(source, target);
        for (var i = 0; i < source.Length; i++)
        {
            Assert.Equal(source[i] == long.MinValue ? double.NaN : source[i], target[i]);
        }
    }

    [Fact]
    public void Extreme_tracker_keeps_the_64_largest_and_smallest_in_order()
    {
        var values = Values(10_000, 0, seed: 5);
        var tracker = new ExtremeTracker();
        for (var start = 0; start < values.Length; start += 999)
        {
            tracker.Add(values.AsSpan(start, Math.Min(999, values.Length - start)));
        }

        var sorted = values.Order().ToArray();
        Assert.Equal(sorted[^64..], tracker.Largest.ToArray());
        Assert.Equal(sorted[..64], tracker.Smallest.ToArray());
    }

    [Fact]
    public void Sorted_sample_merges_batches_into_one_sorted_sequence()
    {
        var sample = new SortedSample();
        var all = new List<double>();
        var rng = new Random(8);
        for (var batch = 0; batch < 20; batch++)
        {
            var values = Enumerable.Range(0, rng.Next(0, 300)).Select(_ => Math.Round(rng.NextDouble() * 50)).ToArray();
            sample.Add(values);
            sample.Add([double.NaN]);
            sample.Commit();
            all.AddRange(values);
        }

        Assert.Equal(all.Order().ToArray(), sample.Values.ToArray());
    }

    private static double[] Values(int length, double offset, int seed)
    {
        var rng = new Random(seed);
        var values = new double[length];
        for (var i = 0; i < length; i++)
        {
            // A skewed mixture, so the third moment is not zero.
            values[i] = offset + (rng.NextDouble() < 0.9 ? rng.NextDouble() * 10 : 50 + rng.NextDouble() * 100);
        }

        return values;
    }

    /// <summary>
    /// Two-pass central moments in decimal arithmetic (28 digits). Values are first shifted by the first value, which
    /// is exact in double for these inputs and keeps the double → decimal conversion (15 digits) from losing precision.
    /// </summary>
    private static (double Mean, double M2, double M3, double M4) TwoPass(double[] values)
    {
        var shift = values[0];
        decimal sum = 0;
        foreach (var v in values)
        {
            sum += (decimal)(v - shift);
        }

        var mean = sum / values.Length;
        decimal m2 = 0, m3 = 0, m4 = 0;
        foreach (var v in values)
        {
            var d = (decimal)(v - shift) - mean;
            m2 += d * d;
            m3 += d * d * d;
            m4 += d * d * d * d;
        }

        return (shift + (double)mean, (double)m2, (double)m3, (double)m4);
    }

    private static void AssertRelative(double expected, double actual, double tolerance, double? scale = null)
    {
        var s = scale ?? Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(s, 1e-300) || expected == actual,
            $"expected {expected:R}, got {actual:R} (tolerance {tolerance} × {s:G3})");
    }
}
