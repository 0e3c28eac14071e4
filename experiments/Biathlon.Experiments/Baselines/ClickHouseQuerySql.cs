using System.Globalization;
using System.Text;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The SQL of one feature query over its ClickHouse table: the request's predicate (keys equal, time in
/// [t + from, t + to), the constant filters), the exact statement with every aggregate, and the partial-aggregate
/// statement of the approximate baseline over a range of partitions. 18.16 has no query parameters over HTTP, so
/// request values are written into the text as literals.
/// </summary>
internal sealed class ClickHouseQuerySql
{
    private readonly PipelineDefinition _definition;
    private readonly ClickHouseTable _table;
    private readonly (string Column, ColumnType Type, int Field)[] _keys;
    private readonly int _windowField;
    private readonly string _filters;
    private readonly string _exactSelect;
    private readonly string _partialSelect;
    private readonly StringBuilder _text = new(512);

    public ClickHouseQuerySql(PipelineDefinition definition, QueryDefinition query, ClickHouseTable table)
    {
        _definition = definition;
        _table = table;
        Query = query;
        _keys = query.Keys.Select(k => (k.Key, table.TypeOf(query.Name, k.Key), BaselineRequest.FieldIndex(definition, k.Value))).ToArray();
        _windowField = -1;
        if (query.WindowField is { } window)
        {
            var time = table.TimeColumn ?? throw new InvalidOperationException($"Query '{query.Name}': table '{table.Name}' has no time column.");
            if (table.TypeOf(query.Name, time) is not (ColumnType.Timestamp or ColumnType.Int64))
            {
                throw new InvalidOperationException($"Query '{query.Name}': time column '{time}' is not a timestamp or integer.");
            }

            _windowField = BaselineRequest.FieldIndex(definition, window);
        }

        _filters = string.Concat(query.Filters.Select(f => " AND " + Filter(f)));
        _exactSelect = string.Join(", ", query.Aggregates.Select((a, i) => ExactAggregate(a.Spec, i)));

        // Partials: count() first, then per moment column its count and Σd, Σd², Σd³, Σd⁴ of d = x − (the column's
        // table mean), then per quantile column its values.
        MomentColumns = query.Aggregates.Where(a => a.Spec.Column is not null && a.Spec.Op is AggregateOp.Count or AggregateOp.Sum
                or AggregateOp.Avg or AggregateOp.Var or AggregateOp.Std)
            .Select(a => a.Spec.Column!).Distinct(StringComparer.Ordinal).ToArray();
        QuantileColumns = query.Aggregates.Where(a => a.Spec.Op is AggregateOp.Median or AggregateOp.Percentile)
            .Select(a => a.Spec.Column!).Distinct(StringComparer.Ordinal).ToArray();
        var partials = new List<string> { "count()" };
        foreach (var column in MomentColumns)
        {
            var x = $"({Numeric(column)} - ({ClickHouseSql.Double(table.Means[column])}))";
            partials.Add($"count({ClickHouseSql.Quote(column)})");
            partials.Add($"sum({x})");
            partials.Add($"sum({x} * {x})");
            partials.Add($"sum({x} * {x} * {x})");
            partials.Add($"sum({x} * {x} * {x} * {x})");
        }

        partials.AddRange(QuantileColumns.Select(c => $"groupArray({Numeric(c)})"));
        _partialSelect = string.Join(", ", partials);
    }

    /// <summary>The query.</summary>
    public QueryDefinition Query { get; }

    /// <summary>The table queried.</summary>
    public ClickHouseTable Table => _table;

    /// <summary>Columns whose shifted power sums the partial statement returns, in its order.</summary>
    public IReadOnlyList<string> MomentColumns { get; }

    /// <summary>Columns whose values the partial statement returns (for quantiles), after the moments.</summary>
    public IReadOnlyList<string> QuantileColumns { get; }

    /// <summary>The exact statement for the parsed request: one row, one value per aggregate.</summary>
    public string Exact(BaselineRequest request)
    {
        _text.Clear().Append("SELECT ").Append(_exactSelect).Append(" FROM ").Append(ClickHouseSql.Quote(_table.Name));
        AppendWhere(request);
        return _text.ToString();
    }

    /// <summary>
    /// The partial-aggregate statement over partitions [<paramref name="from"/>, <paramref name="to"/>) (ids taken
    /// modulo the partition count, so a range that wraps becomes two key ranges).
    /// </summary>
    public string Partials(BaselineRequest request, int from, int to)
    {
        var p = _table.Partitions;
        var pid = ClickHouseSql.Quote(ClickHouseTable.PartitionColumn);
        _text.Clear().Append("SELECT ").Append(_partialSelect).Append(" FROM ").Append(ClickHouseSql.Quote(_table.Name));
        AppendWhere(request);
        var a = from % p;
        var b = a + (to - from);
        var inv = CultureInfo.InvariantCulture;
        if (b <= p)
        {
            _text.Append(inv, $" AND {pid} >= {a} AND {pid} < {b}");
        }
        else
        {
            _text.Append(inv, $" AND ({pid} >= {a} OR {pid} < {b - p})");
        }

        return _text.ToString();
    }

