using System.Globalization;
using System.Security.Cryptography;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Sources;
using StackExchange.Redis;

namespace Biathlon.Redis;

/// <summary>
/// Tables in Redis or Redis Cluster (docs/store.md): <see cref="UploadAsync"/> writes a built table, <see cref="OpenTableAsync"/>
/// opens one for serving (its layouts' indexes local, its rows fetched per round), <see cref="AppendAsync"/> adds rows.
/// Connections are shared per configuration string within a process. Thread-safe.
/// </summary>
public sealed class RedisTableStore
{
    private readonly ConnectionMultiplexer _connection;

    private RedisTableStore(RedisStoreOptions options, ConnectionMultiplexer connection)
    {
        Options = options;
        _connection = connection;
    }

    /// <summary>The options the store was opened with.</summary>
    public RedisStoreOptions Options { get; }

    /// <summary>True while some store node is connected.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>
    /// Opens the store (sharing this process's connection for the same configuration). Does not fail when Redis is
    /// down: the connection keeps retrying, and operations fail fast with <see cref="StoreUnavailableException"/> until it is back.
    /// </summary>
    public static async Task<RedisTableStore> ConnectAsync(RedisStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ConnectionMultiplexer connection;
        try
        {
            connection = await RedisConnections.GetAsync(options).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or ArgumentException)
        {
            throw new ConfigurationException(nameof(RedisStoreOptions.Configuration), $"Redis configuration '{options.Configuration}' cannot be used: {e.Message}");
        }

        return new RedisTableStore(options, connection);
    }

    /// <summary>
    /// Writes <paramref name="table"/> (held in process) to the store as a new generation: every layout's segments,
    /// its index, the manifest, and last the pointer that makes it current, so servers opening the table meanwhile
    /// see the previous generation whole. Returns the new generation's id.
    /// </summary>
    public async Task<string> UploadAsync(PartitionedTable table, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.IsRemote)
        {
            throw new InvalidOperationException($"Table '{table.Name}' is already remote; upload a table built in process.");
        }

        var generation = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        var keys = new RedisKeys(Options.KeyPrefix, table.Name, generation);
        var uploader = new TableUploader(Database, keys, Options, progress);
        try
        {
            foreach (var layout in table.Layouts)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var index = await uploader.UploadLayoutAsync(table, layout, cancellationToken).ConfigureAwait(false);
                await Database.StringSetAsync(keys.Index(layout.Name), IndexFormat.Write(index)).ConfigureAwait(false);
            }

            await Database.StringSetAsync(keys.Manifest, Manifest(table, generation).ToValue()).ConfigureAwait(false);
            await Database.StringSetAsync(RedisKeys.Current(Options.KeyPrefix, table.Name), generation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable(Options, $"uploading table '{table.Name}'", e);
        }

