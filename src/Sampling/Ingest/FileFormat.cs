using Biathlon.Sampling.Errors;

namespace Biathlon.Sampling.Ingest;

/// <summary>The table file formats the engine reads.</summary>
public enum FileFormat
{
    /// <summary>Apache Parquet.</summary>
    Parquet,

    /// <summary>Arrow IPC file format ("ARROW1" magic).</summary>
    ArrowFile,

    /// <summary>Arrow IPC stream format.</summary>
    ArrowStream,

    /// <summary>Delimited text with a header row.</summary>
    Csv,
}

/// <summary>Detects a file's format from its bytes, and checks that it is complete.</summary>
public static class FileFormatDetector
{
    private static ReadOnlySpan<byte> ParquetMagic => "PAR1"u8;

    private static ReadOnlySpan<byte> ArrowMagic => "ARROW1"u8;

    /// <summary>
    /// The format of <paramref name="path"/>. Throws <see cref="DataSourceException"/> naming the file when it is
    /// missing, empty, truncated (a Parquet or Arrow file without its trailing magic) or in no supported format.
    /// </summary>
    public static FileFormat Detect(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataSourceException(path, $"Data file '{path}' does not exist.");
        }

        using var stream = File.OpenRead(path);
        if (stream.Length == 0)
        {
            throw new DataSourceException(path, $"Data file '{path}' is empty.");
        }

        Span<byte> head = stackalloc byte[8];
        var headLength = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..headLength];

        if (head.StartsWith(ParquetMagic))
        {
            RequireTrailer(stream, path, ParquetMagic, "Parquet");
            return FileFormat.Parquet;
        }

        if (head.StartsWith(ArrowMagic))
        {
            RequireTrailer(stream, path, ArrowMagic, "Arrow IPC");
            return FileFormat.ArrowFile;
        }

        if (headLength >= 4 && head[..4].SequenceEqual(stackalloc byte[] { 0xFF, 0xFF, 0xFF, 0xFF }))
        {
            return FileFormat.ArrowStream;
        }

        if (LooksLikeText(stream))
        {
            return FileFormat.Csv;
        }

        throw new DataSourceException(
            path, $"'{path}' is not a Parquet, Arrow IPC or CSV file (its first bytes match none of those formats).");
    }

    internal static bool HasArrowFileMagic(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[6];
        return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.SequenceEqual(ArrowMagic);
    }

    private static void RequireTrailer(FileStream stream, string path, ReadOnlySpan<byte> magic, string format)
    {
        Span<byte> tail = stackalloc byte[magic.Length];
        if (stream.Length < 2 * magic.Length)
        {
            throw new DataSourceException(path, $"{format} file '{path}' is truncated ({stream.Length} bytes).");
        }

        stream.Seek(-magic.Length, SeekOrigin.End);
        stream.ReadExactly(tail);
        if (!tail.SequenceEqual(magic))
        {
            throw new DataSourceException(
                path, $"{format} file '{path}' is truncated: it does not end with the format's closing magic bytes.");
        }
    }

    private static bool LooksLikeText(FileStream stream)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var buffer = new byte[Math.Min(64 * 1024, stream.Length)];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var span = buffer.AsSpan(0, read);
        if (span.Contains((byte)0))
        {
            return false;
        }

        // A header line with a delimiter, within the first block.
        var newline = span.IndexOf((byte)'\n');
        var firstLine = newline < 0 ? span : span[..newline];
        return firstLine.IndexOfAny((byte)',', (byte)';', (byte)'\t') >= 0 || firstLine.Length > 0;
    }
}
