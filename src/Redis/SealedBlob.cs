using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Biathlon.Sampling.Errors;

namespace Biathlon.Redis;

/// <summary>
/// Framing for the store's bookkeeping values (manifest, layout indexes, append records): a 4-byte magic, the payload
/// length, the payload and an XxHash64 of all of it, so a truncated or altered value is refused whole.
/// </summary>
internal static class SealedBlob
{
    public static byte[] Seal(uint magic, ReadOnlySpan<byte> payload)
    {
        var value = new byte[8 + payload.Length + 8];
        BinaryPrimitives.WriteUInt32LittleEndian(value, magic);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(4), payload.Length);
        payload.CopyTo(value.AsSpan(8));
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(value.Length - 8), XxHash64.HashToUInt64(value.AsSpan(0, value.Length - 8)));
        return value;
    }

    /// <summary>The payload of <paramref name="value"/>, or <see cref="DataSourceException"/> naming <paramref name="key"/> when it is damaged.</summary>
    public static ReadOnlyMemory<byte> Open(uint magic, string key, byte[] value)
    {
        if (value.Length < 16
            || BinaryPrimitives.ReadUInt32LittleEndian(value) != magic
            || BinaryPrimitives.ReadInt32LittleEndian(value.AsSpan(4)) != value.Length - 16
            || BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(value.Length - 8)) != XxHash64.HashToUInt64(value.AsSpan(0, value.Length - 8)))
        {
            throw new DataSourceException(key, $"Redis value '{key}' is damaged (wrong magic, length or checksum) and was not used. Reload the table (Biathlon.Host load-store).");
        }

        return value.AsMemory(8, value.Length - 16);
    }

    public static uint MagicOf(string four) => BinaryPrimitives.ReadUInt32LittleEndian(Encoding.ASCII.GetBytes(four));
}

/// <summary>Little-endian writer over a growing buffer.</summary>
internal sealed class BlobWriter
{
    private byte[] _buffer = new byte[256];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

    public void Int64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

    public void UInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

    public void Byte(byte value) => Take(1)[0] = value;

    public void String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Int32(bytes.Length);
        bytes.CopyTo(Take(bytes.Length));
    }

    private Span<byte> Take(int bytes)
    {
        if (Length + bytes > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + bytes));
        }

        var span = _buffer.AsSpan(Length, bytes);
        Length += bytes;
        return span;
    }
}

/// <summary>Little-endian reader over a payload; running past its end is a damaged value.</summary>
internal ref struct BlobReader(ReadOnlySpan<byte> payload, string key)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private readonly string _key = key;
    private int _at;

    public readonly bool AtEnd => _at == _payload.Length;

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public byte Byte() => Take(1)[0];

    public string String()
    {
        var length = Int32();
        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>A count read from the payload that must be in [0, <paramref name="max"/>].</summary>
    public int Count(long max)
    {
        var count = Int32();
        if (count < 0 || count > max)
        {
            throw new DataSourceException(_key, $"Redis value '{_key}' holds a count of {count}, outside [0, {max}]: it is damaged and was not used.");
        }

        return count;
    }

    private ReadOnlySpan<byte> Take(int bytes)
    {
        if (bytes < 0 || _at + bytes > _payload.Length)
        {
            throw new DataSourceException(_key, $"Redis value '{_key}' ends early: it is damaged and was not used.");
        }

        var span = _payload.Slice(_at, bytes);
        _at += bytes;
        return span;
    }
}
