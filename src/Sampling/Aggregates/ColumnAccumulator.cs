namespace Biathlon.Sampling;

/// <summary>
/// The running state of one column of a cursor: whatever its aggregates need (moments, extremes, a sorted sample)
/// and the null count. Widening feeds it only rows of newly read partitions.
/// </summary>
internal sealed class ColumnAccumulator
{
    private const int ChunkLength = 1024;

    public ColumnAccumulator(int ordinal, ColumnType type)
    {
        Ordinal = ordinal;
        Type = type;
    }

    public int Ordinal { get; }

    public ColumnType Type { get; }

    /// <summary>Highest central moment kept: 0 (none), 2 (SUM/AVG) or 4 (VAR/STD).</summary>
    public int MomentOrder { get; private set; }

    public MomentState Moments;

    public long NonNull { get; private set; }

    public long Nulls { get; private set; }

    public ExtremeTracker? Extremes { get; private set; }

    public SortedSample? Sorted { get; private set; }

    public void Require(AggregateOp op)
    {
        switch (op)
        {
            case AggregateOp.Sum or AggregateOp.Avg:
                MomentOrder = Math.Max(MomentOrder, 2);
                break;
            case AggregateOp.Var or AggregateOp.Std:
                MomentOrder = 4;
                break;
            case AggregateOp.Min or AggregateOp.Max:
                Extremes ??= new ExtremeTracker();
                break;
            case AggregateOp.Median or AggregateOp.Percentile or AggregateOp.CountDistinct:
                Sorted ??= new SortedSample();
                break;
        }
    }

    /// <summary>Adds the rows of <paramref name="range"/> of <paramref name="partition"/> (no filters).</summary>
    public void AddRange(LayoutPartition partition, RowRange range)
    {
        if (Type == ColumnType.Double)
        {
            AddValues(partition.Doubles(Ordinal).Slice(range.Start, range.Length));
            return;
        }

        Span<double> chunk = stackalloc double[ChunkLength];
        for (var start = range.Start; start < range.End; start += ChunkLength)
        {
            var length = Math.Min(ChunkLength, range.End - start);
            var target = chunk[..length];
            if (Type == ColumnType.String)
            {
                MomentKernels.ConvertToDouble(partition.Codes(Ordinal).Slice(start, length), target);
            }
            else
            {
                MomentKernels.ConvertToDouble(partition.Int64s(Ordinal).Slice(start, length), target);
            }

            AddValues(target);
        }
    }

    /// <summary>Gathers the rows at <paramref name="start"/> + <paramref name="offsets"/> into <paramref name="buffer"/> and adds them.</summary>
    public void AddSelected(LayoutPartition partition, int start, ReadOnlySpan<int> offsets, Span<double> buffer)
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

        AddValues(target);
    }

    /// <summary>Call after a widening: merges the new partitions' values into the sorted sample.</summary>
    public void EndWidening() => Sorted?.Commit();

    private void AddValues(ReadOnlySpan<double> values)
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
