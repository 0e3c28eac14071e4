using Biathlon.Sampling.Aggregates.Offload;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// The running state of one column of a cursor: whatever its aggregates need (moments, extremes, a sorted sample)
/// and the null count. Widening feeds it only rows of newly read partitions.
/// </summary>
internal sealed class ColumnAccumulator
{
    public ColumnAccumulator(int ordinal, ColumnType type)
    {
        Ordinal = ordinal;
        Type = type;
    }

    public int Ordinal { get; }

    public ColumnType Type { get; }

    /// <summary>
    /// Highest central moment kept: 0 (none), 2 (values only: exact reads) or 4 (SUM/AVG/VAR/STD with errors, which
    /// need M3 for the skewness and M4 for the variance's error).
    /// </summary>
    public int MomentOrder { get; private set; }

    /// <summary>The moment order the aggregates asked for, restored by <see cref="Reset"/> after <see cref="KeepValuesOnly"/>.</summary>
    private int _requiredOrder;

    public MomentState Moments;

    public long NonNull { get; private set; }

    public long Nulls { get; private set; }

    public ExtremeTracker? Extremes { get; private set; }

    public SortedSample? Sorted { get; private set; }

    public void Require(AggregateOp op)
    {
        switch (op)
        {
            case AggregateOp.Sum or AggregateOp.Avg or AggregateOp.Var or AggregateOp.Std:
                MomentOrder = _requiredOrder = 4;
                break;
            case AggregateOp.Min or AggregateOp.Max:
                Extremes ??= new ExtremeTracker();
                break;
            case AggregateOp.Median or AggregateOp.Percentile or AggregateOp.CountDistinct:
                Sorted ??= new SortedSample();
                break;
        }
    }

    /// <summary>Empties the state for a new sample, keeping its buffers (a pooled cursor's next request).</summary>
    public void Reset()
    {
        MomentOrder = _requiredOrder;
        Moments = default;
        NonNull = 0;
        Nulls = 0;
        Extremes?.Clear();
        Sorted?.Clear();
    }

    /// <summary>For a cursor that reads every partition at once: its estimates are exact, so no error state is kept.</summary>
    public void KeepValuesOnly() => MomentOrder = Math.Min(MomentOrder, 2);

    /// <summary>The column's values in <paramref name="range"/> of <paramref name="partition"/>: a view, or converted into <paramref name="buffer"/>.</summary>
    public ReadOnlySpan<double> Load(LayoutPartition partition, RowRange range, Span<double> buffer) =>
        Load(partition, Ordinal, Type, range, buffer);

    /// <summary>
    /// Column <paramref name="ordinal"/>'s values in <paramref name="range"/> as doubles: a view of a Double column, else
    /// converted into <paramref name="buffer"/> (null Int64 and negative string codes become NaN).
    /// </summary>
    public static ReadOnlySpan<double> Load(LayoutPartition partition, int ordinal, ColumnType type, RowRange range, Span<double> buffer)
    {
        if (type == ColumnType.Double)
        {
            return partition.Doubles(ordinal).Slice(range.Start, range.Length);
        }

        var target = buffer[..range.Length];
        if (type == ColumnType.String)
        {
            MomentKernels.ConvertToDouble(partition.Codes(ordinal).Slice(range.Start, range.Length), target);
        }
        else
        {
            MomentKernels.ConvertToDouble(partition.Int64s(ordinal).Slice(range.Start, range.Length), target);
        }

        return target;
    }

    /// <summary>The column's values at rows <paramref name="start"/> + <paramref name="offsets"/>, gathered into <paramref name="buffer"/>.</summary>
    public ReadOnlySpan<double> Gather(LayoutPartition partition, int start, ReadOnlySpan<int> offsets, Span<double> buffer)
    {
        var target = buffer[..offsets.Length];
        switch (Type)
        {
            case ColumnType.Double:
            {
                var values = partition.Doubles(Ordinal);
                for (var i = 0; i < offsets.Length; i++)
                {
                    target[i] = values[start + offsets[i]];
                }

                break;
            }

            case ColumnType.String:
            {
                var codes = partition.Codes(Ordinal);
                for (var i = 0; i < offsets.Length; i++)
                {
                    var code = codes[start + offsets[i]];
                    target[i] = code < 0 ? double.NaN : code;
                }

                break;
            }

            default:
            {
                var values = partition.Int64s(Ordinal);
                for (var i = 0; i < offsets.Length; i++)
                {
                    var v = values[start + offsets[i]];
                    target[i] = v == long.MinValue ? double.NaN : v;
                }

                break;
            }
        }

        return target;
    }

    /// <summary>Adds everything <paramref name="other"/> (same column and aggregates) holds: folds a census into the sample once a cursor is exact.</summary>
    public void Absorb(ColumnAccumulator other)
    {
        Moments.Merge(other.Moments, MomentOrder);
        NonNull += other.NonNull;
        Nulls += other.Nulls;
        if (other.Extremes is { } extremes)
        {
            Extremes?.Add(extremes.Largest);
            Extremes?.Add(extremes.Smallest);
        }

        if (other.Sorted is { } sorted)
        {
            Sorted?.Add(sorted.Values);
            Sorted?.Commit();
        }
    }

    /// <summary>Call after a widening: merges the new partitions' values into the sorted sample.</summary>
    public void EndWidening() => Sorted?.Commit();

    /// <summary>
    /// Adds one range's values as a compute backend summarised them: its <paramref name="partial"/> moments and null
    /// counts, and its non-null values <paramref name="sorted"/> ascending (empty unless the column keeps extremes or a
    /// sorted sample). The state afterwards equals what <see cref="AddValues"/> of the range's values gives.
    /// </summary>
    public void AddPartial(in PartialMoments partial, ReadOnlySpan<double> sorted)
    {
        if (MomentOrder > 0 && partial.Count > 0)
        {
            Moments.Merge(partial.ToMomentState(MomentOrder), MomentOrder);
        }

        Nulls += partial.Nulls;
        NonNull += partial.Count;
        if (Extremes is { } extremes)
        {
            // The tracker keeps the K smallest and K largest values: of a sorted run only its ends can enter.
            var keep = ExtremeTracker.Capacity;
            if (sorted.Length <= 2 * keep)
            {
                extremes.Add(sorted);
            }
            else
            {
                extremes.Add(sorted[..keep]);
                extremes.Add(sorted[^keep..]);
            }
        }

        Sorted?.Add(sorted);
    }

    public void AddValues(ReadOnlySpan<double> values)
    {
        long nulls;
        if (MomentOrder > 0)
        {
            var state = MomentKernels.Compute(values, MomentOrder, out nulls);
            Moments.Merge(state, MomentOrder);
        }
        else
        {
            nulls = CountNaN(values);
        }

        Nulls += nulls;
        NonNull += values.Length - nulls;
        Extremes?.Add(values);
        Sorted?.Add(values);
    }

    private static long CountNaN(ReadOnlySpan<double> values)
    {
        long n = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v))
            {
                n++;
            }
        }

        return n;
    }
}
