using System.Text.RegularExpressions;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Storage;

namespace Biathlon.Sampling.Layouts;

/// <summary>
/// A table whose rows carry a random partition id fixed at build time, stored in one or more layouts. Immutable and
/// safe to share between threads; dispose it to release a memory-mapped file when it was loaded with
/// <see cref="TableStore.Load"/>.
/// </summary>
public sealed partial class PartitionedTable : IDisposable
{
    private Layout[] _layouts = [];
    private readonly StringDictionary?[] _dictionaries;
    private readonly IDisposable? _storage;

    internal PartitionedTable(
        string name, TableSchema schema, int partitions, ulong seed, int timeOrdinal, int rowsWithNullTime,
        StringDictionary?[] dictionaries, IDisposable? storage, TableCensus? census = null)
    {
        Census = census;
        Name = name;
        Schema = schema;
        Partitions = partitions;
        Seed = seed;
        TimeOrdinal = timeOrdinal;
        RowsWithNullTime = rowsWithNullTime;
        _dictionaries = dictionaries;
        _storage = storage;
    }

    /// <summary>Table name.</summary>
    public string Name { get; }

    /// <summary>Columns and storage types.</summary>
    public TableSchema Schema { get; }

    /// <summary>Number of partitions P (the sampling grid; the census, when there is one, is stored besides them).</summary>
    public int Partitions { get; }

    /// <summary>The census stratum's fences and size, or null when the table has none.</summary>
    public TableCensus? Census { get; }

    /// <summary>Seed of the partition assignment.</summary>
    public ulong Seed { get; }

    /// <summary>The time column's name, or null.</summary>
    public string? TimeColumn => TimeOrdinal >= 0 ? Schema[TimeOrdinal].Name : null;

    /// <summary>Rows stored in each layout.</summary>
    public long RowCount => _layouts.Length > 0 ? _layouts[0].RowCount : 0;

    /// <summary>Source rows left out because their time was null.</summary>
    public int RowsWithNullTime { get; }

    /// <summary>The layouts, in the order they were declared.</summary>
    public IReadOnlyList<Layout> Layouts => _layouts;

    /// <summary>True when the rows live in a remote store (the layouts keep local indexes; cursors read fetched rows).</summary>
    public bool IsRemote => Source is not null;

    /// <summary>
    /// For a remote table: how long ago its local indexes were last confirmed current against the store (below the
    /// store's refresh period while refreshes succeed). Zero in process.
    /// </summary>
    public TimeSpan IndexAge => Source?.IndexAge ?? TimeSpan.Zero;

    /// <summary>For a remote table: why the last refresh of its indexes failed, while none has succeeded since; null otherwise.</summary>
    public string? RefreshFailure => Source?.RefreshFailure;

    /// <summary>Where a remote table's rows come from; null for a table held in process.</summary>
    internal Sources.PartitionSource? Source { get; init; }

    private Sources.RemoteLayoutIndex[]? _remoteIndexes;

    /// <summary>A remote table's layout indexes, by <see cref="Layout.RemoteOrdinal"/>: one snapshot for all layouts.</summary>
    internal Sources.RemoteLayoutIndex[]? RemoteIndexes => Volatile.Read(ref _remoteIndexes);

    /// <summary>
    /// Publishes new indexes for every layout at once (appends arrived), so a reader that takes
    /// <see cref="RemoteIndexes"/> once sees every layout at the same version. Group ids stay valid across versions.
    /// </summary>
    internal void PublishIndexes(Sources.RemoteLayoutIndex[] indexes) => Volatile.Write(ref _remoteIndexes, indexes);

    internal int TimeOrdinal { get; }

