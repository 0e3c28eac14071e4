using System.Numerics;
using Biathlon.Compute.Devices;
using Biathlon.Sampling.Aggregates.Offload;
using ILGPU;
using ILGPU.Runtime;

namespace Biathlon.Compute.Aggregates;

/// <summary>
/// Runs aggregate jobs on a <see cref="ComputeDevice"/> over the columns of a <see cref="DeviceColumnStore"/>: one
/// launch per kernel kind (moments, co-moments, sorts) per batch, whatever the number of cursors, requests and tables
/// in it, all under the device's launch lock. Launch buffers are kept and grown across batches; after a failed batch
/// they are freed (their bytes return to the budget) and the exception reaches the caller, which widens on the CPU.
/// The store is shared, not owned. Thread-safe (batches are serialised by the launch lock).
/// </summary>
internal sealed class GpuAggregateExecutor : IAggregateExecutor, IDisposable
{
    private readonly ComputeDevice _device;
    private readonly DeviceColumnStore _store;
    private readonly int _groupSize;

    // Host staging, reused across batches.
    private DeviceJob[] _momentJobs = [];
    private DeviceJob[] _coMomentJobs = [];
    private DeviceJob[] _sortJobs = [];
    private int[] _momentIndex = [];
    private int[] _coMomentIndex = [];
    private int[] _sortIndex = [];
    private double[] _momentOut = [];
    private double[] _coMomentOut = [];
    private int[] _sortCounts = [];

    // Device launch buffers, grown on demand (null after a failure until the next batch).
    private LaunchBuffers? _buffers;

