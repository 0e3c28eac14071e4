using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// SIMD kernels that summarise a span of doubles into a <see cref="MomentState"/>. NaN marks a null: the fast path
/// assumes none and checks its result; a span that holds one is redone on the slow path, which skips and counts them.
/// </summary>
internal static class MomentKernels
{
    private const int ChunkLength = 1024;

    /// <summary>Moments of the non-NaN values of <paramref name="values"/> up to <paramref name="order"/> (2 or 4).</summary>
    public static MomentState Compute(ReadOnlySpan<double> values, int order, out long nulls)
    {
        nulls = 0;
        if (values.IsEmpty)
        {
            return default;
        }

        var state = order >= 4 ? Order4(values) : Order2(values);
        if (!double.IsNaN(state.Mean) && !double.IsNaN(state.M2) && !double.IsNaN(state.M4))
        {
            return state;
        }

        return SkipNulls(values, order, out nulls);
    }

    /// <summary>Count, mean and M2 in one pass of shifted sums: d = x − x₀ keeps Σd² well conditioned.</summary>
    internal static MomentState Order2(ReadOnlySpan<double> x)
    {
        var shift = x[0];
        var width = Vector<double>.Count;
        var vShift = new Vector<double>(shift);
        Vector<double> s1a = default, s1b = default, s1c = default, s1d = default;
        Vector<double> s2a = default, s2b = default, s2c = default, s2d = default;
        ref var origin = ref MemoryMarshal.GetReference(x);
        var i = 0;
        for (; i <= x.Length - 4 * width; i += 4 * width)
        {
            var d0 = Vector.LoadUnsafe(ref origin, (nuint)i) - vShift;
            var d1 = Vector.LoadUnsafe(ref origin, (nuint)(i + width)) - vShift;
            var d2 = Vector.LoadUnsafe(ref origin, (nuint)(i + 2 * width)) - vShift;
            var d3 = Vector.LoadUnsafe(ref origin, (nuint)(i + 3 * width)) - vShift;
            s1a += d0;
            s1b += d1;
            s1c += d2;
            s1d += d3;
            s2a = Vector.FusedMultiplyAdd(d0, d0, s2a);
            s2b = Vector.FusedMultiplyAdd(d1, d1, s2b);
            s2c = Vector.FusedMultiplyAdd(d2, d2, s2c);
            s2d = Vector.FusedMultiplyAdd(d3, d3, s2d);
        }

        for (; i <= x.Length - width; i += width)
        {
            var d = Vector.LoadUnsafe(ref origin, (nuint)i) - vShift;
            s1a += d;
            s2a = Vector.FusedMultiplyAdd(d, d, s2a);
        }

        var s1 = Vector.Sum(s1a + s1b + s1c + s1d);
        var s2 = Vector.Sum(s2a + s2b + s2c + s2d);
        for (; i < x.Length; i++)
        {
            var d = Unsafe.Add(ref origin, i) - shift;
            s1 += d;
            s2 += d * d;
        }

        double n = x.Length;
        return new MomentState
        {
            Count = x.Length,
            Mean = shift + s1 / n,
            M2 = Math.Max(s2 - s1 * s1 / n, 0),
        };
    }

