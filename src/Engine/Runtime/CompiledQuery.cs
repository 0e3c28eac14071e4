using System.Globalization;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// A feature query resolved against its loaded table: the layout to read, the request fields behind its keys and
/// window, and its aggregates. Keys and constant filters are bound once, at load (<see cref="PredicateBinder"/>); a
/// request only encodes its key values and window, into the predicate its pooled cursor already holds.
/// </summary>
internal sealed class CompiledQuery
{
    private readonly PredicateBinder _binder;
    private readonly int[] _keyFields;
    private readonly RequestFieldType[] _keyTypes;
    private readonly int _windowField;
    private readonly bool _windowIsTimestamp;
    private readonly ColumnType[] _keyColumnTypes;
    private readonly long[]?[] _keyValues;

    /// <param name="definition">The query.</param>
    /// <param name="table">Its table.</param>
    /// <param name="layout">The layout keyed by its key columns.</param>
    /// <param name="request">The request schema.</param>
    /// <param name="keyValues">The table's non-string key columns' value sets (<see cref="KeyValues"/>), for a query with several keys.</param>
    public CompiledQuery(
        QueryDefinition definition, PartitionedTable table, Layout layout, IReadOnlyList<RequestFieldDefinition> request, IReadOnlyDictionary<string, long[]> keyValues)
    {
        Definition = definition;
        Table = table;
        Layout = layout;
        var keys = definition.Keys;
        var columns = new string[keys.Count];
        _keyFields = new int[keys.Count];
        _keyTypes = new RequestFieldType[keys.Count];
        _keyColumnTypes = new ColumnType[keys.Count];
        _keyValues = new long[]?[keys.Count];
        var k = 0;
        foreach (var (column, field) in keys)
        {
            columns[k] = column;
            _keyFields[k] = IndexOf(request, field);
            _keyTypes[k] = request[_keyFields[k]].Type;
            _keyColumnTypes[k] = table.Schema.Column(column).Type;
            if (keys.Count > 1 && _keyColumnTypes[k] != ColumnType.String)
            {
                _keyValues[k] = keyValues.TryGetValue(column, out var values)
                    ? values
                    : throw new InvalidOperationException($"Key column '{column}' of table '{table.Name}' has no value set.");
            }

            k++;
        }

        _binder = new PredicateBinder(layout, columns, definition.Filters);
        _windowField = definition.WindowField is null ? -1 : IndexOf(request, definition.WindowField);
        _windowIsTimestamp = _windowField >= 0 && request[_windowField].Type == RequestFieldType.Timestamp;
        Aggregates = definition.Aggregates.Select(a => a.Spec).ToArray();
        HasNotEstimable = Aggregates.Any(a => !a.IsEstimableFromSample);
        Sampled = definition.Sampled && !HasNotEstimable;
    }

    /// <summary>True when some aggregate has no error a sample can bound (MIN, MAX, COUNT DISTINCT): the query is read exactly.</summary>
    public bool HasNotEstimable { get; }

    /// <summary>True when the query is sampled: the spec allows it and every aggregate's error can be estimated.</summary>
    public bool Sampled { get; }

    public QueryDefinition Definition { get; }

    public PartitionedTable Table { get; }

    public Layout Layout { get; }

    public AggregateSpec[] Aggregates { get; }

    public int Partitions => Table.Partitions;

    /// <summary>
    /// The predicate for one request, written into <paramref name="reuse"/> when given (a predicate of this query no
    /// cursor reads any more). A key value the table never holds (in its column: for several keys, each value alone;
    /// a combination of held values that no row holds is an empty group) is a <see cref="RequestException"/> naming
    /// its request field unless the query's <see cref="QueryDefinition.UnknownKeys"/> is <see cref="UnknownKeys.Empty"/>
    /// (then the predicate selects no row), and so is a window bound the request moves outside the representable range.
    /// </summary>
    public BoundPredicate Bind(RequestValues request, BoundPredicate? reuse = null)
    {
        var refuse = Definition.UnknownKeys == UnknownKeys.Error;
        Span<long> keys = stackalloc long[_keyFields.Length];
        for (var k = 0; k < keys.Length; k++)
        {
            var field = _keyFields[k];
            switch (_keyTypes[k])
            {
                case RequestFieldType.String:
                    // -1 for a string the column never holds: the binder turns it into the empty group.
                    keys[k] = _binder.EncodeString(k, request.Strings[field]!);
                    if (keys[k] < 0 && refuse)
                    {
                        throw UnknownKey(request, k);
                    }

                    continue;
                case RequestFieldType.Number:
                    keys[k] = _binder.EncodeNumber(k, request.Numbers[field]);
                    break;
                default:
                    if (request.Integers[field] == long.MinValue && _keyColumnTypes[k] is ColumnType.Int64 or ColumnType.Timestamp)
                    {
                        // The Int64 minimum stands for null in key columns: no request value matches it.
                        var (column, name) = Definition.Keys[k];
                        throw new RequestException(name,
                            $"Request field '{name}' = {long.MinValue}: no row of table '{Table.Name}' can hold it in {column}, which reserves the Int64 minimum for null.");
                    }

                    keys[k] = _binder.EncodeInteger(k, request.Integers[field]);
                    break;
            }

            // A value of one of several keys: its column's value set says whether the table holds it.
            if (refuse && _keyValues[k] is { } values && Array.BinarySearch(values, keys[k]) < 0)
            {
                throw UnknownKey(request, k);
            }
        }

        long from = long.MinValue, to = long.MaxValue;
        if (_windowField >= 0)
        {
            var t = request.Integers[_windowField];
            if (Definition.WindowFrom != long.MinValue)
            {
                from = WindowBound(t, Definition.WindowFrom, "start");
            }

            if (Definition.WindowTo != long.MaxValue)
            {
                to = WindowBound(t, Definition.WindowTo, "end");
            }
        }

        var predicate = _binder.Bind(keys, from, to, reuse);
        if (refuse && !predicate.GroupExists && keys.Length == 1)
        {
            throw UnknownKey(request, 0); // a single key's groups are its values
        }

        return predicate;
    }

