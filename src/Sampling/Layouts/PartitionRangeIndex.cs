namespace Biathlon.Sampling.Layouts;

/// <summary>
/// Makes <see cref="Layout.FindRange"/> cheap when the rows are cold. Binary searches over a partition's per-row group
/// ids and times touch a new cache line (often a new page of a memory-mapped file) on almost every probe, and a request
/// asks for a range in every partition of every query to know the rows exact serving would read. Built once per layout:
/// <list type="bullet">
/// <item>per partition, the first row of every group (when groups × partitions is at most the rows, so the index
/// costs at most 4 bytes a row), so
/// a group's range is two loads instead of two searches;</item>
/// <item>per partition, every <see cref="Stride"/>-th row's time ("fences", one small contiguous array), so a time
/// bound is a search over the fences plus one over at most <see cref="Stride"/> rows.</item>
/// </list>
/// </summary>
internal sealed class PartitionRangeIndex
{
    /// <summary>Rows between two time fences.</summary>
    public const int Stride = 32;

    private readonly int[]? _groupStarts;   // [partition * (groups + 1) + group]
    private readonly int _groupSlots;
    private readonly long[]? _fences;       // every Stride-th row's time, partition after partition
    private readonly int[] _fenceOffsets;   // partition p's fences start at _fenceOffsets[p]

    public PartitionRangeIndex(LayoutPartition[] partitions, int groups, bool grouped, int timeOrdinal, long rows)
    {
        _groupSlots = groups + 1;
        if (grouped && (long)_groupSlots * partitions.Length <= rows + 1024)
        {
            _groupStarts = new int[_groupSlots * partitions.Length];
            for (var p = 0; p < partitions.Length; p++)
            {
                FillGroupStarts(partitions[p].GroupIds, _groupStarts.AsSpan(p * _groupSlots, _groupSlots));
            }
        }

        _fenceOffsets = new int[partitions.Length + 1];
        if (timeOrdinal < 0)
        {
            return;
        }

        for (var p = 0; p < partitions.Length; p++)
        {
            _fenceOffsets[p + 1] = _fenceOffsets[p] + (partitions[p].RowCount + Stride - 1) / Stride;
        }

        _fences = new long[_fenceOffsets[^1]];
        for (var p = 0; p < partitions.Length; p++)
        {
            var times = partitions[p].Int64s(timeOrdinal);
            var fences = _fences.AsSpan(_fenceOffsets[p]);
            for (int k = 0, row = 0; row < times.Length; k++, row += Stride)
            {
                fences[k] = times[row];
            }
        }
    }

    /// <summary>True when group ranges come from the index rather than a search.</summary>
    public bool HasGroupStarts => _groupStarts is not null;

    /// <summary>The rows [start, end) of group <paramref name="group"/> in partition <paramref name="partition"/>.</summary>
    public (int Start, int End) GroupRange(int partition, int group)
    {
        var offset = partition * _groupSlots + group;
        return (_groupStarts![offset], _groupStarts[offset + 1]);
    }

    /// <summary>
    /// The first row in [<paramref name="start"/>, <paramref name="end"/>) of partition <paramref name="partition"/>
    /// whose time is at least <paramref name="value"/> (<paramref name="end"/> when none), where the times in that range
    /// are sorted. The fences inside the range are sorted with them, so the search runs on the fences first.
    /// </summary>
    public int LowerBound(int partition, ReadOnlySpan<long> times, int start, int end, long value)
    {
        var firstFence = (start + Stride - 1) / Stride;
        var lastFence = (end - 1) / Stride;
        if (_fences is null || end - start <= 2 * Stride || firstFence > lastFence)
        {
            return start + LowerBound(times[start..end], value);
        }

        var fences = _fences.AsSpan(_fenceOffsets[partition] + firstFence, lastFence - firstFence + 1);
        var k = LowerBound(fences, value); // fences[k] is the first fence at or after the bound
        var from = k == 0 ? start : (firstFence + k - 1) * Stride;
        var to = k == fences.Length ? end : (firstFence + k) * Stride;
        return from + LowerBound(times[from..to], value);
    }

    /// <summary>First index whose value is at least <paramref name="value"/> in an ascending span.</summary>
    public static int LowerBound<T>(ReadOnlySpan<T> sorted, T value)
        where T : IComparable<T>
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (sorted[mid].CompareTo(value) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>starts[g] = the first row of group g or later (group ids ascend); starts[groups] = the row count.</summary>
    internal static void FillGroupStarts(ReadOnlySpan<int> groupIds, Span<int> starts)
    {
        var g = 0;
        for (var row = 0; row < groupIds.Length; row++)
        {
            var id = groupIds[row];
            while (g <= id)
            {
                starts[g++] = row;
            }
        }

        while (g < starts.Length)
        {
            starts[g++] = groupIds.Length;
        }
    }
}
