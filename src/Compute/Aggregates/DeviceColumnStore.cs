using System.Buffers;
using Biathlon.Compute.Devices;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using ILGPU;
using ILGPU.Runtime;

namespace Biathlon.Compute.Aggregates;

/// <summary>
/// The table columns aggregate kernels read, resident on the device: per layout and column ordinal, every partition
/// (the census stratum included) concatenated as doubles, converted the way a cursor reads them (Int64 and Timestamp
/// with null as NaN, string codes with code &lt; 0 as NaN). All columns live in one device buffer, so one kernel launch
/// reads jobs of any column, layout and table; its bytes count against the device's memory budget. Columns are
/// uploaded once, when a pipeline loads (<see cref="Upload"/>); tables are immutable, so the copy never goes stale.
/// Thread-safe: uploads and lookups are serialised under the device's launch lock.
/// </summary>
internal sealed class DeviceColumnStore : IDisposable
{
    private const int ConvertChunk = 1 << 16;

    private readonly ComputeDevice _device;
    private readonly Dictionary<ColumnKey, StoredColumn> _columns = [];
    private DeviceBuffer<double>? _arena;
    private long _length;

    public DeviceColumnStore(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
    }

    /// <summary>Doubles held on the device (all uploaded columns).</summary>
    public long Length
    {
        get
        {
            lock (_device.LaunchLock)
            {
                return _length;
            }
        }
    }

    /// <summary>
    /// Makes columns <paramref name="ordinals"/> of <paramref name="layout"/> resident (those already are stay as they
    /// are). Adding columns rebuilds the device buffer from the host tables; when the budget or the device refuses, the
    /// store keeps what it held before and the exception (a <see cref="DeviceMemoryException"/> for the budget) reaches
    /// the caller.
    /// </summary>
    public void Upload(Layout layout, IEnumerable<int> ordinals)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(ordinals);
        lock (_device.LaunchLock)
        {
            var added = new List<ColumnKey>();
            foreach (var ordinal in ordinals)
            {
                if ((uint)ordinal >= (uint)layout.Table.Schema.Count)
                {
                    throw new ArgumentOutOfRangeException(nameof(ordinals), $"Table '{layout.Table.Name}' has no column {ordinal}.");
                }

                var key = new ColumnKey(layout, ordinal);
                if (!_columns.ContainsKey(key) && !added.Contains(key))
                {
                    added.Add(key);
                }
            }

            if (added.Count == 0)
            {
                return;
            }

            // The new layout of the buffer: existing columns first, in their order, then the new ones.
            var next = new Dictionary<ColumnKey, StoredColumn>(_columns.Count + added.Count);
            long length = 0;
            foreach (var (key, column) in _columns)
            {
                next.Add(key, Place(key, ref length));
            }

            foreach (var key in added)
            {
                next.Add(key, Place(key, ref length));
            }

            var arena = new DeviceBuffer<double>(_device, Math.Max(1, length));
            try
            {
                foreach (var (key, column) in next)
                {
                    Copy(arena, key, column);
                }

                _device.Accelerator.Synchronize();
            }
            catch
            {
                arena.Dispose();
                throw;
            }

            _arena?.Dispose();
            _arena = arena;
            _length = length;
            _columns.Clear();
            foreach (var (key, column) in next)
            {
                _columns.Add(key, column);
            }
        }
    }

    /// <summary>True when column <paramref name="ordinal"/> of <paramref name="layout"/> is resident.</summary>
    public bool Contains(Layout layout, int ordinal)
    {
        lock (_device.LaunchLock)
        {
            return _columns.ContainsKey(new ColumnKey(layout, ordinal));
        }
    }

    /// <summary>
    /// Where row <paramref name="range"/>.Start of <paramref name="partition"/> of the column sits in <see cref="View"/>.
    /// Throws <see cref="ColumnNotResidentException"/> for a column not uploaded. Call under the launch lock.
    /// </summary>
    internal long Offset(Layout layout, int ordinal, int partition, RowRange range)
    {
        if (!_columns.TryGetValue(new ColumnKey(layout, ordinal), out var column))
        {
            throw new ColumnNotResidentException(layout, ordinal);
        }

        return column.PartitionStart[partition] + range.Start;
    }

    /// <summary>Every resident column, concatenated. Call under the launch lock.</summary>
    internal ArrayView<double> View => (_arena ?? throw new InvalidOperationException("No column was uploaded to the device.")).View;

    public void Dispose()
    {
        lock (_device.LaunchLock)
        {
            _arena?.Dispose();
            _arena = null;
            _columns.Clear();
            _length = 0;
        }
    }

    private static StoredColumn Place(ColumnKey key, ref long length)
    {
        var parts = key.Layout.Parts;
        var starts = new long[parts.Length + 1];
        for (var p = 0; p < parts.Length; p++)
        {
            starts[p] = length;
            length += parts[p].RowCount;
        }

        starts[parts.Length] = length;
        return new StoredColumn(starts);
    }

    private static void Copy(DeviceBuffer<double> arena, ColumnKey key, StoredColumn column)
    {
        var view = arena.View;
        var type = key.Layout.Table.Schema[key.Ordinal].Type;
        var parts = key.Layout.Parts;
        var buffer = ArrayPool<double>.Shared.Rent(ConvertChunk);
        try
        {
            for (var p = 0; p < parts.Length; p++)
            {
                var rows = parts[p].RowCount;
                for (var start = 0; start < rows; start += ConvertChunk)
                {
                    var range = new RowRange(start, Math.Min(rows, start + ConvertChunk));
                    var values = ColumnAccumulator.Load(parts[p], key.Ordinal, type, range, buffer);
                    view.SubView(column.PartitionStart[p] + start, range.Length).CopyFromCPU(values);
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <summary>A column of a layout; layouts compare by reference.</summary>
    private readonly record struct ColumnKey(Layout Layout, int Ordinal);

    /// <summary>Where each partition of a resident column starts in the buffer (one more entry: its end).</summary>
    private sealed record StoredColumn(long[] PartitionStart);
}

/// <summary>A job read a column that was not uploaded to the device: the batch runs on the CPU instead.</summary>
internal sealed class ColumnNotResidentException(Layout layout, int ordinal)
    : InvalidOperationException(
        $"Column '{layout.Table.Schema[ordinal].Name}' of layout '{layout.Name}' of table '{layout.Table.Name}' is not on the device: "
        + "upload it with DeviceColumnStore.Upload when the pipeline loads.")
{
    /// <summary>The column's ordinal.</summary>
    public int Ordinal { get; } = ordinal;
}
