using System.Runtime.InteropServices;

namespace Biathlon.Sampling.Layouts;

/// <summary>
/// The rows of one partition of a layout, sorted by (group, time). Columns are raw little-endian buffers, either
/// managed arrays or views into a memory-mapped Arrow file; typed spans are cast over them without copying.
/// </summary>
internal sealed class LayoutPartition
{
    private readonly ReadOnlyMemory<byte> _groupIds;
    private readonly ReadOnlyMemory<byte>[] _columns;

    public LayoutPartition(int rowCount, ReadOnlyMemory<byte> groupIds, ReadOnlyMemory<byte>[] columns)
    {
        RowCount = rowCount;
        _groupIds = groupIds;
        _columns = columns;
    }

    public int RowCount { get; }

    public ReadOnlySpan<int> GroupIds => MemoryMarshal.Cast<byte, int>(_groupIds.Span)[..RowCount];

    public ReadOnlyMemory<byte> GroupIdBuffer => _groupIds;

    public ReadOnlyMemory<byte> ColumnBuffer(int ordinal) => _columns[ordinal];

    public ReadOnlySpan<double> Doubles(int ordinal) => MemoryMarshal.Cast<byte, double>(_columns[ordinal].Span)[..RowCount];

    public ReadOnlySpan<long> Int64s(int ordinal) => MemoryMarshal.Cast<byte, long>(_columns[ordinal].Span)[..RowCount];

    public ReadOnlySpan<int> Codes(int ordinal) => MemoryMarshal.Cast<byte, int>(_columns[ordinal].Span)[..RowCount];
}
