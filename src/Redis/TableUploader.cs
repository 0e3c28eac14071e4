using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Sources;
using StackExchange.Redis;

namespace Biathlon.Redis;

/// <summary>
/// Writes one layout of a table built in process as segments: per group and partition (the census last), the group's
/// time-ordered rows cut by <see cref="SegmentCuts"/>. Writes are pipelined, a bounded
/// number of bytes in flight at a time, and the layout's index is returned for the caller to store.
/// </summary>
internal sealed class TableUploader(IDatabase database, RedisKeys keys, RedisStoreOptions options, IProgress<string>? progress)
{
    private const long BytesInFlight = 32L << 20;

    public long Values { get; private set; }

    public long Bytes { get; private set; }

    public async Task<RemoteLayoutIndex> UploadLayoutAsync(PartitionedTable table, Layout layout, CancellationToken cancellationToken)
    {
        var schema = table.Schema;
        var groups = layout.Groups.Count;
        var width = layout.Groups.Width;
        var slots = layout.PartitionCount + 1;
        var stored = layout.Parts.Length; // P, or P + 1 with a census

        // Each partition's first row per group (rows are sorted by group id, then time).
        var starts = new int[stored][];
        for (var p = 0; p < stored; p++)
        {
            starts[p] = new int[groups + 1];
            PartitionRangeIndex.FillGroupStarts(layout.Parts[p].GroupIds, starts[p]);
        }

        // A group bigger than one slot should hold is spread over several hash tags.
        var rowBytes = 0;
        for (var c = 0; c < schema.Count; c++)
        {
            rowBytes += SegmentFormat.Width(schema[c].Type);
        }

        var splits = new int[groups];
        for (var g = 0; g < groups; g++)
        {
            long rows = 0;
            for (var p = 0; p < stored; p++)
            {
                rows += starts[p][g + 1] - starts[p][g];
            }

            splits[g] = (int)Math.Clamp((rows * rowBytes + options.SlotBytes - 1) / options.SlotBytes, 1, layout.PartitionCount);
        }

        var segmentStart = new int[groups * slots + 1];
        var segments = new List<SegmentInfo>();
        var rowTimes = options.IndexRowTimes && table.TimeOrdinal >= 0 ? new List<long[]?>() : null;
        var pending = new List<Task>();
        long pendingBytes = 0;
        var time = table.TimeOrdinal;
        var cuts = new SegmentCuts(options, time >= 0 ? schema[time].Type : null);
        for (var g = 0; g < groups; g++)
        {
            var key = layout.Groups.Keys.Slice(g * width, width).ToArray();
            for (var slot = 0; slot < slots; slot++)
            {
                segmentStart[g * slots + slot] = segments.Count;
                if (slot >= stored)
                {
                    continue;
                }

                var part = layout.Parts[slot];
                Func<int, long>? timeAt = time >= 0 ? row => part.Int64s(time)[row] : null;
                ulong id = 0;
                for (int s = starts[slot][g], e; s < starts[slot][g + 1]; s = e, id++)
                {
                    e = cuts.Next(s, starts[slot][g + 1], timeAt);
                    var rows = e - s;
                    var name = keys.Segment(layout.Name, key, splits[g], slot, id);
                    var value = SegmentFormat.Encode(name, schema, part, s, rows);
                    segments.Add(new SegmentInfo(id, rows, time >= 0 ? part.Int64s(time)[s] : long.MinValue, time >= 0 ? part.Int64s(time)[s + rows - 1] : long.MinValue));
                    rowTimes?.Add(part.Int64s(time).Slice(s, rows).ToArray());
                    pending.Add(database.StringSetAsync(name, value));
                    pendingBytes += value.Length;
                    Values++;
                    Bytes += value.Length;
                    if (pendingBytes >= BytesInFlight)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await Task.WhenAll(pending).ConfigureAwait(false);
                        pending.Clear();
                        pendingBytes = 0;
                    }
                }
            }

            if (g % 1000 == 999)
            {
                progress?.Report($"table '{table.Name}', layout '{layout.Name}': {g + 1:N0} of {groups:N0} groups written");
            }
        }

        segmentStart[^1] = segments.Count;
        await Task.WhenAll(pending).ConfigureAwait(false);
        progress?.Report($"table '{table.Name}', layout '{layout.Name}': {groups:N0} groups, {segments.Count:N0} segments written");
        return new RemoteLayoutIndex(width, layout.PartitionCount, layout.HasCensus, layout.Groups.Keys.ToArray(), splits, segmentStart, [.. segments], 0, rowTimes?.ToArray());
    }
}
