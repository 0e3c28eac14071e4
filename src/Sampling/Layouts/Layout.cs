using System.Globalization;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Sources;

namespace Biathlon.Sampling.Layouts;

/// <summary>
/// One physical order of a table's rows: partition by partition, sorted by (group key columns, time). A predicate on
/// the key columns and a time window is one binary-searched row range per partition. Immutable and thread-safe. The rows
/// of a layout in a remote store (<see cref="IsRemote"/>) are not here: a local index sizes its queries, and cursors
/// read rows a <see cref="PartitionSource"/> fetched for them.
/// </summary>
public sealed class Layout
{
    private readonly int[] _keyOrdinals;
    private readonly PartitionRangeIndex? _ranges;
    private readonly long _rowCount;
    private readonly int _remoteOrdinal = -1;

    internal Layout(PartitionedTable table, string name, int[] keyOrdinals, GroupIndex groups, LayoutPartition[] partitions)
    {
        Table = table;
        Name = name;
        _keyOrdinals = keyOrdinals;
        Groups = groups;
        Parts = partitions;
        var keys = new string[keyOrdinals.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = table.Schema[keyOrdinals[i]].Name;
        }

        KeyColumns = keys;
        long rows = 0;
        foreach (var part in partitions)
        {
            rows += part.RowCount;
        }

        _rowCount = rows;
        _ranges = new PartitionRangeIndex(partitions, groups.Count, groups.Width > 0, table.TimeOrdinal, rows);
    }

    /// <summary>
    /// A layout whose rows live in a remote store: its index is entry <paramref name="ordinal"/> of the table's
    /// published indexes (<see cref="PartitionedTable.PublishIndexes"/>), so all layouts of a table change together.
    /// </summary>
    internal Layout(PartitionedTable table, string name, int[] keyOrdinals, int ordinal)
    {
        Table = table;
        Name = name;
        _keyOrdinals = keyOrdinals;
        Groups = new GroupIndex([], keyOrdinals.Length);
        Parts = [];
        var keys = new string[keyOrdinals.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = table.Schema[keyOrdinals[i]].Name;
        }

        KeyColumns = keys;
        _remoteOrdinal = ordinal;
    }

    /// <summary>The table this layout orders.</summary>
    public PartitionedTable Table { get; }

    /// <summary>Layout name, unique within the table.</summary>
    public string Name { get; }

    /// <summary>The group key columns, in sort order.</summary>
    public IReadOnlyList<string> KeyColumns { get; }

    /// <summary>Number of sampled partitions (the table's P).</summary>
    public int PartitionCount => Table.Partitions;

    /// <summary>True when the table has a census stratum: stored as partition <see cref="PartitionCount"/>, read in full by every cursor.</summary>
    public bool HasCensus => RemoteIndex is { } remote ? remote.HasCensus : Parts.Length > Table.Partitions;

    /// <summary>Number of distinct key tuples.</summary>
    public int GroupCount => RemoteIndex?.GroupCount ?? Groups.Count;

    /// <summary>Total rows stored (for a remote layout: as its local index knows them).</summary>
    public long RowCount => RemoteIndex?.RowCount ?? _rowCount;

    /// <summary>True when the rows live in a remote store; cursors then read rows fetched for them.</summary>
    public bool IsRemote => _remoteOrdinal >= 0;

    /// <summary>The local index of a remote layout (its latest snapshot); null for an in-process layout.</summary>
    internal RemoteLayoutIndex? RemoteIndex => _remoteOrdinal < 0 ? null : Table.RemoteIndexes![_remoteOrdinal];

    /// <summary>This layout's entry in the table's published indexes; -1 for an in-process layout.</summary>
    internal int RemoteOrdinal => _remoteOrdinal;

    internal ReadOnlySpan<int> KeyOrdinals => _keyOrdinals;

    internal GroupIndex Groups { get; }

    internal LayoutPartition[] Parts { get; }

    /// <summary>Rows stored in partition <paramref name="partition"/>.</summary>
    public int PartitionRowCount(int partition) => RemoteIndex is { } remote ? (int)remote.SlotRows(partition) : Parts[partition].RowCount;

