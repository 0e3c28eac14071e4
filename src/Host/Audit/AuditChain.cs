using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Biathlon.Host.Audit;

/// <summary>
/// The log's integrity format. Every line is one JSON object that carries
/// <list type="bullet">
/// <item><c>prev</c>: the SHA-256 (lower-case hex) of the previous line's bytes, without its newline; 64 zeros on
/// the first line. A changed, removed or inserted line breaks the next line's <c>prev</c>.</item>
/// <item><c>hash</c>, always the last property: the SHA-256 of the line's bytes before <c>,"hash":</c>. This seal
/// catches a change to the last line, which has no next line to break.</item>
/// </list>
/// An instance holds the running <c>prev</c> and is used by one thread at a time.
/// </summary>
internal sealed class AuditChain
{
    /// <summary>Characters in a hex SHA-256.</summary>
    public const int HashHexLength = 2 * SHA256.HashSizeInBytes;

    private readonly byte[] _previousHash = new byte[HashHexLength];

    /// <summary>A chain with no lines yet: the first record's <c>prev</c> is 64 zeros.</summary>
    public AuditChain() => _previousHash.AsSpan().Fill((byte)'0');

    /// <summary>The chain continued after an existing line whose SHA-256 is <paramref name="lastLineHash"/>.</summary>
    public AuditChain(string lastLineHash)
    {
        if (lastLineHash.Length != HashHexLength || !lastLineHash.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Expected a lower-case hex SHA-256.", nameof(lastLineHash));
        }

        Encoding.ASCII.GetBytes(lastLineHash, _previousHash);
    }

    /// <summary>What the next line's <c>prev</c> must be (UTF-8 hex).</summary>
    public ReadOnlySpan<byte> PreviousHash => _previousHash;

    /// <summary><see cref="PreviousHash"/> as text.</summary>
    public string PreviousHashText => Encoding.ASCII.GetString(_previousHash);

    private static ReadOnlySpan<byte> SealPrefix => ",\"hash\":\""u8;

    private static ReadOnlySpan<byte> SealSuffix => "\"}"u8;

    private static int SealLength => SealPrefix.Length + HashHexLength + SealSuffix.Length;

    /// <summary>True when <paramref name="previousHash"/> is the hash of the line this chain last advanced past.</summary>
    public bool Follows(ReadOnlySpan<byte> previousHash) => previousHash.SequenceEqual(_previousHash);

    /// <summary>
    /// Seals <paramref name="record"/> (one complete JSON object carrying this chain's <see cref="PreviousHash"/>),
    /// appends the sealed line and its newline to <paramref name="destination"/>, and advances past the line.
    /// </summary>
    public void AppendSealed(ReadOnlySpan<byte> record, IBufferWriter<byte> destination)
    {
        if (record.Length < 2 || record[^1] != (byte)'}')
        {
            throw new ArgumentException("Expected a serialized JSON object.", nameof(record));
        }

        var body = record[..^1];
        var lineLength = body.Length + SealLength;
        var output = destination.GetSpan(lineLength + 1);
        var line = output[..lineLength];
        body.CopyTo(line);
        SealPrefix.CopyTo(line[body.Length..]);
        WriteHash(body, line.Slice(body.Length + SealPrefix.Length, HashHexLength));
        SealSuffix.CopyTo(line[^SealSuffix.Length..]);
        WriteHash(line, _previousHash);
        output[lineLength] = (byte)'\n';
        destination.Advance(lineLength + 1);
    }

    /// <summary>Advances past an existing line (without its newline).</summary>
    public void Advance(ReadOnlySpan<byte> line) => WriteHash(line, _previousHash);

    /// <summary>True when <paramref name="line"/> ends with a seal that matches the bytes before it.</summary>
    public static bool IsSealed(ReadOnlySpan<byte> line)
    {
        if (line.Length <= SealLength)
        {
            return false;
        }

        var bodyLength = line.Length - SealLength;
        var seal = line[bodyLength..];
        if (!seal.StartsWith(SealPrefix) || !seal.EndsWith(SealSuffix))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HashHexLength];
        WriteHash(line[..bodyLength], expected);
        return seal.Slice(SealPrefix.Length, HashHexLength).SequenceEqual(expected);
    }

    private static void WriteHash(ReadOnlySpan<byte> data, Span<byte> hexDestination)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, digest);
        Convert.TryToHexStringLower(digest, hexDestination, out _);
    }
}
