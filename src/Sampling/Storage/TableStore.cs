using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Storage;

/// <summary>
/// Saves a <see cref="PartitionedTable"/> as a folder of Arrow IPC files and loads it back, memory-mapped by default.
/// Folder contents: <c>table.json</c> (manifest), <c>layout.NAME.arrow</c> (one record batch per partition, then one
/// for the census when there is one: the group id column <c>__group</c>, then every table column, strings as dictionary codes), <c>groups.NAME.arrow</c> (the
/// layout's sorted key tuples) and <c>strings.ORDINAL.arrow</c> (each string column's dictionary).
/// </summary>
public static class TableStore
{
    private const string ManifestFile = "table.json";
    private const string GroupColumn = "__group";

    /// <summary>Writes <paramref name="table"/> into <paramref name="directory"/> (created if missing; existing files are replaced).</summary>
    public static void Save(PartitionedTable table, string directory)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.IsRemote)
        {
            throw new InvalidOperationException($"Table '{table.Name}' lives in a remote store; only a table held in process can be saved.");
        }

        Directory.CreateDirectory(directory);
        var schema = table.Schema;
        var manifest = new TableManifest
        {
            Name = table.Name,
            Partitions = table.Partitions,
            Seed = table.Seed,
            TimeColumn = table.TimeColumn,
            RowsWithNullTime = table.RowsWithNullTime,
            Census = table.Census is { } census
                ? new ManifestCensus
                {
                    Rows = census.Rows,
                    Columns = [.. census.Columns.Select(c => new ManifestCensusColumn { Name = c.Name, Low = c.Low, High = c.High })],
                }
                : null,
        };
        foreach (var column in schema.Columns)
        {
            manifest.Columns.Add(new ManifestColumn { Name = column.Name, Type = column.Type });
        }

        for (var c = 0; c < schema.Count; c++)
        {
            if (table.DictionaryOrNull(c) is { } dictionary)
            {
                WriteStrings(Path.Combine(directory, $"strings.{c}.arrow"), dictionary);
            }
        }

        foreach (var layout in table.Layouts)
        {
            manifest.Layouts.Add(new ManifestLayout
            {
                Name = layout.Name,
                Keys = [.. layout.KeyColumns],
                Groups = layout.GroupCount,
                Rows = layout.RowCount,
            });
            if (layout.Groups.Width > 0)
            {
                WriteGroups(Path.Combine(directory, $"groups.{layout.Name}.arrow"), layout.Groups);
            }

            WriteLayout(Path.Combine(directory, $"layout.{layout.Name}.arrow"), layout);
        }

        // The manifest goes last: a folder without one is an interrupted save, never a half-readable table.
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.TableManifest);
        File.WriteAllBytes(Path.Combine(directory, ManifestFile), json);
    }

    /// <summary>
    /// Loads a table saved by <see cref="Save"/>. With <paramref name="memoryMap"/> the layout files are mapped and
    /// column spans point into the mapping (dispose the table to unmap); otherwise they are read into memory.
    /// Throws <see cref="DataSourceException"/> naming the file that is missing, truncated or inconsistent.
    /// </summary>
    public static PartitionedTable Load(string directory, bool memoryMap = true)
    {
        var manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new DataSourceException(manifestPath, $"'{directory}' holds no saved table: '{manifestPath}' is missing.");
        }

        TableManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllBytes(manifestPath), ManifestJsonContext.Default.TableManifest)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new DataSourceException(manifestPath, $"'{manifestPath}' is not a valid table manifest: {e.Message}", e);
        }

        if (manifest.Format != TableManifest.CurrentFormat)
        {
            throw new DataSourceException(manifestPath, $"'{manifestPath}' has format {manifest.Format}; this engine reads format {TableManifest.CurrentFormat}.");
        }

        var columns = new ColumnSchema[manifest.Columns.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = new ColumnSchema(manifest.Columns[i].Name, manifest.Columns[i].Type);
        }

        var schema = new TableSchema(manifest.Name, columns);
        var dictionaries = new StringDictionary?[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            if (columns[c].Type == ColumnType.String)
            {
                dictionaries[c] = ReadStrings(Path.Combine(directory, $"strings.{c}.arrow"));
            }
        }

        var timeOrdinal = manifest.TimeColumn is null ? -1 : schema.Ordinal(manifest.TimeColumn);
        var storage = new StorageHandles();
        try
        {
            var census = manifest.Census is { } saved
                ? new TableCensus([.. saved.Columns.Select(c => new CensusColumn(c.Name, c.Low, c.High))], saved.Rows)
                : null;
            var table = new PartitionedTable(
                manifest.Name, schema, manifest.Partitions, manifest.Seed, timeOrdinal, manifest.RowsWithNullTime, dictionaries, storage, census);
            var layouts = new Layout[manifest.Layouts.Count];
            for (var i = 0; i < layouts.Length; i++)
            {
                var entry = manifest.Layouts[i];
                var keyOrdinals = new int[entry.Keys.Count];
                for (var j = 0; j < keyOrdinals.Length; j++)
                {
                    keyOrdinals[j] = schema.Ordinal(entry.Keys[j]);
                }

                var groups = keyOrdinals.Length == 0
                    ? new GroupIndex([], 0)
                    : ReadGroups(Path.Combine(directory, $"groups.{entry.Name}.arrow"), keyOrdinals.Length, entry.Groups);
                var layoutPath = Path.Combine(directory, $"layout.{entry.Name}.arrow");
                var partitions = ReadLayout(layoutPath, schema, manifest.Partitions + (census is null ? 0 : 1), entry.Rows, memoryMap, storage);
                layouts[i] = new Layout(table, entry.Name, keyOrdinals, groups, partitions);
            }

            table.SetLayouts(layouts);
            return table;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    private static void WriteLayout(string path, Layout layout)
    {
        var tableSchema = layout.Table.Schema;
        var builder = new Apache.Arrow.Schema.Builder().Field(f => f.Name(GroupColumn).DataType(Int32Type.Default).Nullable(false));
        foreach (var column in tableSchema.Columns)
        {
            builder.Field(f => f.Name(column.Name).DataType(ArrowType(column.Type)).Nullable(false));
        }

        var schema = builder.Build();
        using var stream = File.Create(path);
        using var writer = new ArrowFileWriter(stream, schema);
        for (var p = 0; p < layout.Parts.Length; p++)
        {
            var part = layout.Partition(p);
            var arrays = new IArrowArray[tableSchema.Count + 1];
            arrays[0] = new Int32Array(new ArrowBuffer(part.GroupIdBuffer), ArrowBuffer.Empty, part.RowCount, 0, 0);
            for (var c = 0; c < tableSchema.Count; c++)
            {
                var buffer = new ArrowBuffer(part.ColumnBuffer(c));
                arrays[c + 1] = tableSchema[c].Type switch
                {
                    ColumnType.Double => new DoubleArray(buffer, ArrowBuffer.Empty, part.RowCount, 0, 0),
                    ColumnType.Int64 => new Int64Array(buffer, ArrowBuffer.Empty, part.RowCount, 0, 0),
                    ColumnType.Timestamp => new TimestampArray(TimestampMicros, buffer, ArrowBuffer.Empty, part.RowCount, 0, 0),
                    _ => new Int32Array(buffer, ArrowBuffer.Empty, part.RowCount, 0, 0),
                };
            }

            writer.WriteRecordBatch(new RecordBatch(schema, arrays, part.RowCount));
        }

        writer.WriteEnd();
    }

    private static LayoutPartition[] ReadLayout(
        string path, TableSchema tableSchema, int partitionCount, long expectedRows, bool memoryMap, StorageHandles storage)
    {
        if (FileFormatDetector.Detect(path) != Ingest.FileFormat.ArrowFile)
        {
            throw new DataSourceException(path, $"'{path}' is not an Arrow IPC file.");
        }

        ReadOnlyMemory<byte> bytes;
        if (memoryMap)
        {
            var mapped = new MappedFile(path);
            storage.Add(mapped);
            bytes = mapped.Memory;
        }
        else
        {
            bytes = File.ReadAllBytes(path);
        }

        var partitions = new LayoutPartition[partitionCount];
        var read = 0;
        long rows = 0;
        try
        {
            // An IPC file is 8 bytes of magic and padding, the stream format, then a footer: read the stream part.
            using var reader = new ArrowStreamReader(bytes[8..]);
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                if (read == partitionCount)
                {
                    throw new DataSourceException(path, $"'{path}' holds more than the manifest's {partitionCount} partitions.");
                }

                if (batch.ColumnCount != tableSchema.Count + 1)
                {
                    throw new DataSourceException(path, $"'{path}': partition {read} has {batch.ColumnCount} columns, expected {tableSchema.Count + 1}.");
                }

                var columns = new ReadOnlyMemory<byte>[tableSchema.Count];
                for (var c = 0; c < columns.Length; c++)
                {
                    columns[c] = ValueBytes(batch.Column(c + 1), tableSchema[c].Type, path, tableSchema[c].Name);
                }

                var groupIds = ValueBytes(batch.Column(0), ColumnType.String, path, GroupColumn);
                partitions[read++] = new LayoutPartition(batch.Length, groupIds, columns);
                rows += batch.Length;
            }
        }
        catch (Exception e) when (e is not BiathlonException and not OutOfMemoryException)
        {
            throw new DataSourceException(path, $"'{path}' is truncated or corrupt: {e.Message}", e);
        }

        if (read != partitionCount || rows != expectedRows)
        {
            throw new DataSourceException(
                path, $"'{path}' holds {read} partitions and {rows} rows; the manifest says {partitionCount} and {expectedRows}.");
        }

        return partitions;
    }

    /// <summary>The value buffer of an array read back, checked against the column's storage type.</summary>
    private static ReadOnlyMemory<byte> ValueBytes(IArrowArray array, ColumnType type, string path, string column)
    {
        var (ok, width) = (type, array) switch
        {
            (ColumnType.Double, DoubleArray) => (true, 8),
            (ColumnType.Int64, Int64Array) => (true, 8),
            (ColumnType.Timestamp, TimestampArray) => (true, 8),
            (ColumnType.String, Int32Array) => (true, 4),
            _ => (false, 0),
        };
        if (!ok || array.NullCount != 0)
        {
            throw new DataSourceException(path, $"'{path}': column '{column}' has Arrow type {array.Data.DataType.Name}, expected {type} storage.");
        }

        var data = array.Data;
        return data.Buffers[1].Memory.Slice(data.Offset * width, data.Length * width);
    }

    private static void WriteStrings(string path, StringDictionary dictionary)
    {
        var builder = new StringArray.Builder();
        foreach (var value in dictionary.Values)
        {
            builder.Append(value);
        }

        var array = builder.Build();
        var schema = new Apache.Arrow.Schema.Builder().Field(f => f.Name("value").DataType(StringType.Default).Nullable(false)).Build();
        using var stream = File.Create(path);
        using var writer = new ArrowFileWriter(stream, schema);
        writer.WriteRecordBatch(new RecordBatch(schema, [array], array.Length));
        writer.WriteEnd();
    }

    private static StringDictionary ReadStrings(string path)
    {
        var dictionary = new StringDictionary();
        foreach (var batch in ReadAll(path))
        {
            var values = (StringArray)batch.Column(0);
            for (var i = 0; i < values.Length; i++)
            {
                dictionary.GetOrAdd(values.GetString(i));
            }
        }

        return dictionary;
    }

    private static void WriteGroups(string path, GroupIndex groups)
    {
        var builder = new Apache.Arrow.Schema.Builder();
        var arrays = new IArrowArray[groups.Width];
        for (var j = 0; j < groups.Width; j++)
        {
            builder.Field(f => f.Name($"k{j}").DataType(Int64Type.Default).Nullable(false));
            var column = new Int64Array.Builder().Reserve(groups.Count);
            for (var g = 0; g < groups.Count; g++)
            {
                column.Append(groups.Keys[g * groups.Width + j]);
            }

            arrays[j] = column.Build();
        }

        var schema = builder.Build();
        using var stream = File.Create(path);
        using var writer = new ArrowFileWriter(stream, schema);
        writer.WriteRecordBatch(new RecordBatch(schema, arrays, groups.Count));
        writer.WriteEnd();
    }

    private static GroupIndex ReadGroups(string path, int width, int expected)
    {
        var keys = new List<long>(expected * width);
        foreach (var batch in ReadAll(path))
        {
            if (batch.ColumnCount != width)
            {
                throw new DataSourceException(path, $"'{path}' has {batch.ColumnCount} key columns, expected {width}.");
            }

            for (var g = 0; g < batch.Length; g++)
            {
                for (var j = 0; j < width; j++)
                {
                    keys.Add(((Int64Array)batch.Column(j)).GetValue(g)!.Value);
                }
            }
        }

        if (keys.Count != expected * width)
        {
            throw new DataSourceException(path, $"'{path}' holds {keys.Count / width} groups; the manifest says {expected}.");
        }

        return new GroupIndex([.. keys], width);
    }

    private static List<RecordBatch> ReadAll(string path)
    {
        if (FileFormatDetector.Detect(path) != Ingest.FileFormat.ArrowFile)
        {
            throw new DataSourceException(path, $"'{path}' is not an Arrow IPC file.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new ArrowFileReader(stream);
            var batches = new List<RecordBatch>();
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                batches.Add(batch);
            }

            return batches;
        }
        catch (Exception e) when (e is not BiathlonException and not OutOfMemoryException)
        {
            throw new DataSourceException(path, $"'{path}' is truncated or corrupt: {e.Message}", e);
        }
    }

    private static TimestampType TimestampMicros { get; } = new(TimeUnit.Microsecond, (string?)null);

    private static IArrowType ArrowType(ColumnType type) => type switch
    {
        ColumnType.Double => DoubleType.Default,
        ColumnType.Int64 => Int64Type.Default,
        ColumnType.Timestamp => TimestampMicros,
        _ => Int32Type.Default,
    };

    /// <summary>The memory mappings a loaded table holds, released together.</summary>
    private sealed class StorageHandles : IDisposable
    {
        private readonly List<IDisposable> _handles = [];

        public void Add(IDisposable handle) => _handles.Add(handle);

        public void Dispose()
        {
            foreach (var handle in _handles)
            {
                handle.Dispose();
            }

            _handles.Clear();
        }
    }
}
