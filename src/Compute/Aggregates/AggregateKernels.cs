using ILGPU;

namespace Biathlon.Compute.Aggregates;

/// <summary>
/// The ILGPU kernels of the aggregate executor. Each is explicitly grouped, one group per job: the group's threads
/// stride over the job's rows, keep private partial sums, and combine them with a shared-memory tree reduction, so a
/// batch of any number of jobs is one launch per kernel kind. NaN is a null everywhere. Group sizes are powers of two
/// up to <see cref="MaxGroupSize"/>.
/// </summary>
internal static class AggregateKernels
{
    /// <summary>The largest group the kernels use: the length of their shared-memory arrays.</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Doubles per moments result: count, nulls, pass-1 mean, Σd, Σd², Σd³, Σd⁴ (d = x − that mean), min, max.</summary>
    public const int MomentsWidth = 9;

    /// <summary>Doubles per co-moment result: count, pass-1 means of x and y, Σdx, Σdy, Σdx·dy.</summary>
    public const int CoMomentsWidth = 6;

    /// <summary>
    /// Moments of one column's range, in two passes. Pass 1: non-null count, null count, min, max and Σ(x − s) with
    /// s = the range's first value (0 if it is null), giving a mean m that is close; pass 2: Σ(x − m)ᵏ, k = 1..4. The
    /// host removes pass 1's rounding with Σ(x − m) (the same re-centring as the SIMD kernel), so the central moments
    /// never come from raw power sums whose cancellation would lose digits when the mean is far from zero or from s.
    /// </summary>
    public static void Moments(ArrayView<double> data, ArrayView<DeviceJob> jobs, ArrayView<double> output)
    {
        var job = jobs[Grid.IdxX];
        int tid = Group.IdxX, size = Group.DimX;
        var a = SharedMemory.Allocate<double>(MaxGroupSize);
        var b = SharedMemory.Allocate<double>(MaxGroupSize);
        var c = SharedMemory.Allocate<double>(MaxGroupSize);
        var d = SharedMemory.Allocate<double>(MaxGroupSize);
        var e = SharedMemory.Allocate<double>(MaxGroupSize);

        var shift = job.Length > 0 ? data[job.X] : 0.0;
        if (double.IsNaN(shift))
        {
            shift = 0;
        }

        double count = 0, nulls = 0, sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (long i = tid; i < job.Length; i += size)
        {
            var v = data[job.X + i];
            if (double.IsNaN(v))
            {
                nulls += 1;
                continue;
            }

            count += 1;
            sum += v - shift;
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        a[tid] = count;
        b[tid] = nulls;
        c[tid] = sum;
        d[tid] = min;
        e[tid] = max;
        Group.Barrier();
        for (var stride = size / 2; stride > 0; stride /= 2)
        {
            if (tid < stride)
            {
                a[tid] += a[tid + stride];
                b[tid] += b[tid + stride];
                c[tid] += c[tid + stride];
                if (d[tid + stride] < d[tid])
                {
                    d[tid] = d[tid + stride];
                }

                if (e[tid + stride] > e[tid])
                {
                    e[tid] = e[tid + stride];
                }
            }

            Group.Barrier();
        }

        var n = a[0];
        var totalNulls = b[0];
        var mean = n > 0 ? shift + c[0] / n : 0.0;
        var lowest = d[0];
        var highest = e[0];
        Group.Barrier(); // every thread has read the totals before the arrays are reused

        double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        for (long i = tid; i < job.Length; i += size)
        {
            var v = data[job.X + i];
            if (!double.IsNaN(v))
            {
                var dv = v - mean;
                var sq = dv * dv;
                s1 += dv;
                s2 += sq;
                s3 += sq * dv;
                s4 += sq * sq;
            }
        }

        a[tid] = s1;
        b[tid] = s2;
        c[tid] = s3;
        d[tid] = s4;
        Group.Barrier();
        for (var stride = size / 2; stride > 0; stride /= 2)
        {
            if (tid < stride)
            {
                a[tid] += a[tid + stride];
                b[tid] += b[tid + stride];
                c[tid] += c[tid + stride];
                d[tid] += d[tid + stride];
            }

            Group.Barrier();
        }

        if (tid == 0)
        {
            var o = job.Output;
            output[o] = n;
            output[o + 1] = totalNulls;
            output[o + 2] = mean;
            output[o + 3] = a[0];
            output[o + 4] = b[0];
            output[o + 5] = c[0];
            output[o + 6] = d[0];
            output[o + 7] = lowest;
            output[o + 8] = highest;
        }
    }

    /// <summary>
    /// The co-moment of two columns over the rows where both are non-null, in two passes like <see cref="Moments"/>:
    /// count and shifted sums for the means, then Σdx, Σdy and Σdx·dy about them (the host removes the means' rounding).
    /// </summary>
    public static void CoMoments(ArrayView<double> data, ArrayView<DeviceJob> jobs, ArrayView<double> output)
    {
        var job = jobs[Grid.IdxX];
        int tid = Group.IdxX, size = Group.DimX;
        var a = SharedMemory.Allocate<double>(MaxGroupSize);
        var b = SharedMemory.Allocate<double>(MaxGroupSize);
        var c = SharedMemory.Allocate<double>(MaxGroupSize);

        double shiftX = 0, shiftY = 0;
        if (job.Length > 0 && !double.IsNaN(data[job.X]) && !double.IsNaN(data[job.Y]))
        {
            shiftX = data[job.X];
            shiftY = data[job.Y];
        }

        double count = 0, sumX = 0, sumY = 0;
        for (long i = tid; i < job.Length; i += size)
        {
            var x = data[job.X + i];
            var y = data[job.Y + i];
            if (!double.IsNaN(x) && !double.IsNaN(y))
            {
                count += 1;
                sumX += x - shiftX;
                sumY += y - shiftY;
            }
        }

        a[tid] = count;
        b[tid] = sumX;
        c[tid] = sumY;
        Group.Barrier();
        Reduce3(a, b, c, tid, size);
        var n = a[0];
        var meanX = n > 0 ? shiftX + b[0] / n : 0.0;
        var meanY = n > 0 ? shiftY + c[0] / n : 0.0;
        Group.Barrier();

        double rx = 0, ry = 0, rxy = 0;
        for (long i = tid; i < job.Length; i += size)
        {
            var x = data[job.X + i];
            var y = data[job.Y + i];
            if (!double.IsNaN(x) && !double.IsNaN(y))
            {
                var dx = x - meanX;
                var dy = y - meanY;
                rx += dx;
                ry += dy;
                rxy += dx * dy;
            }
        }

        a[tid] = rx;
        b[tid] = ry;
        c[tid] = rxy;
        Group.Barrier();
        Reduce3(a, b, c, tid, size);
        if (tid == 0)
        {
            var o = job.Output;
            output[o] = n;
            output[o + 1] = meanX;
            output[o + 2] = meanY;
            output[o + 3] = a[0];
            output[o + 4] = b[0];
            output[o + 5] = c[0];
        }
    }

    /// <summary>
    /// Sorts one column's range: copies it into the job's scratch segment (padded with NaN to a power of two), sorts
    /// the segment with a bitonic network (NaN greater than every number, so nulls sort last), and writes the non-null
    /// prefix to the job's value slot and its length to <paramref name="counts"/>. The group's threads share each
    /// stage's compare-exchanges, with a barrier between stages.
    /// </summary>
    public static void Sort(
        ArrayView<double> data, ArrayView<DeviceJob> jobs, ArrayView<double> scratch, ArrayView<double> output, ArrayView<int> counts)
    {
        var job = jobs[Grid.IdxX];
        int tid = Group.IdxX, size = Group.DimX;
        var a = SharedMemory.Allocate<double>(MaxGroupSize);
        long padded = job.Padded;

        double nonNull = 0;
        for (long i = tid; i < padded; i += size)
        {
            var v = i < job.Length ? data[job.X + i] : double.NaN;
            if (!double.IsNaN(v))
            {
                nonNull += 1;
            }

            scratch[job.Scratch + i] = v;
        }

        a[tid] = nonNull;
        Group.Barrier();
        for (var stride = size / 2; stride > 0; stride /= 2)
        {
            if (tid < stride)
            {
                a[tid] += a[tid + stride];
            }

            Group.Barrier();
        }

        var count = (long)a[0];
        for (long k = 2; k <= padded; k *= 2)
        {
            for (var j = k / 2; j > 0; j /= 2)
            {
                for (long i = tid; i < padded; i += size)
                {
                    var partner = i ^ j;
                    if (partner > i)
                    {
                        var left = scratch[job.Scratch + i];
                        var right = scratch[job.Scratch + partner];
                        var ascending = (i & k) == 0;
                        if (ascending ? Greater(left, right) : Greater(right, left))
                        {
                            scratch[job.Scratch + i] = right;
                            scratch[job.Scratch + partner] = left;
                        }
                    }
                }

                Group.Barrier();
            }
        }

        for (long i = tid; i < count; i += size)
        {
            output[job.Output + i] = scratch[job.Scratch + i];
        }

        if (tid == 0)
        {
            counts[Grid.IdxX] = (int)count;
        }
    }

    /// <summary>a &gt; b in the order that puts NaN after every number.</summary>
    private static bool Greater(double a, double b) => double.IsNaN(a) ? !double.IsNaN(b) : !double.IsNaN(b) && a > b;

    private static void Reduce3(ArrayView<double> a, ArrayView<double> b, ArrayView<double> c, int tid, int size)
    {
        for (var stride = size / 2; stride > 0; stride /= 2)
        {
            if (tid < stride)
            {
                a[tid] += a[tid + stride];
                b[tid] += b[tid + stride];
                c[tid] += c[tid + stride];
            }

            Group.Barrier();
        }
    }
}