    /// <summary>The group with encoded key tuple <paramref name="key"/>, or -1 when no row has it.</summary>
    internal int FindGroup(ReadOnlySpan<long> key) => RemoteIndex is { } remote ? remote.FindGroup(key) : Groups.Find(key);

    /// <summary>
    /// Resolves <paramref name="predicate"/> against this layout. Throws <see cref="QueryException"/> or
    /// <see cref="SchemaException"/> naming the key, column or window bound at fault.
    /// </summary>
    public BoundPredicate Bind(RowPredicate predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var schema = Table.Schema;
        foreach (var name in predicate.Keys.Keys)
        {
            if (Array.IndexOf(_keyOrdinals, schema.Ordinal(name)) < 0)
            {
                throw new QueryException(
                    name, $"Column '{name}' is not a key of layout '{Name}' of table '{Table.Name}' (keys: {Describe(KeyColumns)}).");
            }
        }

        Span<long> key = stackalloc long[_keyOrdinals.Length];
        var groupId = 0;
        for (var j = 0; j < _keyOrdinals.Length; j++)
        {
            var column = schema[_keyOrdinals[j]];
            if (!predicate.Keys.TryGetValue(column.Name, out var value))
            {
                throw new QueryException(
                    column.Name, $"Layout '{Name}' of table '{Table.Name}' needs a value for key column '{column.Name}'.");
            }

            if (!TryEncodeKey(column, _keyOrdinals[j], value, out key[j]))
            {
                groupId = -1; // a string the column never holds: a valid request for an empty group
            }
        }

        if (groupId == 0)
        {
            groupId = FindGroup(key);
        }

        var from = predicate.From ?? long.MinValue;
        var to = predicate.To ?? long.MaxValue;
        if ((predicate.From is not null || predicate.To is not null) && Table.TimeOrdinal < 0)
        {
            throw new QueryException(
                predicate.From is not null ? "from" : "to", $"Table '{Table.Name}' has no time column, so a time window cannot apply.");
        }

        CheckWindow(from, to);
        return new BoundPredicate(this, groupId, from, to, CompileFilters(predicate.Filters));
    }

    /// <summary>
    /// The rows of <paramref name="partition"/> in the predicate's group and time window (filters not applied): two
    /// binary searches. Partition <see cref="PartitionCount"/> is the census, when there is one.
    /// </summary>
    public RowRange FindRange(BoundPredicate predicate, int partition)
    {
        if (_remoteOrdinal >= 0)
        {
            throw new InvalidOperationException(
                $"Layout '{Name}' of table '{Table.Name}' is in a remote store: its rows are fetched by a cursor, and EstimateRows sizes a query.");
        }

        if (!ReferenceEquals(predicate.Layout, this))
        {
            throw new QueryException("predicate", $"The predicate was bound to layout '{predicate.Layout.Name}', not '{Name}'.");
        }

        if ((uint)partition >= (uint)Parts.Length)
        {
            throw new QueryException("partition", $"Partition {partition} is outside [0, {Parts.Length}).");
        }

        if (predicate.GroupId < 0)
        {
            return default;
        }

        var part = Parts[partition];
        int start = 0, end = part.RowCount;
        if (Groups.Width > 0)
        {
            if (_ranges!.HasGroupStarts)
            {
                (start, end) = _ranges.GroupRange(partition, predicate.GroupId);
            }
            else
            {
                var groups = part.GroupIds;
                start = PartitionRangeIndex.LowerBound(groups, predicate.GroupId);
                end = PartitionRangeIndex.LowerBound(groups, predicate.GroupId + 1);
            }
        }

        var timeOrdinal = Table.TimeOrdinal;
        if (timeOrdinal >= 0 && start < end && (predicate.From != long.MinValue || predicate.To != long.MaxValue))
        {
            var times = part.Int64s(timeOrdinal);
            var first = predicate.From == long.MinValue ? start : _ranges!.LowerBound(partition, times, start, end, predicate.From);
            var last = predicate.To == long.MaxValue ? end : _ranges!.LowerBound(partition, times, first, end, predicate.To);
            start = first;
            end = last;
        }

        return new RowRange(start, end);
    }

