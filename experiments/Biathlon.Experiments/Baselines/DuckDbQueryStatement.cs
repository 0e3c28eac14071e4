using DuckDB.NET.Data;
using Biathlon.Engine.Specs;
using DuckDB.NET.Native;

namespace Biathlon.Experiments.Baselines;

/// <summary>How a request value is bound to a statement parameter.</summary>
internal enum DuckDbParameterKind
{
    Varchar,
    Int64,
    Double,
    Timestamp,
}

/// <summary>A key parameter: the request field bound and its SQL type.</summary>
internal readonly record struct DuckDbKeyParameter(int Field, DuckDbParameterKind Kind);

/// <summary>
/// One feature query's statement, prepared once with DuckDB's C API and executed per request: parameters $1..$k are
/// the key values, then the window's start and end (only the bounded ones: an unbounded end has no parameter); the single result row holds the aggregates, read as doubles
/// (the SQL turns NULL into the fill value with coalesce, so no value is NULL).
/// </summary>
internal sealed class DuckDbQueryStatement : IDisposable
{
    private readonly DuckDBPreparedStatement _statement;
    private readonly DuckDbKeyParameter[] _keys;
    private readonly bool _hasFrom;
    private readonly bool _hasTo;
    private readonly DuckDbParameterKind _windowKind;

    private DuckDbQueryStatement(
        string sql, DuckDBPreparedStatement statement, DuckDbKeyParameter[] keys, bool hasFrom, bool hasTo, DuckDbParameterKind windowKind,
        int aggregates)
    {
        Sql = sql;
        _statement = statement;
        _keys = keys;
        _hasFrom = hasFrom;
        _hasTo = hasTo;
        _windowKind = windowKind;
        Values = new double[aggregates];
    }

    public string Sql { get; }

    /// <summary>The aggregates of the last execution.</summary>
    public double[] Values { get; }

    public static DuckDbQueryStatement Prepare(
        DuckDBConnection connection, string sql, DuckDbKeyParameter[] keys, bool hasFrom, bool hasTo, DuckDbParameterKind windowKind,
        int aggregates)
    {
        if (NativeMethods.PreparedStatements.DuckDBPrepare(connection.NativeConnection, sql, out var statement) != DuckDBState.Success)
        {
            var error = NativeMethods.PreparedStatements.DuckDBPrepareError(statement);
            statement.Dispose();
            throw new InvalidOperationException($"DuckDB cannot prepare '{sql}': {error}");
        }

        return new DuckDbQueryStatement(sql, statement, keys, hasFrom, hasTo, windowKind, aggregates);
    }

    /// <summary>
    /// Binds the request's values (<paramref name="query"/>'s window bounds computed without wrapping, see
    /// <see cref="BaselineRequest.Window"/>), runs the statement and reads its row into <see cref="Values"/>.
    /// </summary>
    public void Execute(BaselineRequest request, QueryDefinition query)
    {
        long index = 1;
        foreach (var key in _keys)
        {
            Bind(index++, key.Kind, request, key.Field);
        }

        if (_hasFrom || _hasTo)
        {
            var (from, to) = request.Window(query);
            if (_hasFrom)
            {
                BindTime(index++, from!.Value);
            }

            if (_hasTo)
            {
                BindTime(index, to!.Value);
            }
        }

        var state = NativeMethods.PreparedStatements.DuckDBExecutePrepared(_statement, out var result);
        try
        {
            if (state != DuckDBState.Success)
            {
                throw new InvalidOperationException($"DuckDB failed on '{Sql}': {NativeMethods.Query.DuckDBResultError(ref result)}");
            }

            if (NativeMethods.Query.DuckDBRowCount(ref result) != 1)
            {
                throw new InvalidOperationException($"'{Sql}' returned {NativeMethods.Query.DuckDBRowCount(ref result)} rows, not one.");
            }

            for (var a = 0; a < Values.Length; a++)
            {
                Values[a] = NativeMethods.Types.DuckDBValueDouble(ref result, a, 0);
            }
        }
        finally
        {
            NativeMethods.Query.DuckDBDestroyResult(ref result);
        }
    }

    public void Dispose() => _statement.Dispose();

    private void Bind(long index, DuckDbParameterKind kind, BaselineRequest request, int field) => Check(index, kind switch
    {
        DuckDbParameterKind.Varchar => NativeMethods.PreparedStatements.DuckDBBindVarchar(_statement, index, request.Strings[field]!),
        DuckDbParameterKind.Double => NativeMethods.PreparedStatements.DuckDBBindDouble(_statement, index, request.Numbers[field]),
        DuckDbParameterKind.Timestamp => NativeMethods.PreparedStatements.DuckDBBindTimestamp(
            _statement, index, new DuckDBTimestampStruct { Micros = request.Integers[field] }),
        _ => NativeMethods.PreparedStatements.DuckDBBindInt64(_statement, index, request.Integers[field]),
    });

    private void BindTime(long index, long value) => Check(index, _windowKind == DuckDbParameterKind.Timestamp
        ? NativeMethods.PreparedStatements.DuckDBBindTimestamp(_statement, index, new DuckDBTimestampStruct { Micros = value })
        : NativeMethods.PreparedStatements.DuckDBBindInt64(_statement, index, value));

    private void Check(long index, DuckDBState state)
    {
        if (state != DuckDBState.Success)
        {
            throw new InvalidOperationException($"DuckDB cannot bind parameter ${index} of '{Sql}'.");
        }
    }
}
