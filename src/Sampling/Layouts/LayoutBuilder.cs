using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Biathlon.Sampling.Ingest;

namespace Biathlon.Sampling.Layouts;

/// <summary>
/// Builds one layout: rows ordered by (partition, group, time). The table's rows arrive already sorted by time;
/// two stable counting sorts (by group, then by partition) finish the order in linear time per layout.
/// </summary>
internal static class LayoutBuilder
{
    /// <param name="raw">The ingested rows.</param>
    /// <param name="table">The table the layout belongs to (schema, partition count, time column).</param>
    /// <param name="spec">Layout name and key columns.</param>
    /// <param name="timeOrder">Row indices of the rows to store, sorted by time (source order when there is no time column).</param>
    /// <param name="partitionOf">Partition id of every raw row.</param>
    public static Layout Build(RawTable raw, PartitionedTable table, LayoutSpec spec, int[] timeOrder, int[] partitionOf)
    {
        var keyOrdinals = new int[spec.KeyColumns.Count];
        for (var i = 0; i < keyOrdinals.Length; i++)
        {
            keyOrdinals[i] = raw.Schema.Ordinal(spec.KeyColumns[i]);
        }

        var (groupOf, groups) = AssignGroups(raw, keyOrdinals);
        var byGroup = groupOf is null ? timeOrder : StableCountingSort(timeOrder, groupOf, groups.Count);
        var stored = table.Partitions + (table.Census is null ? 0 : 1); // the census, when there is one, is partition P
        var order = StableCountingSort(byGroup, partitionOf, stored, out var partitionStarts);

        var partitions = new LayoutPartition[stored];
        for (var p = 0; p < partitions.Length; p++)
        {
            var rows = order.AsSpan(partitionStarts[p], partitionStarts[p + 1] - partitionStarts[p]);
            partitions[p] = Materialize(raw, rows, groupOf);
        }

        return new Layout(table, spec.Name, keyOrdinals, groups, partitions);
    }

    /// <summary>Group id per raw row (null when there are no key columns) and the sorted distinct key tuples.</summary>
    private static (int[]? GroupOf, GroupIndex Groups) AssignGroups(RawTable raw, int[] keyOrdinals)
    {
        var k = keyOrdinals.Length;
        if (k == 0)
        {
            return (null, new GroupIndex([], 0));
        }

        var n = raw.RowCount;
        var encoded = new long[k][];
        for (var j = 0; j < k; j++)
        {
            encoded[j] = Encode(raw.Columns[keyOrdinals[j]]);
        }

        // Dense ids in order of first appearance, built one key column at a time: (id so far, next column) -> id.
        var ids = DenseIds(encoded[0], out var distinct);
        for (var j = 1; j < k; j++)
        {
            var next = DenseIds(encoded[j], out _);
            var composite = new long[n];
            for (var r = 0; r < n; r++)
            {
                composite[r] = ((long)ids[r] << 32) | (uint)next[r];
            }

            ids = DenseIds(composite, out distinct);
        }

        // One representative row per group gives its tuple; sorting the tuples makes the group id their rank.
        var representative = new int[distinct];
        representative.AsSpan().Fill(-1);
        for (var r = 0; r < n; r++)
        {
            if (representative[ids[r]] < 0)
            {
                representative[ids[r]] = r;
            }
        }

        var tuples = new long[distinct * k];
        for (var g = 0; g < distinct; g++)
        {
            for (var j = 0; j < k; j++)
            {
                tuples[g * k + j] = encoded[j][representative[g]];
            }
        }

        var byTuple = new int[distinct];
        for (var g = 0; g < distinct; g++)
        {
            byTuple[g] = g;
        }

        Array.Sort(byTuple, (a, b) => tuples.AsSpan(a * k, k).SequenceCompareTo(tuples.AsSpan(b * k, k)));
        var rank = new int[distinct];
        var sortedTuples = new long[distinct * k];
        for (var position = 0; position < distinct; position++)
        {
            rank[byTuple[position]] = position;
            tuples.AsSpan(byTuple[position] * k, k).CopyTo(sortedTuples.AsSpan(position * k, k));
        }

        var groupOf = new int[n];
        for (var r = 0; r < n; r++)
        {
            groupOf[r] = rank[ids[r]];
        }

        return (groupOf, new GroupIndex(sortedTuples, k));
    }

    private static long[] Encode(RawColumn column)
    {
        switch (column)
        {
            case Int64Column l:
                return l.Values.AsSpan().ToArray();
            case StringColumn s:
            {
                var codes = s.Codes.AsSpan();
                var result = new long[codes.Length];
                for (var i = 0; i < codes.Length; i++)
                {
                    result[i] = codes[i];
                }

                return result;
            }

            default:
            {
                var values = ((DoubleColumn)column).Values.AsSpan();
                var result = new long[values.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    result[i] = KeyEncoding.FromDouble(values[i]);
                }

                return result;
            }
        }
    }

    private static int[] DenseIds(long[] values, out int distinct)
    {
        var map = new Dictionary<long, int>();
        var ids = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(map, values[i], out var exists);
            if (!exists)
            {
                id = map.Count - 1;
            }

            ids[i] = id;
        }

        distinct = map.Count;
        return ids;
    }

    private static int[] StableCountingSort(int[] rows, int[] bucketOf, int buckets) =>
        StableCountingSort(rows, bucketOf, buckets, out _);

    /// <summary>Reorders <paramref name="rows"/> by bucket, keeping the existing order within a bucket.</summary>
    private static int[] StableCountingSort(int[] rows, int[] bucketOf, int buckets, out int[] starts)
    {
        starts = new int[buckets + 1];
        foreach (var r in rows)
        {
            starts[bucketOf[r] + 1]++;
        }

        for (var b = 0; b < buckets; b++)
        {
            starts[b + 1] += starts[b];
        }

        var next = starts[..buckets];
        var result = new int[rows.Length];
        foreach (var r in rows)
        {
            result[next[bucketOf[r]]++] = r;
        }

        return result;
    }

    private static LayoutPartition Materialize(RawTable raw, ReadOnlySpan<int> rows, int[]? groupOf)
    {
        var groupIds = new byte[rows.Length * sizeof(int)];
        if (groupOf is not null)
        {
            var target = MemoryMarshal.Cast<byte, int>(groupIds.AsSpan());
            for (var i = 0; i < rows.Length; i++)
            {
                target[i] = groupOf[rows[i]];
            }
        }

        var columns = new ReadOnlyMemory<byte>[raw.Columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = raw.Columns[c] switch
            {
                DoubleColumn d => Gather(d.Values.AsSpan(), rows),
                Int64Column l => Gather(l.Values.AsSpan(), rows),
                StringColumn s => Gather(s.Codes.AsSpan(), rows),
                _ => throw new InvalidOperationException($"Unexpected column kind {raw.Columns[c].GetType().Name}."),
            };
        }

        return new LayoutPartition(rows.Length, groupIds, columns);
    }

    private static byte[] Gather<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> rows)
        where T : unmanaged
    {
        var bytes = new byte[rows.Length * Unsafe.SizeOf<T>()];
        var target = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        for (var i = 0; i < rows.Length; i++)
        {
            target[i] = source[rows[i]];
        }

        return bytes;
    }
}
