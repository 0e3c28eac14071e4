namespace Biathlon.Sampling.Sources;

/// <summary>
/// What a server keeps locally of a layout whose rows live in a remote store: its groups (key tuples) and, per group
/// and partition (the census as partition P), the segments stored there with their row counts and time spans. Enough
/// to size a query's read and to name the values a widening fetches, with no network. An immutable snapshot: a store
/// publishes a new one when appends arrive. Group ids are stable across snapshots: bulk-loaded groups are numbered in
/// key order, appended ones after them in order of arrival.
/// </summary>
internal sealed class RemoteLayoutIndex
{
    private readonly long[] _keys;            // [id * width + k]
    private readonly int[] _sortedIds;        // ids in key order, for binary search
    private readonly int[] _segmentStart;     // [(id * slots + slot)] → first segment; one extra entry at the end
    private readonly SegmentInfo[] _segments;
    private readonly int[] _splits;           // hash-tag splits per group (1 for a group that fits one slot)
    private readonly long[]?[]? _times;       // per segment, its rows' times (when the index keeps them)

    /// <param name="width">Key columns per group.</param>
    /// <param name="partitions">Sampled partitions P.</param>
    /// <param name="hasCensus">True when slot P holds the census.</param>
    /// <param name="keys">Group key tuples, row-major by group id.</param>
    /// <param name="splits">Hash-tag splits per group.</param>
    /// <param name="segmentStart">First segment of each (group, slot), group-major, and the segment count last.</param>
    /// <param name="segments">The segments, each slot's in time order of their first rows.</param>
    /// <param name="version">The store's version of this snapshot.</param>
    /// <param name="times">Per segment, its rows' times in order, for exact row counts; null when the index keeps only time spans.</param>
    public RemoteLayoutIndex(
        int width, int partitions, bool hasCensus, long[] keys, int[] splits, int[] segmentStart, SegmentInfo[] segments, long version, long[]?[]? times = null)
    {
        Width = width;
        Partitions = partitions;
        HasCensus = hasCensus;
        Slots = partitions + 1;
        GroupCount = width == 0 ? 1 : keys.Length / width;
        if (splits.Length != GroupCount || segmentStart.Length != GroupCount * Slots + 1 || segmentStart[^1] != segments.Length)
        {
            throw new ArgumentException("The index's group, split and segment tables disagree.");
        }

        if (times is not null && times.Length != segments.Length)
        {
            throw new ArgumentException("The index's row times do not match its segments.");
        }

        _keys = keys;
        _splits = splits;
        _segmentStart = segmentStart;
        _segments = segments;
        _times = times;
        Version = version;
        _sortedIds = new int[GroupCount];
        for (var i = 0; i < _sortedIds.Length; i++)
        {
            _sortedIds[i] = i;
        }

        if (width > 0)
        {
            Array.Sort(_sortedIds, (a, b) => _keys.AsSpan(a * width, width).SequenceCompareTo(_keys.AsSpan(b * width, width)));
        }

        long rows = 0;
        foreach (var segment in segments)
        {
            rows += segment.Rows;
        }

        RowCount = rows;
    }

    /// <summary>Key columns per group (0: one group holds every row).</summary>
    public int Width { get; }

    /// <summary>Sampled partitions P.</summary>
    public int Partitions { get; }

    /// <summary>Partitions plus the census slot.</summary>
    public int Slots { get; }

    /// <summary>True when the census slot may hold rows.</summary>
    public bool HasCensus { get; }

    public int GroupCount { get; }

    public long RowCount { get; }

    /// <summary>The store's version of this snapshot (appends applied), so a refresh can tell what is new.</summary>
    public long Version { get; }

    /// <summary>Every group's key tuple, row-major by group id.</summary>
    public ReadOnlySpan<long> Keys => _keys;

    /// <summary>True when the index keeps every row's time, so row counts in a window are exact.</summary>
    public bool HasRowTimes => _times is not null;

    /// <summary>The row times of segment <paramref name="segment"/> of the segment table (empty when not kept).</summary>
    internal ReadOnlySpan<long> SegmentTimes(int segment) => _times?[segment];

    /// <summary>The segment table, for a store that rewrites it.</summary>
    internal ReadOnlySpan<SegmentInfo> AllSegments => _segments;

    internal ReadOnlySpan<int> SegmentStarts => _segmentStart;

    internal ReadOnlySpan<int> AllSplits => _splits;

    /// <summary>The key tuple of group <paramref name="group"/>.</summary>
    public ReadOnlySpan<long> Key(int group) => _keys.AsSpan(group * Width, Width);

    /// <summary>How many hash tags group <paramref name="group"/>'s partitions are spread over.</summary>
    public int Splits(int group) => _splits[group];