    public GpuAggregateExecutor(ComputeDevice device, DeviceColumnStore store)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(store);
        _device = device;
        _store = store;
        var limit = Math.Min(AggregateKernels.MaxGroupSize, device.Accelerator.MaxNumThreadsPerGroup);
        _groupSize = (int)BitOperations.RoundUpToPowerOf2((uint)limit + 1) / 2; // the largest power of two ≤ limit
    }

    /// <summary>Threads per group the kernels launch with.</summary>
    public int GroupSize => _groupSize;

    /// <inheritdoc/>
    public void Execute(ReadOnlySpan<ColumnRangeJob> jobs, ColumnJobResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        results.Prepare(jobs);
        lock (_device.LaunchLock)
        {
            if (_device.Failure is { } failure)
            {
                throw new InvalidOperationException("The compute device has failed; aggregates run on the CPU.", failure);
            }

            var (moments, coMoments, sorts, scratch) = Stage(jobs, results);
            if (moments + coMoments + sorts == 0)
            {
                return;
            }

            try
            {
                Launch(moments, coMoments, sorts, scratch, results);
            }
            catch
            {
                _buffers?.Dispose();
                _buffers = null;
                throw;
            }
        }
    }

    public void Dispose()
    {
        lock (_device.LaunchLock)
        {
            _buffers?.Dispose();
            _buffers = null;
        }
    }

    /// <summary>Resolves every job against the store (throwing before any launch for a column not resident) and stages it by kind.</summary>
    private (int Moments, int CoMoments, int Sorts, long Scratch) Stage(ReadOnlySpan<ColumnRangeJob> jobs, ColumnJobResults results)
    {
        Grow(ref _momentJobs, jobs.Length);
        Grow(ref _coMomentJobs, jobs.Length);
        Grow(ref _sortJobs, jobs.Length);
        Grow(ref _momentIndex, jobs.Length);
        Grow(ref _coMomentIndex, jobs.Length);
        Grow(ref _sortIndex, jobs.Length);
        int moments = 0, coMoments = 0, sorts = 0;
        long scratch = 0;
        for (var i = 0; i < jobs.Length; i++)
        {
            var job = jobs[i];
            if (job.Range.IsEmpty)
            {
                continue; // its prepared (zero) result is already right
            }

            var x = _store.Offset(job.Layout, job.Ordinal, job.Partition, job.Range);
            switch (job.Kind)
            {
                case ColumnJobKind.Moments:
                    _momentIndex[moments] = i;
                    _momentJobs[moments] = new DeviceJob { X = x, Length = job.Range.Length, Output = (long)moments * AggregateKernels.MomentsWidth };
                    moments++;
                    break;
                case ColumnJobKind.CoMoments:
                    _coMomentIndex[coMoments] = i;
                    _coMomentJobs[coMoments] = new DeviceJob
                    {
                        X = x,
                        Y = _store.Offset(job.Layout, job.PairedOrdinal, job.Partition, job.Range),
                        Length = job.Range.Length,
                        Output = (long)coMoments * AggregateKernels.CoMomentsWidth,
                    };
                    coMoments++;
                    break;
                default:
                {
                    var padded = (int)BitOperations.RoundUpToPowerOf2((uint)job.Range.Length);
                    _sortIndex[sorts] = i;
                    _sortJobs[sorts] = new DeviceJob
                    {
                        X = x,
                        Scratch = scratch,
                        Length = job.Range.Length,
                        Padded = padded,
                        Output = results.ValueStart(i),
                    };
                    scratch += padded;
                    sorts++;
                    break;
                }
            }
        }

        return (moments, coMoments, sorts, scratch);
    }

    private void Launch(int moments, int coMoments, int sorts, long scratch, ColumnJobResults results)
    {
        var buffers = _buffers ??= new LaunchBuffers(_device);
        var data = _store.View;
        if (moments > 0)
        {
            buffers.MomentJobs.Upload(_momentJobs.AsSpan(0, moments));
            buffers.MomentOut.EnsureLength((long)moments * AggregateKernels.MomentsWidth);
            var kernel = _device.Kernel("aggregates.moments", a => a.LoadStreamKernel<ArrayView<double>, ArrayView<DeviceJob>, ArrayView<double>>(AggregateKernels.Moments));
            kernel(new KernelConfig(moments, _groupSize), data, buffers.MomentJobs.View, buffers.MomentOut.View);
        }

        if (coMoments > 0)
        {
            buffers.CoMomentJobs.Upload(_coMomentJobs.AsSpan(0, coMoments));
            buffers.CoMomentOut.EnsureLength((long)coMoments * AggregateKernels.CoMomentsWidth);
            var kernel = _device.Kernel("aggregates.comoments", a => a.LoadStreamKernel<ArrayView<double>, ArrayView<DeviceJob>, ArrayView<double>>(AggregateKernels.CoMoments));
            kernel(new KernelConfig(coMoments, _groupSize), data, buffers.CoMomentJobs.View, buffers.CoMomentOut.View);
        }

        if (sorts > 0)
        {
            buffers.SortJobs.Upload(_sortJobs.AsSpan(0, sorts));
            buffers.Scratch.EnsureLength(Math.Max(1, scratch));
            buffers.SortedOut.EnsureLength(Math.Max(1, results.ValueCapacity));
            buffers.SortCounts.EnsureLength(sorts);
            var kernel = _device.Kernel(
                "aggregates.sort",
                a => a.LoadStreamKernel<ArrayView<double>, ArrayView<DeviceJob>, ArrayView<double>, ArrayView<double>, ArrayView<int>>(AggregateKernels.Sort));
            kernel(new KernelConfig(sorts, _groupSize), data, buffers.SortJobs.View, buffers.Scratch.View, buffers.SortedOut.View, buffers.SortCounts.View);
        }

        _device.Accelerator.Synchronize();
        if (moments > 0)
        {
            Grow(ref _momentOut, moments * AggregateKernels.MomentsWidth);
            buffers.MomentOut.Download(_momentOut.AsSpan(0, moments * AggregateKernels.MomentsWidth));
            for (var k = 0; k < moments; k++)
            {
                results.Moments(_momentIndex[k]) = ToMoments(_momentOut.AsSpan(k * AggregateKernels.MomentsWidth, AggregateKernels.MomentsWidth));
            }
        }

        if (coMoments > 0)
        {
            Grow(ref _coMomentOut, coMoments * AggregateKernels.CoMomentsWidth);
            buffers.CoMomentOut.Download(_coMomentOut.AsSpan(0, coMoments * AggregateKernels.CoMomentsWidth));
            for (var k = 0; k < coMoments; k++)
            {
                results.CoMoments(_coMomentIndex[k]) = ToCoMoments(_coMomentOut.AsSpan(k * AggregateKernels.CoMomentsWidth, AggregateKernels.CoMomentsWidth));
            }
        }

        if (sorts > 0)
        {
            buffers.SortedOut.Download(results.ValueBuffer);
            Grow(ref _sortCounts, sorts);
            buffers.SortCounts.Download(_sortCounts.AsSpan(0, sorts));
            for (var k = 0; k < sorts; k++)
            {
                results.SetValueCount(_sortIndex[k], _sortCounts[k]);
            }
        }
    }

    /// <summary>Central moments from a kernel record, re-centred on the exact mean as the SIMD kernel does.</summary>
    private static PartialMoments ToMoments(ReadOnlySpan<double> r)
    {
        var n = r[0];
        var nulls = (long)r[1];
        if (n == 0)
        {
            return new PartialMoments(0, nulls, 0, 0, 0, 0, double.NaN, double.NaN);
        }

        double c1 = r[3], c2 = r[4], c3 = r[5], c4 = r[6];
        var delta = c1 / n;
        var delta2 = delta * delta;
        return new PartialMoments(
            (long)n,
            nulls,
            r[2] + delta,
            Math.Max(c2 - c1 * delta, 0),
            c3 - 3 * delta * c2 + 2 * n * delta2 * delta,
            Math.Max(c4 - 4 * delta * c3 + 6 * delta2 * c2 - 3 * n * delta2 * delta2, 0),
            r[7],
            r[8]);
    }

    /// <summary>The co-moment from a kernel record, re-centred: Σ(dx − δx)(dy − δy) = Σdx·dy − n·δx·δy.</summary>
    private static PartialCoMoments ToCoMoments(ReadOnlySpan<double> r)
    {
        var n = r[0];
        if (n == 0)
        {
            return default;
        }

        var dx = r[3] / n;
        var dy = r[4] / n;
        return new PartialCoMoments((long)n, r[1] + dx, r[2] + dy, r[5] - n * dx * dy);
    }

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }
    }

    /// <summary>The device buffers of a batch, kept for the next one.</summary>
    private sealed class LaunchBuffers(ComputeDevice device) : IDisposable
    {
        public DeviceBuffer<DeviceJob> MomentJobs { get; } = new(device);

        public DeviceBuffer<DeviceJob> CoMomentJobs { get; } = new(device);

        public DeviceBuffer<DeviceJob> SortJobs { get; } = new(device);

        public DeviceBuffer<double> MomentOut { get; } = new(device);

        public DeviceBuffer<double> CoMomentOut { get; } = new(device);

        public DeviceBuffer<double> Scratch { get; } = new(device);

        public DeviceBuffer<double> SortedOut { get; } = new(device);

        public DeviceBuffer<int> SortCounts { get; } = new(device);

        public void Dispose()
        {
            MomentJobs.Dispose();
            CoMomentJobs.Dispose();
            SortJobs.Dispose();
            MomentOut.Dispose();
            CoMomentOut.Dispose();
            Scratch.Dispose();
            SortedOut.Dispose();
            SortCounts.Dispose();
        }
    }
}