    /// <summary>
    /// Assigns every row of <paramref name="raw"/> a partition (seeded) and builds the requested layouts. Throws
    /// <see cref="ConfigurationException"/> or <see cref="SchemaException"/> naming the option or column at fault.
    /// </summary>
    /// <param name="raw">The ingested rows.</param>
    /// <param name="options">Partition count, seed, time column and layouts.</param>
    /// <param name="progress">Receives a line per finished step (layouts take seconds on millions of rows).</param>
    public static PartitionedTable Build(RawTable raw, TableOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(options);
        var name = options.Name ?? Path.GetFileNameWithoutExtension(raw.SourceName);
        Validate(raw, options, name);

        var timeOrdinal = options.TimeColumn is null ? -1 : raw.Schema.Ordinal(options.TimeColumn);
        var partitionOf = AssignPartitions(raw.RowCount, options.Partitions, options.Seed);
        var timeOrder = TimeOrder(raw, timeOrdinal, out var nullTimes);
        if (timeOrder.Length == 0)
        {
            throw new DataSourceException(raw.SourceName, $"'{raw.SourceName}': every row has a null '{options.TimeColumn}'; nothing to store.");
        }

        progress?.Report($"{name}: {raw.RowCount:N0} rows assigned to {options.Partitions} partitions");
        TableCensus? census = null;
        if (options.Census is { Columns.Count: > 0 } censusOptions)
        {
            census = CensusBuilder.Assign(raw, timeOrder, censusOptions, partitionOf, options.Partitions);
            progress?.Report($"{name}: {census.Rows:N0} rows beyond the fences of {string.Join(", ", censusOptions.Columns)} go to the census");
        }

        var dictionaries = new StringDictionary?[raw.Columns.Length];
        for (var c = 0; c < dictionaries.Length; c++)
        {
            dictionaries[c] = (raw.Columns[c] as StringColumn)?.Dictionary;
        }

        var schema = new TableSchema(name, raw.Schema.Columns);
        var table = new PartitionedTable(name, schema, options.Partitions, options.Seed, timeOrdinal, nullTimes, dictionaries, null, census);
        var layouts = new Layout[options.Layouts.Count];
        for (var i = 0; i < layouts.Length; i++)
        {
            layouts[i] = LayoutBuilder.Build(raw, table, options.Layouts[i], timeOrder, partitionOf);
            progress?.Report($"{name}: layout '{layouts[i].Name}' built ({layouts[i].GroupCount:N0} groups)");
        }

        table._layouts = layouts;
        return table;
    }

    /// <summary>The layout named <paramref name="name"/>; throws <see cref="QueryException"/> naming it when absent.</summary>
    public Layout GetLayout(string name)
    {
        foreach (var layout in _layouts)
        {
            if (layout.Name == name)
            {
                return layout;
            }
        }

        throw new QueryException(name, $"Table '{Name}' has no layout '{name}' (layouts: {LayoutNames()}).");
    }

    /// <summary>The layout whose key columns are exactly <paramref name="keyColumns"/> (in any order).</summary>
    public Layout FindLayout(IReadOnlyCollection<string> keyColumns)
    {
        foreach (var layout in _layouts)
        {
            if (layout.KeyColumns.Count == keyColumns.Count && keyColumns.All(layout.KeyColumns.Contains))
            {
                return layout;
            }
        }

        throw new QueryException(
            string.Join(",", keyColumns),
            $"Table '{Name}' has no layout keyed by ({string.Join(", ", keyColumns)}); layouts: {LayoutNames()}.");
    }

    /// <summary>True when String column <paramref name="column"/> holds <paramref name="value"/> in some row.</summary>
    public bool ContainsString(string column, string value) => Dictionary(Schema.Ordinal(column)).Find(value) >= 0;

    /// <summary>The string behind a dictionary code of a String column.</summary>
    public string DecodeString(string column, int code) => Dictionary(Schema.Ordinal(column))[code];

    /// <inheritdoc />
    public void Dispose() => _storage?.Dispose();

    internal StringDictionary Dictionary(int ordinal) =>
        _dictionaries[ordinal] ?? throw SchemaException.WrongType(Schema[ordinal].Name, Schema[ordinal].Type, "expected String");

