using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Redis;

/// <summary>
/// The stored form of one segment (docs/store.md, "Segment values"): a fixed header, the column types, every column as
/// a little-endian array in schema order (8 bytes a value; 4 for string codes), each padded to 8 bytes, and an
/// XxHash64 of everything before it. The header carries the row count, the payload length and a hash of the key the
/// value belongs under, so a truncated value, a flipped bit or a value copied under another key is refused, never read.
/// </summary>
internal static class SegmentFormat
{
    public const uint Magic = 0x31535442; // "BTS1"
    public const ushort Version = 1;
    public const int HeaderBytes = 32;
    public const int TrailerBytes = 8;

    /// <summary>Bytes one value of a column of <paramref name="type"/> takes.</summary>
    public static int Width(ColumnType type) => type == ColumnType.String ? 4 : 8;

    public static int Pad(int bytes) => (bytes + 7) & ~7;

    /// <summary>Bytes of the encoded segment.</summary>
    public static int EncodedLength(TableSchema schema, int rows)
    {
        var length = HeaderBytes + Pad(schema.Count);
        for (var c = 0; c < schema.Count; c++)
        {
            length += Pad(rows * Width(schema[c].Type));
        }

        return length + TrailerBytes;
    }

    /// <summary>Encodes rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="rows"/>) of <paramref name="source"/> as the value of <paramref name="key"/>.</summary>
    public static byte[] Encode(string key, TableSchema schema, LayoutPartition source, int start, int rows)
    {
        var value = new byte[EncodedLength(schema, rows)];
        var at = WriteHeader(value, key, schema, rows);
        for (var c = 0; c < schema.Count; c++)
        {
            var width = Width(schema[c].Type);
            source.ColumnBuffer(c).Span.Slice(start * width, rows * width).CopyTo(value.AsSpan(at));
            at += Pad(rows * width);
        }

        Seal(value);
        return value;
    }

    /// <summary>Encodes <paramref name="rows"/> rows given as one byte array per column (rows × width bytes each).</summary>
    public static byte[] Encode(string key, TableSchema schema, IReadOnlyList<byte[]> columns, int rows)
    {
        var value = new byte[EncodedLength(schema, rows)];
        var at = WriteHeader(value, key, schema, rows);
        for (var c = 0; c < schema.Count; c++)
        {
            var bytes = rows * Width(schema[c].Type);
            columns[c].AsSpan(0, bytes).CopyTo(value.AsSpan(at));
            at += Pad(bytes);
        }

        Seal(value);
        return value;
    }

    /// <summary>
    /// Checks <paramref name="value"/> against its key and the table's schema and views it as rows, without copying.
    /// Throws <see cref="DataSourceException"/> naming the key when it is damaged in any way.
    /// </summary>
    public static LayoutPartition Decode(string key, TableSchema schema, byte[] value)
    {
        var span = value.AsSpan();
        if (span.Length < HeaderBytes + TrailerBytes)
        {
            throw Damaged(key, $"it is {span.Length} bytes, shorter than a header and checksum");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(span[4..]) != Version)
        {
            throw Damaged(key, "it does not start with a version-1 segment header");
        }

        int columns = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
        var rows = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var payload = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        if (payload != span.Length - HeaderBytes - TrailerBytes)
        {
            throw Damaged(key, $"its header promises {payload} payload bytes but {span.Length - HeaderBytes - TrailerBytes} arrived (truncated or padded)");
        }

        var expected = XxHash64.HashToUInt64(span[..^TrailerBytes]);
        if (BinaryPrimitives.ReadUInt64LittleEndian(span[^TrailerBytes..]) != expected)
        {
            throw Damaged(key, "its checksum does not match its contents");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(span[16..]) != KeyCheck(key))
        {
            throw Damaged(key, "it was written for another key");
        }

        if (columns != schema.Count || rows < 0 || EncodedLength(schema, rows) != span.Length)
        {
            throw Damaged(key, $"it holds {columns} columns of {rows} rows, which does not fit the table's {schema.Count} columns");
        }

        var buffers = new ReadOnlyMemory<byte>[columns];
        var at = HeaderBytes + Pad(columns);
        for (var c = 0; c < columns; c++)
        {
            if (span[HeaderBytes + c] != (byte)schema[c].Type)
            {
                throw Damaged(key, $"column {c} is stored as type {span[HeaderBytes + c]}, but the table's '{schema[c].Name}' is {schema[c].Type}");
            }

            var bytes = rows * Width(schema[c].Type);
            buffers[c] = value.AsMemory(at, bytes);
            at += Pad(bytes);
        }

        return new LayoutPartition(rows, ReadOnlyMemory<byte>.Empty, buffers);
    }

    private static int WriteHeader(byte[] value, string key, TableSchema schema, int rows)
    {
        var span = value.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)schema.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], rows);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], value.Length - HeaderBytes - TrailerBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], KeyCheck(key));
        for (var c = 0; c < schema.Count; c++)
        {
            span[HeaderBytes + c] = (byte)schema[c].Type;
        }

        return HeaderBytes + Pad(schema.Count);
    }

    private static void Seal(byte[] value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(value.Length - TrailerBytes), XxHash64.HashToUInt64(value.AsSpan(0, value.Length - TrailerBytes)));

    private static ulong KeyCheck(string key) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key));

    private static DataSourceException Damaged(string key, string why) =>
        new(key, $"Redis value '{key}' is damaged and was not served: {why}. Reload the table (Biathlon.Host load-store).");
}