    private void AppendWhere(BaselineRequest request)
    {
        _text.Append(" WHERE 1");
        foreach (var (column, type, field) in _keys)
        {
            _text.Append(" AND ").Append(ClickHouseSql.Quote(column)).Append(" = ").Append(KeyLiteral(type, field, request));
        }

        if (_windowField >= 0)
        {
            // An unbounded end has no condition; a bound the request moves out of range is refused (never wrapped).
            var (from, to) = request.Window(Query);
            var time = ClickHouseSql.Quote(_table.TimeColumn!);
            if (from is { } start)
            {
                _text.Append(" AND ").Append(time).Append(" >= ").Append(ClickHouseSql.Integer(start));
            }

            if (to is { } end)
            {
                _text.Append(" AND ").Append(time).Append(" < ").Append(ClickHouseSql.Integer(end));
            }
        }

        _text.Append(_filters);
    }

    private string KeyLiteral(ColumnType type, int field, BaselineRequest request)
    {
        var fieldType = _definition.Request[field].Type;
        return type switch
        {
            ColumnType.String => ClickHouseSql.String(request.Strings[field] ?? ""),
            ColumnType.Double => ClickHouseSql.Double(request.Numbers[field]),
            _ when fieldType == RequestFieldType.Number => ClickHouseSql.Double(request.Numbers[field]),
            _ => ClickHouseSql.Integer(request.Integers[field]),
        };
    }

    /// <summary>The exact aggregate: NULL, nan and inf are read back as undefined (the caller takes the fill), SUM of none is 0.</summary>
    private string ExactAggregate(AggregateSpec spec, int index)
    {
        if (spec.Column is not { } column)
        {
            return "count()";
        }

        var raw = ClickHouseSql.Quote(column);
        if (spec.Op == AggregateOp.Count)
        {
            return $"count({raw})";
        }

        if (spec.Op == AggregateOp.CountDistinct)
        {
            return $"ifNull(uniqExact({raw}), 0)";
        }

        var x = Numeric(column);
        switch (spec.Op)
        {
            case AggregateOp.Sum:
                return $"ifNull(sum({x}), 0)";
            case AggregateOp.Avg:
                return $"avg({x})";
            case AggregateOp.Var:
                return $"varSamp({x})";
            case AggregateOp.Std:
                return $"stddevSamp({x})";
            case AggregateOp.Min:
                return $"if(count({raw}) = 0, nan, min({x}))"; // a non-nullable column's min of no rows is 0 in ClickHouse
            case AggregateOp.Max:
                return $"if(count({raw}) = 0, nan, max({x}))";
        }

        // quantileExact picks the order statistic at floor(q·n), without interpolation; the engine interpolates between
        // the order statistics around (n − 1)·q (numpy's default), so the statement does it on the sorted values.
        var q = ClickHouseSql.Double(spec.EffectiveQuantile);
        var s = $"__s{index}";
        var h = $"__h{index}";
        var lo = $"__lo{index}";
        return $"if(length(arraySort(groupArray({x})) AS {s}) = 0, nan, "
            + $"if((toUInt64(floor(((length({s}) - 1) * {q}) AS {h})) AS {lo}) >= length({s}) - 1, {s}[length({s})], "
            + $"{s}[{lo} + 1] + ({h} - {lo}) * ({s}[{lo} + 2] - {s}[{lo} + 1])))";
    }

    /// <summary>The column as Float64 (a timestamp is its microseconds, as the engine's model inputs).</summary>
    private string Numeric(string column)
    {
        var type = _table.TypeOf(Query.Name, column);
        if (type == ColumnType.String)
        {
            throw new InvalidOperationException($"Query '{Query.Name}': column '{column}' is a string; the aggregate needs a number.");
        }

        return $"toFloat64({ClickHouseSql.Quote(column)})";
    }

    private string Filter(ColumnFilter filter)
    {
        var op = filter.Op switch
        {
            FilterOp.Equal => "=",
            FilterOp.NotEqual => "!=",
            FilterOp.Less => "<",
            FilterOp.LessOrEqual => "<=",
            FilterOp.Greater => ">",
            _ => ">=",
        };
        var type = _table.TypeOf(Query.Name, filter.Column);
        var value = filter.Value is bool flag ? (flag ? 1L : 0L) : filter.Value;
        var constant = (type, value) switch
        {
            (ColumnType.String, string s) => ClickHouseSql.String(s),
            (ColumnType.Timestamp, DateTime t) => ClickHouseSql.Integer(TimeValue.FromDateTime(t)),
            (ColumnType.Timestamp or ColumnType.Int64, long l) => ClickHouseSql.Integer(l),
            (ColumnType.Timestamp or ColumnType.Int64 or ColumnType.Double, double d) => ClickHouseSql.Double(d),
            (ColumnType.Double, long l) => ClickHouseSql.Double(l),
            (ColumnType.Double or ColumnType.Int64 or ColumnType.Timestamp, int i) => ClickHouseSql.Integer(i),
            _ => throw new InvalidOperationException(
                $"Query '{Query.Name}': filter on column '{filter.Column}' ({type}) cannot compare with '{Convert.ToString(filter.Value, CultureInfo.InvariantCulture)}'."),
        };
        var column = type == ColumnType.Int64 && value is double ? $"toFloat64({ClickHouseSql.Quote(filter.Column)})" : ClickHouseSql.Quote(filter.Column);
        return $"{column} {op} {constant}";
    }
}