    internal StringDictionary? DictionaryOrNull(int ordinal) => _dictionaries[ordinal];

    internal void SetLayouts(Layout[] layouts) => _layouts = layouts;

    /// <summary>Partition of every row: a counter-based hash of (seed, row), so it does not depend on how rows were batched.</summary>
    internal static int[] AssignPartitions(int rows, int partitions, ulong seed)
    {
        var result = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            result[r] = SplitMix64.Below(SplitMix64.Hash(seed, (ulong)r), partitions);
        }

        return result;
    }

    private static int[] TimeOrder(RawTable raw, int timeOrdinal, out int nullTimes)
    {
        nullTimes = 0;
        if (timeOrdinal < 0)
        {
            var all = new int[raw.RowCount];
            for (var r = 0; r < all.Length; r++)
            {
                all[r] = r;
            }

            return all;
        }

        var times = ((Int64Column)raw.Columns[timeOrdinal]).Values.AsSpan();
        var kept = new List<int>(times.Length);
        for (var r = 0; r < times.Length; r++)
        {
            if (times[r] == RawColumn.NullInteger)
            {
                nullTimes++;
            }
            else
            {
                kept.Add(r);
            }
        }

        var order = kept.ToArray();
        var keys = new long[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            keys[i] = times[order[i]];
        }

        Array.Sort(keys, order);
        return order;
    }

    private static void Validate(RawTable raw, TableOptions options, string name)
    {
        if (options.Partitions is < 1 or > 65_536)
        {
            throw new ConfigurationException(
                nameof(TableOptions.Partitions), $"Table '{name}': Partitions must be in [1, 65536] (got {options.Partitions}).");
        }

        if (!ValidName().IsMatch(name))
        {
            throw new ConfigurationException(nameof(TableOptions.Name), $"Table name '{name}' may hold only letters, digits, '-', '_' and '.'.");
        }

        if (options.TimeColumn is { } time)
        {
            var column = raw.Schema.Column(time);
            if (!column.IsInteger)
            {
                throw SchemaException.WrongType(time, column.Type, "a time column must be Int64 or Timestamp");
            }
        }

        if (options.Census is { } census)
        {
            if (!(census.Fence >= 0) || double.IsInfinity(census.Fence))
            {
                throw new ConfigurationException("Census.Fence", $"Table '{name}': the census fence must be finite and at least 0 (got {census.Fence}).");
            }

            if (!(census.MaxShare > 0 && census.MaxShare < 0.5))
            {
                throw new ConfigurationException("Census.MaxShare", $"Table '{name}': the census share must lie in (0, 0.5) (got {census.MaxShare}).");
            }

            foreach (var column in census.Columns)
            {
                var type = raw.Schema.Column(column).Type;
                if (type is not (ColumnType.Double or ColumnType.Int64))
                {
                    throw SchemaException.WrongType(column, type, "a census column must be Double or Int64");
                }
            }
        }

        if (options.Layouts.Count == 0)
        {
            throw new ConfigurationException(nameof(TableOptions.Layouts), $"Table '{name}': at least one layout is needed.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layout in options.Layouts)
        {
            if (!ValidName().IsMatch(layout.Name) || !names.Add(layout.Name))
            {
                throw new ConfigurationException(
                    nameof(TableOptions.Layouts),
                    $"Table '{name}': layout name '{layout.Name}' is empty, repeated or holds characters other than letters, digits, '-', '_' and '.'.");
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in layout.KeyColumns)
            {
                raw.Schema.Ordinal(key);
                if (!keys.Add(key))
                {
                    throw new SchemaException(key, $"Layout '{layout.Name}' lists key column '{key}' twice.");
                }
            }
        }
    }

    private string LayoutNames() => string.Join(", ", _layouts.Select(l => l.Name));

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex ValidName();
}
