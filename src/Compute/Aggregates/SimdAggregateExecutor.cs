using System.Buffers;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Aggregates.Offload;

namespace Biathlon.Compute.Aggregates;

/// <summary>
/// The CPU executor: each job on the calling thread with the SIMD moment kernel, the co-moment state and a span sort,
/// reading the layout's column buffers directly. The reference the GPU executor is tested against, and the path a
/// batch takes without a device. Stateless apart from a pooled conversion buffer per call; thread-safe.
/// </summary>
internal sealed class SimdAggregateExecutor : IAggregateExecutor
{
    /// <inheritdoc/>
    public void Execute(ReadOnlySpan<ColumnRangeJob> jobs, ColumnJobResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        results.Prepare(jobs);
        var longest = 0;
        foreach (var job in jobs)
        {
            longest = Math.Max(longest, job.Range.Length);
        }

        // Non-Double columns are converted: one buffer per column of a job (two for a co-moment), rented once per batch.
        var buffer = ArrayPool<double>.Shared.Rent(Math.Max(1, 2 * longest));
        try
        {
            for (var i = 0; i < jobs.Length; i++)
            {
                Run(jobs[i], i, results, buffer.AsSpan(0, longest), buffer.AsSpan(longest, longest));
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    private static void Run(in ColumnRangeJob job, int index, ColumnJobResults results, Span<double> first, Span<double> second)
    {
        if (job.Range.IsEmpty)
        {
            return;
        }

        var partition = job.Layout.Partition(job.Partition);
        var schema = job.Layout.Table.Schema;
        var x = ColumnAccumulator.Load(partition, job.Ordinal, schema[job.Ordinal].Type, job.Range, first);
        switch (job.Kind)
        {
            case ColumnJobKind.Moments:
                results.Moments(index) = Moments(x);
                break;
            case ColumnJobKind.CoMoments:
            {
                var y = ColumnAccumulator.Load(partition, job.PairedOrdinal, schema[job.PairedOrdinal].Type, job.Range, second);
                var state = default(CoMomentState);
                state.Add(x, y);
                results.CoMoments(index) = new PartialCoMoments(state.Count, state.MeanX, state.MeanY, state.Comoment);
                break;
            }

            default:
            {
                var slot = results.ValueSlot(index, x.Length);
                var count = 0;
                foreach (var v in x)
                {
                    if (!double.IsNaN(v))
                    {
                        slot[count++] = v;
                    }
                }

                slot[..count].Sort();
                results.SetValueCount(index, count);
                break;
            }
        }
    }

    private static PartialMoments Moments(ReadOnlySpan<double> values)
    {
        var state = MomentKernels.Compute(values, 4, out var nulls);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            // NaN fails both comparisons, so nulls never become an extreme.
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        return state.Count == 0
            ? new PartialMoments(0, nulls, 0, 0, 0, 0, double.NaN, double.NaN)
            : new PartialMoments(state.Count, nulls, state.Mean, state.M2, state.M3, state.M4, min, max);
    }
}
