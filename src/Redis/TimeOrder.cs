using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Redis;

/// <summary>Puts a slice's rows in time order when its segments overlap in time (appended rows may be older than stored ones).</summary>
internal static class TimeOrder
{
    public static LayoutPartition Sorted(LayoutPartition slice, TableSchema schema, int timeOrdinal)
    {
        var times = slice.Int64s(timeOrdinal);
        var ordered = true;
        for (var r = 1; r < times.Length && ordered; r++)
        {
            ordered = times[r - 1] <= times[r];
        }

        if (ordered)
        {
            return slice;
        }

        // A stable order: ties keep their stored order, so the same segments always give the same slice.
        var order = new int[times.Length];
        for (var r = 0; r < order.Length; r++)
        {
            order[r] = r;
        }

        var keys = times.ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var columns = new ReadOnlyMemory<byte>[schema.Count];
        for (var c = 0; c < columns.Length; c++)
        {
            var width = SegmentFormat.Width(schema[c].Type);
            var source = slice.ColumnBuffer(c).Span;
            var target = new byte[order.Length * width];
            for (var r = 0; r < order.Length; r++)
            {
                source.Slice(order[r] * width, width).CopyTo(target.AsSpan(r * width));
            }

            columns[c] = target;
        }

        return new LayoutPartition(slice.RowCount, ReadOnlyMemory<byte>.Empty, columns);
    }
}