    /// <summary>The group with key tuple <paramref name="key"/>, or -1 when no row has it.</summary>
    public int FindGroup(ReadOnlySpan<long> key)
    {
        if (Width == 0)
        {
            return 0;
        }

        int lo = 0, hi = GroupCount - 1;
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var id = _sortedIds[mid];
            var cmp = _keys.AsSpan(id * Width, Width).SequenceCompareTo(key);
            if (cmp == 0)
            {
                return id;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    /// <summary>The segments of group <paramref name="group"/> in slot <paramref name="slot"/> (P: the census), in time order of their first rows.</summary>
    public ReadOnlySpan<SegmentInfo> Segments(int group, int slot)
    {
        var at = group * Slots + slot;
        return _segments.AsSpan(_segmentStart[at], _segmentStart[at + 1] - _segmentStart[at]);
    }

    /// <summary>
    /// Rows of group <paramref name="group"/> in slot <paramref name="slot"/> inside [<paramref name="from"/>,
    /// <paramref name="to"/>): exact when the index keeps row times (two binary searches per segment the window
    /// cuts), else each cut segment's share of its time span.
    /// </summary>
    public double EstimateRows(int group, int slot, long from, long to)
    {
        double rows = 0;
        var at = group * Slots + slot;
        for (var i = _segmentStart[at]; i < _segmentStart[at + 1]; i++)
        {
            var segment = _segments[i];
            if (_times?[i] is not { } times || !segment.Overlaps(from, to) || (segment.MinTime >= from && segment.MaxTime < to))
            {
                rows += segment.EstimateRows(from, to);
                continue;
            }

            var span = times.AsSpan();
            var first = Layouts.PartitionRangeIndex.LowerBound(span, from);
            rows += first >= span.Length ? 0 : Layouts.PartitionRangeIndex.LowerBound(span[first..], to);
        }

        return rows;
    }

    /// <summary>Rows stored in slot <paramref name="slot"/> over all groups.</summary>
    public long SlotRows(int slot)
    {
        long rows = 0;
        for (var g = 0; g < GroupCount; g++)
        {
            foreach (var segment in Segments(g, slot))
            {
                rows += segment.Rows;
            }
        }

        return rows;
    }

    /// <summary>
    /// A new snapshot with <paramref name="added"/> segments (new groups, named by key tuple, get the next ids) at
    /// <paramref name="version"/>. Each slot's segments stay ordered by their first row's time.
    /// </summary>
    public RemoteLayoutIndex WithSegments(IReadOnlyList<AddedSegment> added, long version)
    {
        var keys = new List<long>(_keys);
        var groups = GroupCount;
        var lists = new Dictionary<int, List<(SegmentInfo, long[]?)>>();
        var newGroups = new List<long[]>();
        foreach (var add in added)
        {
            var group = FindGroup(add.Key);
            if (group < 0)
            {
                group = -1;
                for (var n = 0; n < newGroups.Count; n++)
                {
                    if (newGroups[n].AsSpan().SequenceEqual(add.Key))
                    {
                        group = GroupCount + n;
                        break;
                    }
                }

                if (group < 0)
                {
                    group = groups++;
                    newGroups.Add(add.Key.ToArray());
                    keys.AddRange(add.Key);
                }
            }

            var slot = group * Slots + add.Slot;
            if (!lists.TryGetValue(slot, out var list))
            {
                lists[slot] = list = [];
            }

            list.Add((add.Segment, add.Times));
        }

        var starts = new int[groups * Slots + 1];
        var segments = new List<SegmentInfo>(_segments.Length + added.Count);
        var times = _times is null ? null : new List<long[]?>(_segments.Length + added.Count);
        for (var at = 0; at < groups * Slots; at++)
        {
            starts[at] = segments.Count;
            var first = segments.Count;
            if (at < GroupCount * Slots)
            {
                segments.AddRange(_segments.AsSpan(_segmentStart[at], _segmentStart[at + 1] - _segmentStart[at]));
                for (var i = _segmentStart[at]; i < _segmentStart[at + 1]; i++)
                {
                    times?.Add(_times![i]);
                }
            }

            if (lists.TryGetValue(at, out var more))
            {
                foreach (var (segment, rowTimes) in more)
                {
                    // A retried append may name a segment already known: it is the same segment.
                    var known = false;
                    for (var i = first; i < segments.Count; i++)
                    {
                        known |= segments[i].Id == segment.Id;
                    }

                    if (!known)
                    {
                        segments.Add(segment);
                        times?.Add(rowTimes);
                    }
                }

                SortSlot(segments, times, first);
            }
        }

        starts[^1] = segments.Count;
        var splits = new int[groups];
        _splits.CopyTo(splits, 0);
        splits.AsSpan(GroupCount).Fill(1);
        return new RemoteLayoutIndex(Width, Partitions, HasCensus, [.. keys], splits, starts, [.. segments], version, times?.ToArray());
    }

    /// <summary>Orders one slot's segments (from <paramref name="first"/>) by first row time, then id, keeping their row times beside them.</summary>
    private static void SortSlot(List<SegmentInfo> segments, List<long[]?>? times, int first)
    {
        var count = segments.Count - first;
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = first + i;
        }

        Array.Sort(order, (a, b) =>
        {
            var byTime = segments[a].MinTime.CompareTo(segments[b].MinTime);
            return byTime != 0 ? byTime : segments[a].Id.CompareTo(segments[b].Id);
        });
        var sortedSegments = new SegmentInfo[count];
        var sortedTimes = new long[]?[count];
        for (var i = 0; i < count; i++)
        {
            sortedSegments[i] = segments[order[i]];
            sortedTimes[i] = times?[order[i]];
        }

        for (var i = 0; i < count; i++)
        {
            segments[first + i] = sortedSegments[i];
            if (times is not null)
            {
                times[first + i] = sortedTimes[i];
            }
        }
    }
}

/// <summary>
/// A segment an append wrote: its group's key tuple, its slot (partition, or P for the census), its description and,
/// when the index keeps them, its rows' times.
/// </summary>
internal readonly record struct AddedSegment(long[] Key, int Slot, SegmentInfo Segment, long[]? Times = null);
