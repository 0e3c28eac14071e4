using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Storage;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// Builds a pipeline table from its source file once and keeps it as Arrow IPC under a cache folder keyed by the
/// source's path, size and modification time and the table options (census included); later loads memory-map the
/// cached copy. Beside it are the value sets of the non-string columns of multi-column keys (<see cref="KeyValues"/>).
/// </summary>
internal static class TableCache
{
    /// <summary>
    /// Opens (or builds and caches) <paramref name="table"/> with <paramref name="layouts"/>, and returns with it the
    /// sorted distinct values of each non-string column of <paramref name="keyValueColumns"/>, encoded as key columns
    /// store them (<see cref="KeyValues"/>): what tells whether a table holds a value of a column that is only one of a
    /// layout's several keys. They are computed from the source when the table is built and cached beside it.
    /// </summary>
    public static async Task<(PartitionedTable Table, Dictionary<string, long[]> KeyValues)> OpenAsync(
        TableDefinition table, IReadOnlyList<LayoutSpec> layouts, IReadOnlyList<string> censusColumns, IReadOnlyList<string> keyValueColumns,
        string cacheRoot, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(table.Source))
        {
            throw new DataSourceException(table.Source, $"Table '{table.Name}': source file '{table.Source}' does not exist.");
        }

        var info = new FileInfo(table.Source);
        var identity = new StringBuilder()
            .Append("format 2|").Append(info.FullName).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks)
            .Append('|').Append(table.Partitions).Append('|').Append(table.Seed).Append('|').Append(table.TimeColumn);
        foreach (var layout in layouts)
        {
            identity.Append('|').Append(layout.Name).Append(':').AppendJoin(',', layout.KeyColumns);
        }

        identity.Append("|census:").AppendJoin(',', censusColumns)
            .Append(':').Append(table.Census.Fence.ToString("R", CultureInfo.InvariantCulture))
            .Append(':').Append(table.Census.MaxShare.ToString("R", CultureInfo.InvariantCulture))
            .Append(':').Append(table.Census.Columns is null ? "auto" : "given");

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())))[..16].ToLowerInvariant();
        var folder = Path.Combine(cacheRoot, $"{table.Name}-{hash}");
        if (File.Exists(Path.Combine(folder, "table.json")))
        {
            progress?.Report($"table '{table.Name}': loading cached layouts from {folder}");
            var cached = TableStore.Load(folder);
            try
            {
                // The key columns are the multi-key layouts' (part of the identity), so an entry normally has their
                // value sets; one cached before they were kept gets them from the source now, once.
                var values = KeyValues.Load(folder, cached.Schema, keyValueColumns, out var missing);
                if (missing.Count > 0)
                {
                    progress?.Report($"table '{table.Name}': reading {table.Source} for the values of key columns {string.Join(", ", missing)}");
                    var source = await TableReader.ReadFileAsync(table.Source, cancellationToken: cancellationToken).ConfigureAwait(false);
                    var computed = KeyValues.Compute(source, missing);
                    KeyValues.TrySave(folder, cached.Schema, computed);
                    foreach (var (column, set) in computed)
                    {
                        values[column] = set;
                    }
                }

                return (cached, values);
            }
            catch
            {
                cached.Dispose();
                throw;
            }
        }

        progress?.Report($"table '{table.Name}': reading {table.Source}");
        var raw = await TableReader.ReadFileAsync(table.Source, cancellationToken: cancellationToken).ConfigureAwait(false);

        // Chosen columns keep only the numeric ones (a COUNT-free SUM over a timestamp has no tail to fence); given ones are checked.
        var census = table.Census.Columns is null
            ? censusColumns.Where(c => raw.Schema.Contains(c) && raw.Schema.Column(c).Type is ColumnType.Double or ColumnType.Int64).ToArray()
            : censusColumns;
        var built = PartitionedTable.Build(raw, new TableOptions
        {
            Name = table.Name,
            Partitions = table.Partitions,
            Seed = table.Seed,
            TimeColumn = table.TimeColumn,
            Layouts = layouts,
            Census = census.Count == 0 ? null : new CensusOptions { Columns = census, Fence = table.Census.Fence, MaxShare = table.Census.MaxShare },
        }, new InlineProgress(progress));

        // Save beside the final folder and rename, so a crash never leaves a half-written cache entry behind.
        var keyValues = KeyValues.Compute(raw, keyValueColumns);
        var staging = $"{folder}.tmp-{Environment.ProcessId}";
        TableStore.Save(built, staging);
        KeyValues.TrySave(staging, raw.Schema, keyValues);
        try
        {
            Directory.Move(staging, folder);
            progress?.Report($"table '{table.Name}': cached in {folder}");
        }
        catch (IOException)
        {
            Directory.Delete(staging, recursive: true); // another process cached it first
        }

        return (built, keyValues);
    }

    private sealed class InlineProgress(IProgress<string>? inner) : IProgress<string>
    {
        public void Report(string value) => inner?.Report(value);
    }
}