    /// <summary>Count, mean and M2..M4 in two passes: the mean, then the central powers.</summary>
    /// <remarks>Both passes keep independent accumulator sets so consecutive FMAs do not wait on each other.</remarks>
    internal static MomentState Order4(ReadOnlySpan<double> x)
    {
        var width = Vector<double>.Count;
        ref var origin = ref MemoryMarshal.GetReference(x);

        // Pass 1: the mean, from sums shifted by the first value so a large common offset costs no precision.
        var shift = x[0];
        var vShift = new Vector<double>(shift);
        Vector<double> sa = default, sb = default, sc = default, sd = default;
        var i = 0;
        for (; i <= x.Length - 4 * width; i += 4 * width)
        {
            sa += Vector.LoadUnsafe(ref origin, (nuint)i) - vShift;
            sb += Vector.LoadUnsafe(ref origin, (nuint)(i + width)) - vShift;
            sc += Vector.LoadUnsafe(ref origin, (nuint)(i + 2 * width)) - vShift;
            sd += Vector.LoadUnsafe(ref origin, (nuint)(i + 3 * width)) - vShift;
        }

        var sum = Vector.Sum((sa + sb) + (sc + sd));
        for (; i < x.Length; i++)
        {
            sum += Unsafe.Add(ref origin, i) - shift;
        }

        double n = x.Length;
        var mean = shift + sum / n;
        var vMean = new Vector<double>(mean);
        Vector<double> a1 = default, a2 = default, a3 = default, a4 = default;
        Vector<double> b1 = default, b2 = default, b3 = default, b4 = default;
        for (i = 0; i <= x.Length - 2 * width; i += 2 * width)
        {
            var da = Vector.LoadUnsafe(ref origin, (nuint)i) - vMean;
            var db = Vector.LoadUnsafe(ref origin, (nuint)(i + width)) - vMean;
            var sqa = da * da;
            var sqb = db * db;
            a1 += da;
            b1 += db;
            a2 += sqa;
            b2 += sqb;
            a3 = Vector.FusedMultiplyAdd(sqa, da, a3);
            b3 = Vector.FusedMultiplyAdd(sqb, db, b3);
            a4 = Vector.FusedMultiplyAdd(sqa, sqa, a4);
            b4 = Vector.FusedMultiplyAdd(sqb, sqb, b4);
        }

        double c1 = Vector.Sum(a1 + b1), c2 = Vector.Sum(a2 + b2), c3 = Vector.Sum(a3 + b3), c4 = Vector.Sum(a4 + b4);
        for (; i < x.Length; i++)
        {
            var d = Unsafe.Add(ref origin, i) - mean;
            var sq = d * d;
            c1 += d;
            c2 += sq;
            c3 += sq * d;
            c4 += sq * sq;
        }

        // c1 is the rounding residue of the mean: re-centre every moment on mean + δ, δ = c1 / n, exactly.
        var delta = c1 / n;
        var delta2 = delta * delta;
        return new MomentState
        {
            Count = x.Length,
            Mean = mean + delta,
            M2 = Math.Max(c2 - c1 * delta, 0),
            M3 = c3 - 3 * delta * c2 + 2 * n * delta2 * delta,
            M4 = Math.Max(c4 - 4 * delta * c3 + 6 * delta2 * c2 - 3 * n * delta2 * delta2, 0),
        };
    }

    private static MomentState SkipNulls(ReadOnlySpan<double> values, int order, out long nulls)
    {
        nulls = 0;
        var state = default(MomentState);
        Span<double> chunk = stackalloc double[ChunkLength];
        var filled = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v))
            {
                nulls++;
                continue;
            }

            chunk[filled++] = v;
            if (filled == ChunkLength)
            {
                state.Merge(order >= 4 ? Order4(chunk) : Order2(chunk), order);
                filled = 0;
            }
        }

        if (filled > 0)
        {
            state.Merge(order >= 4 ? Order4(chunk[..filled]) : Order2(chunk[..filled]), order);
        }

        return state;
    }

    /// <summary>Converts 64-bit integers to doubles, mapping the null sentinel <see cref="long.MinValue"/> to NaN.</summary>
    public static void ConvertToDouble(ReadOnlySpan<long> source, Span<double> target)
    {
        var width = Vector<long>.Count;
        var nullValue = new Vector<long>(long.MinValue);
        var nan = new Vector<double>(double.NaN);
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(target);
        var i = 0;
        for (; i <= source.Length - width; i += width)
        {
            var v = Vector.LoadUnsafe(ref from, (nuint)i);
            var converted = Vector.ConvertToDouble(v);
            var isNull = Vector.AsVectorDouble(Vector.Equals(v, nullValue));
            Vector.ConditionalSelect(isNull, nan, converted).StoreUnsafe(ref to, (nuint)i);
        }

        for (; i < source.Length; i++)
        {
            var v = Unsafe.Add(ref from, i);
            Unsafe.Add(ref to, i) = v == long.MinValue ? double.NaN : v;
        }
    }

    /// <summary>Converts dictionary codes to doubles, mapping the null code −1 to NaN.</summary>
    public static void ConvertToDouble(ReadOnlySpan<int> source, Span<double> target)
    {
        for (var i = 0; i < source.Length; i++)
        {
            target[i] = source[i] < 0 ? double.NaN : source[i];
        }
    }
}