        progress?.Report($"table '{table.Name}': generation {generation} is current ({uploader.Values:N0} values, {uploader.Bytes / 1048576.0:N1} MiB)");
        return generation;
    }

    /// <summary>
    /// Opens the current generation of stored table <paramref name="name"/> for serving: reads its manifest and layout
    /// indexes (and the appends logged since), then keeps the indexes fresh in the background. Dispose the table to
    /// stop that. Throws <see cref="DataSourceException"/> when the store holds no such table or a value is damaged,
    /// <see cref="StoreUnavailableException"/> when Redis does not answer in time.
    /// </summary>
    public async Task<PartitionedTable> OpenTableAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        try
        {
            var current = await Database.StringGetAsync(RedisKeys.Current(Options.KeyPrefix, name)).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (current.IsNull)
            {
                throw new DataSourceException(name,
                    $"Redis ({Options.Configuration}, prefix '{Options.KeyPrefix}') holds no table '{name}': upload it first (Biathlon.Host load-store PIPELINE).");
            }

            var keys = new RedisKeys(Options.KeyPrefix, name, current.ToString());
            var manifest = StoredManifest.FromValue(keys.Manifest, await Required(keys.Manifest).ConfigureAwait(false));
            var schema = new TableSchema(name, [.. manifest.Columns.Select(c => new ColumnSchema(c.Name, c.Type))]);
            var dictionaries = new StringDictionary?[schema.Count];
            for (var c = 0; c < schema.Count; c++)
            {
                if (manifest.Columns[c].Strings is { } strings)
                {
                    var dictionary = dictionaries[c] = new StringDictionary();
                    foreach (var s in strings)
                    {
                        dictionary.GetOrAdd(s);
                    }
                }
            }

            var indexes = new RemoteLayoutIndex[manifest.Layouts.Count];
            for (var l = 0; l < indexes.Length; l++)
            {
                var key = keys.Index(manifest.Layouts[l].Name);
                indexes[l] = IndexFormat.Read(key, await Required(key).ConfigureAwait(false));
            }

            var log = await Database.ListRangeAsync(keys.Log).ConfigureAwait(false);
            var source = new RedisPartitionSource(Database, keys, schema, Options, 0);
            var census = manifest.Census is { } c2 ? new TableCensus([.. c2.Columns.Select(c => new CensusColumn(c.Name, c.Low, c.High))], c2.Rows) : null;
            var timeOrdinal = manifest.TimeColumn is null ? -1 : schema.Ordinal(manifest.TimeColumn);
            var table = new PartitionedTable(name, schema, manifest.Partitions, manifest.Seed, timeOrdinal, manifest.RowsWithNullTime, dictionaries, source, census)
            {
                Source = source,
            };
            table.PublishIndexes(indexes);
            var layouts = new Layout[indexes.Length];
            for (var l = 0; l < layouts.Length; l++)
            {
                var spec = manifest.Layouts[l];
                layouts[l] = new Layout(table, spec.Name, [.. spec.Keys.Select(schema.Ordinal)], l);
            }

            table.SetLayouts(layouts);
            RedisPartitionSource.Apply(table, keys, log, 0);
            source.MarkApplied(log.Length);
            source.Attach(layouts);
            return table;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable(Options, $"opening table '{name}'", e);
        }
    }

    /// <summary>
    /// Appends <paramref name="rows"/> (column name → value) to remote table <paramref name="table"/>, once per
    /// <paramref name="batchId"/>: a batch applied before (by any server) is acknowledged and not counted again. Each
    /// row goes to a random partition (seeded by the table and the batch id, so a retry places it the same way), or
    /// to the census when a census column's value lies beyond its fences; every (group, partition) it touches gets a
    /// new time-ordered segment. Visible to this server at once and to others within <see cref="RedisStoreOptions.CacheTtl"/>.
    /// Strings must be ones the column already holds (new strings need a reload). Throws <see cref="SchemaException"/>
    /// naming the row and column of a value that does not fit.
    /// </summary>
    public Task<AppendResult> AppendAsync(
        PartitionedTable table, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        if (table.Source is not RedisPartitionSource source)
        {
            throw new InvalidOperationException($"Table '{table.Name}' is not a Redis table: append to the store it was opened from.");
        }

        return new TableAppender(Database, source.Keys, Options, source).AppendAsync(table, rows, batchId, cancellationToken);
    }

    private IDatabase Database => _connection.GetDatabase();

    private async Task<byte[]> Required(string key)
    {
        var value = await Database.StringGetAsync(key).ConfigureAwait(false);
        return value.IsNull
            ? throw new DataSourceException(key, $"Redis has no value '{key}': the stored table is incomplete (an upload was interrupted or keys were deleted). Upload it again.")
            : (byte[])value!;
    }

    private static StoredManifest Manifest(PartitionedTable table, string generation)
    {
        var manifest = new StoredManifest
        {
            Name = table.Name,
            Generation = generation,
            Partitions = table.Partitions,
            Seed = table.Seed,
            TimeColumn = table.TimeColumn,
            RowsWithNullTime = table.RowsWithNullTime,
            Census = table.Census is { } census
                ? new StoredCensus { Rows = census.Rows, Columns = [.. census.Columns.Select(c => new StoredCensusColumn { Name = c.Name, Low = c.Low, High = c.High })] }
                : null,
        };
        for (var c = 0; c < table.Schema.Count; c++)
        {
            manifest.Columns.Add(new StoredColumn
            {
                Name = table.Schema[c].Name,
                Type = table.Schema[c].Type,
                Strings = table.DictionaryOrNull(c) is { } dictionary ? [.. dictionary.Values] : null,
            });
        }

        foreach (var layout in table.Layouts)
        {
            manifest.Layouts.Add(new StoredLayout { Name = layout.Name, Keys = [.. layout.KeyColumns] });
        }

        return manifest;
    }

    internal static StoreUnavailableException Unavailable(RedisStoreOptions options, string doing, Exception inner) =>
        new($"redis {options.Configuration}",
            $"Redis ({options.Configuration}) did not answer within {options.OperationTimeout.TotalMilliseconds:0} ms while {doing}: {inner.Message}", inner);
}
