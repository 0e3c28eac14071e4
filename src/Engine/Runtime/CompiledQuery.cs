using Biathlon.Sampling;

namespace Biathlon.Engine.Runtime;

/// <summary>A feature query resolved against its loaded table: the layout to read, the request fields behind its keys and window, and its aggregates.</summary>
internal sealed class CompiledQuery
{
    private readonly (string Column, int Field, RequestFieldType Type, bool StringKey)[] _keys;
    private readonly int _windowField;

    public CompiledQuery(QueryDefinition definition, PartitionedTable table, Layout layout, IReadOnlyList<RequestFieldDefinition> request)
    {
        Definition = definition;
        Table = table;
        Layout = layout;
        _keys = definition.Keys
            .Select(k =>
            {
                var field = IndexOf(request, k.Value);
                return (k.Key, field, request[field].Type, table.Schema.Column(k.Key).Type == ColumnType.String);
            })
            .ToArray();
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

    /// <summary>The predicate for one request; a string key the table never holds is a bad request.</summary>
    public BoundPredicate Bind(RequestValues request)
    {
        var keys = new Dictionary<string, object?>(_keys.Length);
        foreach (var (column, field, type, stringKey) in _keys)
        {
            object value = type switch
            {
                RequestFieldType.String => request.Strings[field]!,
                RequestFieldType.Number => request.Numbers[field],
                _ => request.Integers[field],
            };
            if (stringKey && !Table.ContainsString(column, (string)value))
            {
                throw new RequestException(
                    Definition.Keys.First(k => k.Key == column).Value,
                    $"Unknown value '{value}': table '{Table.Name}' has no row with {column} = '{value}'.");
            }

            keys[column] = value;
        }

        long? from = null, to = null;
        if (_windowField >= 0)
        {
            var t = request.Integers[_windowField];
            from = t + Definition.WindowFrom;
            to = t + Definition.WindowTo;
        }

        return Layout.Bind(new RowPredicate { Keys = keys, From = from, To = to, Filters = Definition.Filters });
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
