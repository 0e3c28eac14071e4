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

    public RemoteLayoutIndex(int width, int partitions, bool hasCensus, long[] keys, int[] splits, int[] segmentStart, SegmentInfo[] segments, long version)
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

        _keys = keys;
        _splits = splits;
        _segmentStart = segmentStart;
        _segments = segments;
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

    /// <summary>Rows of group <paramref name="group"/> in slot <paramref name="slot"/> expected inside [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public double EstimateRows(int group, int slot, long from, long to)
    {
        double rows = 0;
        foreach (var segment in Segments(group, slot))
        {
            rows += segment.EstimateRows(from, to);
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
        var lists = new Dictionary<int, List<SegmentInfo>>();
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

            list.Add(add.Segment);
        }

        var starts = new int[groups * Slots + 1];
        var segments = new List<SegmentInfo>(_segments.Length + added.Count);
        for (var at = 0; at < groups * Slots; at++)
        {
            starts[at] = segments.Count;
            var first = segments.Count;
            if (at < GroupCount * Slots)
            {
                segments.AddRange(_segments.AsSpan(_segmentStart[at], _segmentStart[at + 1] - _segmentStart[at]));
            }

            if (lists.TryGetValue(at, out var more))
            {
                foreach (var segment in more)
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
                    }
                }

                segments.Sort(first, segments.Count - first, SegmentOrder.Instance);
            }
        }

        starts[^1] = segments.Count;
        var splits = new int[groups];
        _splits.CopyTo(splits, 0);
        splits.AsSpan(GroupCount).Fill(1);
        return new RemoteLayoutIndex(Width, Partitions, HasCensus, [.. keys], splits, starts, [.. segments], version);
    }

    private sealed class SegmentOrder : IComparer<SegmentInfo>
    {
        public static readonly SegmentOrder Instance = new();

        public int Compare(SegmentInfo x, SegmentInfo y)
        {
            var byTime = x.MinTime.CompareTo(y.MinTime);
            return byTime != 0 ? byTime : x.Id.CompareTo(y.Id);
        }
    }
}

/// <summary>A segment an append wrote: its group's key tuple, its slot (partition, or P for the census) and its description.</summary>
internal readonly record struct AddedSegment(long[] Key, int Slot, SegmentInfo Segment);
