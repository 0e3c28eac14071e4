using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

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

    public CompiledQuery(QueryDefinition definition, PartitionedTable table, Layout layout, IReadOnlyList<RequestFieldDefinition> request)
    {
        Definition = definition;
        Table = table;
        Layout = layout;
        var keys = definition.Keys;
        var columns = new string[keys.Count];
        _keyFields = new int[keys.Count];
        _keyTypes = new RequestFieldType[keys.Count];
        var k = 0;
        foreach (var (column, field) in keys)
        {
            columns[k] = column;
            _keyFields[k] = IndexOf(request, field);
            _keyTypes[k] = request[_keyFields[k]].Type;
            k++;
        }

        _binder = new PredicateBinder(layout, columns, definition.Filters);
        _windowField = definition.WindowField is null ? -1 : IndexOf(request, definition.WindowField);
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
    /// cursor reads any more); a string key the table never holds is a bad request.
    /// </summary>
    public BoundPredicate Bind(RequestValues request, BoundPredicate? reuse = null)
    {
        Span<long> keys = stackalloc long[_keyFields.Length];
        for (var k = 0; k < keys.Length; k++)
        {
            var field = _keyFields[k];
            switch (_keyTypes[k])
            {
                case RequestFieldType.String:
                    keys[k] = EncodeKnownString(k, request.Strings[field]!);
                    break;
                case RequestFieldType.Number:
                    keys[k] = _binder.EncodeNumber(k, request.Numbers[field]);
                    break;
                default:
                    keys[k] = _binder.EncodeInteger(k, request.Integers[field]);
                    break;
            }
        }

        long from = long.MinValue, to = long.MaxValue;
        if (_windowField >= 0)
        {
            var t = request.Integers[_windowField];
            from = t + Definition.WindowFrom;
            to = t + Definition.WindowTo;
        }

        return _binder.Bind(keys, from, to, reuse);
    }

    /// <summary>Rows in the predicate's ranges over all partitions and the census (before filters): 2 binary searches per partition.</summary>
    public long EstimateRows(BoundPredicate predicate)
    {
        long rows = 0;
        var stored = Layout.PartitionCount + (Layout.HasCensus ? 1 : 0);
        for (var p = 0; p < stored; p++)
        {
            rows += Layout.FindRange(predicate, p).Length;
        }

        return rows;
    }

    /// <summary>A string key's code: one dictionary lookup, whose miss is the bad-request check.</summary>
    private long EncodeKnownString(int key, string value)
    {
        var code = _binder.EncodeString(key, value);
        if (code < 0)
        {
            var (column, field) = Definition.Keys[key];
            throw new RequestException(field, $"Unknown value '{value}': table '{Table.Name}' has no row with {column} = '{value}'.");
        }

        return code;
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
