using Biathlon.Sampling.Errors;

namespace Biathlon.Sampling.Ingest;

/// <summary>Reads a table file of any supported format, detected from the file's bytes.</summary>
public static class TableReader
{
    /// <summary>
    /// Reads <paramref name="path"/> (Parquet, Arrow IPC file or stream, or CSV). Throws
    /// <see cref="DataSourceException"/> naming the file when it is missing, truncated, empty or in no supported format.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="csvOptions">Options used when the file is CSV.</param>
    /// <param name="progress">Receives rows read so far, where the format reads in chunks (Parquet row groups).</param>
    /// <param name="cancellationToken">Cancels a long read.</param>
    public static async Task<RawTable> ReadFileAsync(
        string path,
        CsvReadOptions? csvOptions = null,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return FileFormatDetector.Detect(path) switch
        {
            FileFormat.Parquet => await ParquetTableReader.ReadAsync(path, progress, cancellationToken).ConfigureAwait(false),
            FileFormat.ArrowFile or FileFormat.ArrowStream => ArrowTableReader.ReadFile(path),
            _ => CsvTableReader.Read(path, csvOptions),
        };
    }
}