    /// <summary>
    /// Rows in the predicate's ranges over all partitions and the census (before filters): exact for an in-process
    /// table (2 binary searches per partition), from the local index for a remote one (no network).
    /// </summary>
    public long EstimateRows(SampleCursor cursor)
    {
        var predicate = cursor.Predicate;
        var stored = Layout.PartitionCount + (Layout.HasCensus ? 1 : 0);
        if (!Layout.IsRemote)
        {
            long rows = 0;
            for (var p = 0; p < stored; p++)
            {
                rows += Layout.FindRange(predicate, p).Length;
            }

            return rows;
        }

        double estimated = 0;
        for (var p = 0; p < stored; p++)
        {
            estimated += Layout.EstimateRows(predicate, p, cursor.Index);
        }

        return (long)Math.Round(estimated);
    }

    /// <summary>
    /// The request's time plus a window offset, which must not wrap: within the Int64 range for integer time columns,
    /// within <see cref="DateTime"/>'s range for timestamps. (A sum of exactly <see cref="long.MinValue"/> or
    /// <see cref="long.MaxValue"/> reads as an open end, which selects the same rows but for a time of exactly the
    /// Int64 maximum.)
    /// </summary>
    private long WindowBound(long time, long offset, string end)
    {
        var sum = unchecked(time + offset);
        var wrapped = ((time ^ sum) & (offset ^ sum)) < 0;
        var outside = wrapped || (_windowIsTimestamp && (sum < RequestValues.MinTimestamp || sum > RequestValues.MaxTimestamp));
        if (outside)
        {
            var field = Definition.WindowField!;
            var value = _windowIsTimestamp ? TimeValue.ToDateTime(time).ToString("O", CultureInfo.InvariantCulture) : time.ToString(CultureInfo.InvariantCulture);
            var range = _windowIsTimestamp ? "the timestamps a DateTime holds (0001-01-01 to 9999-12-31)" : "the Int64 range";
            throw new RequestException(field,
                $"Request field '{field}' = {value} moves the {end} of query '{Definition.Name}''s window (offset {offset.ToString(CultureInfo.InvariantCulture)}) outside {range}.");
        }

        return sum;
    }

    /// <summary>The error for a key value the table never holds, naming its request field and the query.</summary>
    private RequestException UnknownKey(RequestValues request, int key)
    {
        var (column, field) = Definition.Keys[key];
        var value = Show(request, key);
        return new RequestException(field,
            $"Unknown value {value} for request field '{field}': table '{Table.Name}' has no row with {column} = {value} "
            + $"(query '{Definition.Name}' refuses unknown keys; \"unknownKeys\": \"empty\" serves them as no rows).");
    }

    private string Show(RequestValues request, int key)
    {
        var field = _keyFields[key];
        return _keyTypes[key] switch
        {
            RequestFieldType.String => $"'{request.Strings[field]}'",
            RequestFieldType.Number => request.Numbers[field].ToString("R", CultureInfo.InvariantCulture),
            RequestFieldType.Timestamp => TimeValue.ToDateTime(request.Integers[field]).ToString("O", CultureInfo.InvariantCulture),
            _ => request.Integers[field].ToString(CultureInfo.InvariantCulture),
        };
    }

    private static int IndexOf(IReadOnlyList<RequestFieldDefinition> request, string name)
    {
        for (var i = 0; i < request.Count; i++)
        {
            if (request[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Request field '{name}' was validated but is missing.");
    }
}