    /// <summary>
    /// Rows of <paramref name="partition"/> (<see cref="PartitionCount"/>: the census) in the predicate's group and time
    /// window, filters not applied: exact for an in-process layout (<see cref="FindRange"/>); for a remote one, from
    /// its local index (segments inside the window count in full, those it cuts count their share of their time span).
    /// </summary>
    public double EstimateRows(BoundPredicate predicate, int partition) => EstimateRows(predicate, partition, RemoteIndex);

    /// <summary><see cref="EstimateRows(BoundPredicate, int)"/> against a given snapshot of a remote layout's index (one a request pinned).</summary>
    internal double EstimateRows(BoundPredicate predicate, int partition, RemoteLayoutIndex? pinned)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        if (pinned is not { } remote)
        {
            return partition == PartitionCount && !HasCensus ? 0 : FindRange(predicate, partition).Length;
        }

        if ((uint)partition > (uint)PartitionCount)
        {
            throw new QueryException("partition", $"Partition {partition} is outside [0, {PartitionCount}].");
        }

        return predicate.GroupId < 0 || predicate.GroupId >= remote.GroupCount ? 0 : remote.EstimateRows(predicate.GroupId, partition, predicate.From, predicate.To);
    }

    /// <summary>
    /// The rows of a fetched group slice (one group's rows of one partition, sorted by time) inside the predicate's
    /// time window: two binary searches over its time column.
    /// </summary>
    internal RowRange WindowRange(LayoutPartition rows, BoundPredicate predicate)
    {
        var timeOrdinal = Table.TimeOrdinal;
        if (timeOrdinal < 0 || rows.RowCount == 0 || (predicate.From == long.MinValue && predicate.To == long.MaxValue))
        {
            return new RowRange(0, rows.RowCount);
        }

        var times = rows.Int64s(timeOrdinal);
        var start = predicate.From == long.MinValue ? 0 : PartitionRangeIndex.LowerBound(times, predicate.From);
        var end = predicate.To == long.MaxValue ? times.Length : start + PartitionRangeIndex.LowerBound(times[start..], predicate.To);
        return new RowRange(start, end);
    }

    /// <summary>
    /// Opens a cursor that samples the predicate's rows partition by partition, in <paramref name="order"/>, and
    /// estimates <paramref name="aggregates"/>. Give every request its own <see cref="PartitionOrder.Shuffled"/> order:
    /// the default <see cref="PartitionOrder.Sequential"/> makes every cursor read the same first partitions, so their
    /// errors are shared.
    /// </summary>
    public SampleCursor OpenCursor(
        BoundPredicate predicate, IReadOnlyList<AggregateSpec> aggregates, EstimatorOptions? options = null, PartitionOrder order = default) =>
        new(this, predicate, aggregates, options ?? EstimatorOptions.Default, order);

    internal LayoutPartition Partition(int partition) => Parts[partition];

    /// <summary>Compiles constant filters against this layout's table (an empty list shares one empty array).</summary>
    internal CompiledFilter[] CompileFilters(IReadOnlyList<ColumnFilter> filters)
    {
        if (filters.Count == 0)
        {
            return [];
        }

        var compiled = new CompiledFilter[filters.Count];
        for (var i = 0; i < compiled.Length; i++)
        {
            compiled[i] = Compile(filters[i]);
        }

        return compiled;
    }

    internal void CheckWindow(long from, long to)
    {
        if (from > to)
        {
            throw new QueryException(
                "from",
                $"Time window of table '{Table.Name}' starts after it ends: from = {from.ToString(CultureInfo.InvariantCulture)} > to = {to.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>The error for a key value that does not fit its column's type.</summary>
    internal SchemaException KeyMismatch(ColumnSchema column, object? value) =>
        new(column.Name, $"Key column '{column.Name}' of table '{Table.Name}' has type {column.Type}; the value {Show(value)} does not fit it.");

    /// <summary>Encodes a key value; false when it is a string the column never holds.</summary>
    private bool TryEncodeKey(ColumnSchema column, int ordinal, object? value, out long encoded)
    {
        encoded = 0;
        switch (column.Type)
        {
            case ColumnType.String when value is string s:
                encoded = Table.Dictionary(ordinal).Find(s);
                return encoded >= 0;
            case ColumnType.Double when TryNumber(value, out var d):
                encoded = KeyEncoding.FromDouble(d);
                return true;
            case ColumnType.Int64 when TryInteger(value, out var l):
                encoded = l;
                return true;
            case ColumnType.Timestamp when value is DateTime t:
                encoded = TimeValue.FromDateTime(t);
                return true;
            case ColumnType.Timestamp when TryInteger(value, out var l):
                encoded = l;
                return true;
            default:
                throw KeyMismatch(column, value);
        }
    }

    private CompiledFilter Compile(ColumnFilter filter)
    {
        var ordinal = Table.Schema.Ordinal(filter.Column);
        var column = Table.Schema[ordinal];
        switch (column.Type)
        {
            case ColumnType.String when filter.Value is string s:
                if (filter.Op is not (FilterOp.Equal or FilterOp.NotEqual))
                {
                    throw new QueryException(
                        filter.Column, $"Filter on string column '{filter.Column}' can only test equality, not {filter.Op}.");
                }

                return new CompiledFilter(ordinal, column.Type, filter.Op, 0, Table.Dictionary(ordinal).Find(s));
            case ColumnType.Double when TryNumber(filter.Value, out var d) && !double.IsNaN(d):
                return new CompiledFilter(ordinal, column.Type, filter.Op, d, 0);
            case ColumnType.Int64 when TryInteger(filter.Value, out var l):
                return new CompiledFilter(ordinal, column.Type, filter.Op, 0, l);
            case ColumnType.Timestamp when filter.Value is DateTime t:
                return new CompiledFilter(ordinal, column.Type, filter.Op, 0, TimeValue.FromDateTime(t));
            case ColumnType.Timestamp when TryInteger(filter.Value, out var l):
                return new CompiledFilter(ordinal, column.Type, filter.Op, 0, l);
            case ColumnType.Int64 when TryNumber(filter.Value, out var d) && !double.IsNaN(d):
                // A fractional bound on an integer column: compare against the equivalent integer bound.
                return CompileFractional(ordinal, column.Type, filter.Op, d);
            default:
                throw new SchemaException(
                    filter.Column,
                    $"Filter on column '{filter.Column}' (type {column.Type}) cannot compare with {Show(filter.Value)}.");
        }
    }

    private static CompiledFilter CompileFractional(int ordinal, ColumnType type, FilterOp op, double bound)
    {
        if (bound == Math.Floor(bound))
        {
            return new CompiledFilter(ordinal, type, op, 0, (long)bound);
        }

        // x < 2.5 ⇔ x ≤ 2; x > 2.5 ⇔ x ≥ 3; x = 2.5 never holds; x ≠ 2.5 always holds for non-null x.
        return op switch
        {
            FilterOp.Less or FilterOp.LessOrEqual => new CompiledFilter(ordinal, type, FilterOp.LessOrEqual, 0, (long)Math.Floor(bound)),
            FilterOp.Greater or FilterOp.GreaterOrEqual => new CompiledFilter(ordinal, type, FilterOp.GreaterOrEqual, 0, (long)Math.Ceiling(bound)),
            FilterOp.Equal => new CompiledFilter(ordinal, type, FilterOp.Less, 0, long.MinValue + 1),
            _ => new CompiledFilter(ordinal, type, FilterOp.GreaterOrEqual, 0, long.MinValue + 1),
        };
    }

    private static bool TryNumber(object? value, out double number)
    {
        switch (value)
        {
            case double d: number = d; return true;
            case float f: number = f; return true;
            case decimal m: number = (double)m; return true;
            default:
                var ok = TryInteger(value, out var l);
                number = l;
                return ok;
        }
    }

    private static bool TryInteger(object? value, out long integer)
    {
        switch (value)
        {
            case long l: integer = l; return l != long.MinValue;
            case int i: integer = i; return true;
            case short s: integer = s; return true;
            case byte b: integer = b; return true;
            case sbyte sb: integer = sb; return true;
            case ushort us: integer = us; return true;
            case uint ui: integer = ui; return true;
            case bool flag: integer = flag ? 1 : 0; return true;
            default: integer = 0; return false;
        }
    }

    private static string Show(object? value) =>
        value is null ? "null" : $"'{Convert.ToString(value, CultureInfo.InvariantCulture)}' ({value.GetType().Name})";

    private static string Describe(IReadOnlyList<string> keys) => keys.Count == 0 ? "none" : string.Join(", ", keys);
}
