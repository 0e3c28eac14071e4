using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Sources;

namespace Biathlon.Redis;

/// <summary>
/// The stored form of a layout's index (docs/store.md, "Layout index"), and of an append record: what a server loads
/// at start and re-reads as appends arrive.
/// </summary>
internal static class IndexFormat
{
    private static readonly uint s_indexMagic = SealedBlob.MagicOf("BTI1");
    private static readonly uint s_appendMagic = SealedBlob.MagicOf("BTA1");

    public static byte[] Write(RemoteLayoutIndex index)
    {
        var w = new BlobWriter();
        w.Int32(index.Width);
        w.Int32(index.Partitions);
        w.Byte(index.HasCensus ? (byte)1 : (byte)0);
        w.Int32(index.GroupCount);
        w.Int32(index.AllSegments.Length);
        w.Int64(index.Version);
        foreach (var key in index.Keys)
        {
            w.Int64(key);
        }

        foreach (var split in index.AllSplits)
        {
            w.Int32(split);
        }

        foreach (var start in index.SegmentStarts)
        {
            w.Int32(start);
        }

        foreach (var segment in index.AllSegments)
        {
            WriteSegment(w, segment);
        }

        // Row times, segment by segment, when the index keeps them (exact row counts in any window).
        w.Byte(index.HasRowTimes ? (byte)1 : (byte)0);
        for (var i = 0; index.HasRowTimes && i < index.AllSegments.Length; i++)
        {
            foreach (var t in index.SegmentTimes(i))
            {
                w.Int64(t);
            }
        }

        return SealedBlob.Seal(s_indexMagic, w.Written);
    }

    public static RemoteLayoutIndex Read(string key, byte[] value)
    {
        var r = new BlobReader(SealedBlob.Open(s_indexMagic, key, value).Span, key);
        var width = r.Count(64);
        var partitions = r.Count(65_536);
        var hasCensus = r.Byte() != 0;
        var groups = r.Count(value.Length);
        var segmentCount = r.Count(value.Length);
        var version = r.Int64();
        var keys = new long[(long)groups * width];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = r.Int64();
        }

        var splits = new int[width == 0 ? 1 : groups];
        for (var i = 0; i < splits.Length; i++)
        {
            splits[i] = r.Count(partitions + 1);
        }

        var starts = new int[splits.Length * (partitions + 1) + 1];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = r.Count(segmentCount);
        }

        var segments = new SegmentInfo[segmentCount];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = ReadSegment(ref r);
        }

        long[]?[]? times = null;
        if (r.Byte() != 0)
        {
            times = new long[]?[segmentCount];
            for (var i = 0; i < segmentCount; i++)
            {
                times[i] = ReadTimes(ref r, segments[i].Rows);
            }
        }

        if (!r.AtEnd)
        {
            throw new DataSourceException(key, $"Redis value '{key}' has bytes after its index: it is damaged and was not used.");
        }

        try
        {
            return new RemoteLayoutIndex(width, partitions, hasCensus, keys, splits, starts, segments, version, times);
        }
        catch (ArgumentException e)
        {
            throw new DataSourceException(key, $"Redis value '{key}' is not a consistent layout index: {e.Message}", e);
        }
    }

    /// <summary>One append: its batch id and the segments it added, per layout.</summary>
    public static byte[] WriteAppend(string batchId, IReadOnlyList<(string Layout, AddedSegment Segment)> added)
    {
        var w = new BlobWriter();
        w.String(batchId);
        w.Int32(added.Count);
        foreach (var (layout, segment) in added)
        {
            w.String(layout);
            w.Int32(segment.Key.Length);
            foreach (var k in segment.Key)
            {
                w.Int64(k);
            }

            w.Int32(segment.Slot);
            WriteSegment(w, segment.Segment);
            w.Byte(segment.Times is null ? (byte)0 : (byte)1);
            foreach (var t in segment.Times ?? [])
            {
                w.Int64(t);
            }
        }

        return SealedBlob.Seal(s_appendMagic, w.Written);
    }

    public static (string BatchId, List<(string Layout, AddedSegment Segment)> Added) ReadAppend(string key, byte[] value)
    {
        var r = new BlobReader(SealedBlob.Open(s_appendMagic, key, value).Span, key);
        var batch = r.String();
        var count = r.Count(value.Length);
        var added = new List<(string, AddedSegment)>(count);
        for (var i = 0; i < count; i++)
        {
            var layout = r.String();
            var tuple = new long[r.Count(64)];
            for (var k = 0; k < tuple.Length; k++)
            {
                tuple[k] = r.Int64();
            }

            var slot = r.Count(65_536);
            var segment = ReadSegment(ref r);
            var times = r.Byte() != 0 ? ReadTimes(ref r, segment.Rows) : null;
            added.Add((layout, new AddedSegment(tuple, slot, segment, times)));
        }

        return (batch, added);
    }

    private static void WriteSegment(BlobWriter w, SegmentInfo segment)
    {
        w.UInt64(segment.Id);
        w.Int32(segment.Rows);
        w.Int64(segment.MinTime);
        w.Int64(segment.MaxTime);
    }

    private static long[] ReadTimes(ref BlobReader r, int rows)
    {
        var times = new long[rows];
        for (var t = 0; t < times.Length; t++)
        {
            times[t] = r.Int64();
        }

        return times;
    }

    private static SegmentInfo ReadSegment(ref BlobReader r) => new(r.UInt64(), r.Count(int.MaxValue), r.Int64(), r.Int64());
}
