using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Models;
using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;
using DuckDB.NET.Data;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The "embedded analytical database, exact" baseline: what a user would build instead of the engine. Every table of
/// a pipeline is loaded once into an in-memory DuckDB; every feature query becomes ONE prepared SQL statement that
/// computes all of that query's aggregates, parameterised by the request's key values and window bounds, for example
/// <code>
/// SELECT coalesce(avg("delay"), 0.0E+000), count(*) FROM "flights"
/// WHERE "origin" = $1 AND "date" &gt;= $2 AND "date" &lt; $3
/// </code>
/// Each request binds and executes every statement and reads one row back. A NULL aggregate (AVG of no rows, VAR_SAMP
/// of one row, ...) becomes the aggregate's fill value through <c>coalesce</c>, as the engine fills an undefined
/// aggregate (COUNT and COUNT DISTINCT of no rows are 0, never NULL). SUM is the one place where SQL and the engine
/// disagree: SQL's SUM of no rows is NULL, the engine's is 0 (the empty sum, defined, so never filled); the SQL
/// coalesces SUM to 0 to compute the pipeline's features. Nothing is sampled and nothing is timed here: the harness
/// times the calls.
/// </summary>
/// <remarks>
/// <para>
/// Threads: the statements run with DuckDB's <c>threads = 1</c>, so the baseline uses one core per request, as the
/// reference system's exact baseline does and as the engine serves one request. Loading the tables (not timed) runs
/// before that setting, with DuckDB's default thread count.
/// </para>
/// <para>
/// Statements are prepared once through DuckDB's C API (<c>duckdb_prepare</c>), which DuckDB.NET exposes: its ADO.NET
/// <c>DuckDBCommand.Prepare()</c> does nothing, and each <c>ExecuteReader</c> would parse, bind and plan the SQL
/// again. Planning once is what a careful user does and keeps the baseline honest.
/// </para>
/// <para>
/// Types are normalised at load to the engine's four storage types (see <see cref="ColumnType"/>): integer and
/// boolean columns become BIGINT, floating and decimal columns DOUBLE (NaN read as NULL, as the engine stores null as
/// NaN), date and time columns TIMESTAMP (wall clock; TIMESTAMPTZ read in UTC), text VARCHAR. CSV files are sniffed
/// with only those four candidate types over the whole file, with the engine's null tokens (empty, NA, NaN, null,
/// NULL); a CSV column that holds only nulls is DOUBLE, as the engine infers. Tables with a time column are stored
/// ordered by it, so DuckDB's zone maps skip row groups outside a window. Aggregates over a TIMESTAMP column read it
/// as microseconds since 1970 (<c>epoch_us</c>), the engine's model-input value of a timestamp. MEDIAN and
/// PERCENTILE are <c>quantile_cont</c>: linear interpolation between order statistics at (n − 1)·q, numpy's
/// default, the engine's definition.
/// </para>
/// <para>
/// Unknown keys: a key value the table never holds is an empty group here (COUNT and SUM 0, other aggregates their
/// fill), which is what the engine serves under <c>unknownKeys: "empty"</c>. Under <c>"error"</c> (the default) the
/// engine refuses the request instead; this class does not look the value up (that would add a statement per key to
/// the measured time), so the harness lets the engine validate each request first and serves a refused request with
/// no method (see <c>MethodRunner</c>). Arrow IPC tables are not supported (DuckDB needs its arrow extension, which
/// cannot be installed offline).
/// </para>
/// <para>Not thread-safe: one instance serves one request at a time (it reuses its buffers and statements).</para>
/// </remarks>
public sealed class DuckDbFeatures : IDisposable
{
    private static readonly string[] s_nullTokens = ["", "NA", "NaN", "null", "NULL"];

    private readonly DuckDBConnection _connection;
    private readonly PipelineDefinition _definition;
    private readonly DuckDbQueryStatement[] _statements;
    private readonly BaselineRequest _request;
    private readonly ExactFeatureRow _row;
    private bool _disposed;

    private DuckDbFeatures(DuckDBConnection connection, PipelineDefinition definition, DuckDbQueryStatement[] statements)
    {
        _connection = connection;
        _definition = definition;
        _statements = statements;
        _request = new BaselineRequest(definition);
        _row = new ExactFeatureRow(definition, statements.Select(s => s.Values).ToArray());
    }

    /// <summary>The pipeline served.</summary>
    public PipelineDefinition Definition => _definition;

    /// <summary>The SQL of each feature query's prepared statement, in the pipeline's query order.</summary>
    public IReadOnlyList<string> Statements => _statements.Select(s => s.Sql).ToArray();

    /// <summary>
    /// Opens an in-memory DuckDB, loads every table of <paramref name="definition"/> from its source file and prepares
    /// one statement per feature query. Throws <see cref="InvalidOperationException"/> with DuckDB's message when a
    /// table cannot be loaded or a statement cannot be prepared.
    /// </summary>
    public static DuckDbFeatures Open(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var connection = new DuckDBConnection("Data Source=:memory:");
        var statements = new List<DuckDbQueryStatement>();
        try
        {
            connection.Open();
            Execute(connection, "SET TimeZone = 'UTC'");
            var tables = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
            foreach (var table in definition.Tables)
            {
                tables[table.Name] = LoadTable(connection, table);
            }

            // One core per request from here on (see the remarks).
            Execute(connection, "SET threads = 1");
            foreach (var query in definition.Queries)
            {
                var table = definition.Tables.First(t => t.Name == query.Table);
                statements.Add(Prepare(connection, definition, query, table, tables[query.Table]));
            }

            return new DuckDbFeatures(connection, definition, [.. statements]);
        }
        catch
        {
            foreach (var statement in statements)
            {
                statement.Dispose();
            }

            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The model inputs of <paramref name="request"/> in the pipeline's input order: request features as the engine
    /// computes them (categorical inputs through the engine's <see cref="RequestFieldValues.Encode"/>), aggregates from
    /// SQL (NULL → the aggregate's fill value). Request values are CLR values: string, double, long (or other integers),
    /// DateTime, DateTimeOffset, ISO 8601 text or microseconds for timestamps; a missing, null or NaN value takes the
    /// field's fill. Throws <see cref="RequestException"/> naming the field of a request the engine refuses for its
    /// values (a missing value without a fill, a category outside the declared ones under <c>unknown: "error"</c>, a
    /// window bound out of range); unknown keys are not checked here (see the remarks).
    /// </summary>
    public void ComputeFeatures(IReadOnlyDictionary<string, object?> request, Span<float> features)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inputs = _definition.Inputs;
        if (features.Length < inputs.Count)
        {
            throw new ArgumentException($"The span holds {features.Length} values; the pipeline has {inputs.Count} inputs.", nameof(features));
        }

        _request.Read(request);
        for (var q = 0; q < _statements.Length; q++)
        {
            _statements[q].Execute(_request, _definition.Queries[q]);
        }

        _row.Assemble(_request, features);
    }

    /// <summary>The model applied to the features of <paramref name="request"/>: the exact pipeline's prediction.</summary>
    public double Predict(IReadOnlyDictionary<string, object?> request, OnnxModel model)
    {
        ComputeFeatures(request, _row.Row);
        return _row.Predict(model);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var statement in _statements)
        {
            statement.Dispose();
        }

        _connection.Dispose();
    }

    /// <summary>Creates the table from its source file with normalised column types; returns column name → DuckDB type.</summary>
    private static IReadOnlyDictionary<string, string> LoadTable(DuckDBConnection connection, TableDefinition table)
    {
        var format = FileFormatDetector.Detect(table.Source);
        var source = format switch
        {
            FileFormat.Parquet => $"read_parquet({Literal(table.Source)})",
            FileFormat.Csv => $"read_csv({Literal(table.Source)}, header = true, sample_size = -1, "
                + $"nullstr = [{string.Join(", ", s_nullTokens.Select(Literal))}], "
                + "auto_type_candidates = ['BIGINT', 'DOUBLE', 'TIMESTAMP', 'VARCHAR'])",
            _ => throw new NotSupportedException(
                $"Table '{table.Name}': {format} files are not supported by the DuckDB baseline (its arrow extension cannot be installed offline)."),
        };

        var columns = Describe(connection, $"SELECT * FROM {source}");
        var allNull = new HashSet<string>(StringComparer.Ordinal);
        var text = columns.Where(c => c.Type == "VARCHAR").Select(c => c.Name).ToArray();
        if (format == FileFormat.Csv && text.Length > 0)
        {
            // The engine infers Double for a CSV column with no value; DuckDB's sniffer says VARCHAR.
            var counts = QueryRow(connection, $"SELECT {string.Join(", ", text.Select(c => $"count({Quote(c)})"))} FROM {source}");
            for (var i = 0; i < text.Length; i++)
            {
                if (Convert.ToInt64(counts[i], CultureInfo.InvariantCulture) == 0)
                {
                    allNull.Add(text[i]);
                }
            }
        }

        var select = string.Join(", ", columns.Select(c => $"{Normalise(c.Name, c.Type, allNull.Contains(c.Name))} AS {Quote(c.Name)}"));
        var order = table.TimeColumn is null ? "" : $" ORDER BY {Quote(table.TimeColumn)}";
        Execute(connection, $"CREATE TABLE {Quote(table.Name)} AS SELECT {select} FROM {source}{order}");
        return Describe(connection, $"SELECT * FROM {Quote(table.Name)}").ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);
    }

    /// <summary>The column as one of the engine's storage types: BIGINT, DOUBLE (NaN as NULL), TIMESTAMP or VARCHAR.</summary>
    private static string Normalise(string name, string type, bool allNull)
    {
        var column = Quote(name);
        if (allNull)
        {
            return "CAST(NULL AS DOUBLE)";
        }

        if (type is "BOOLEAN" or "TINYINT" or "SMALLINT" or "INTEGER" or "BIGINT" or "UTINYINT" or "USMALLINT" or "UINTEGER"
            or "UBIGINT" or "HUGEINT" or "UHUGEINT")
        {
            return $"CAST({column} AS BIGINT)";
        }

        if (type is "FLOAT" or "DOUBLE" || type.StartsWith("DECIMAL", StringComparison.Ordinal))
        {
            return $"CASE WHEN isnan(CAST({column} AS DOUBLE)) THEN NULL ELSE CAST({column} AS DOUBLE) END";
        }

        if (type == "DATE" || type.StartsWith("TIMESTAMP", StringComparison.Ordinal))
        {
            return $"CAST({column} AS TIMESTAMP)";
        }

        return column;
    }

    /// <summary>Builds and prepares the statement of one feature query.</summary>
    private static DuckDbQueryStatement Prepare(
        DuckDBConnection connection, PipelineDefinition definition, QueryDefinition query, TableDefinition table,
        IReadOnlyDictionary<string, string> columns)
    {
        string TypeOf(string column) => columns.TryGetValue(column, out var type)
            ? type
            : throw new InvalidOperationException($"Query '{query.Name}': table '{table.Name}' has no column '{column}'.");

        var conditions = new List<string>();
        var keys = new List<DuckDbKeyParameter>();
        foreach (var (column, field) in query.Keys)
        {
            var kind = TypeOf(column) switch
            {
                "VARCHAR" => DuckDbParameterKind.Varchar,
                "BIGINT" => DuckDbParameterKind.Int64,
                "DOUBLE" => DuckDbParameterKind.Double,
                "TIMESTAMP" => DuckDbParameterKind.Timestamp,
                var other => throw new InvalidOperationException($"Query '{query.Name}': key column '{column}' has type {other}."),
            };
            keys.Add(new DuckDbKeyParameter(IndexOfField(definition, field), kind));
            conditions.Add($"{Quote(column)} = ${keys.Count}");
        }

        var windowKind = DuckDbParameterKind.Int64;
        var (hasFrom, hasTo) = (false, false);
        if (query.WindowField is not null)
        {
            var time = table.TimeColumn ?? throw new InvalidOperationException($"Query '{query.Name}': table '{table.Name}' has no time column.");
            windowKind = TypeOf(time) switch
            {
                "TIMESTAMP" => DuckDbParameterKind.Timestamp,
                "BIGINT" => DuckDbParameterKind.Int64,
                var other => throw new InvalidOperationException($"Query '{query.Name}': time column '{time}' has type {other}."),
            };
            // An unbounded end ("unbounded": long.MinValue / long.MaxValue in the definition) has no condition at all.
            hasFrom = query.WindowFrom != long.MinValue;
            hasTo = query.WindowTo != long.MaxValue;
            var parameter = keys.Count;
            if (hasFrom)
            {
                conditions.Add($"{Quote(time)} >= ${++parameter}");
            }

            if (hasTo)
            {
                conditions.Add($"{Quote(time)} < ${++parameter}");
            }
        }

        foreach (var filter in query.Filters)
        {
            conditions.Add(Filter(query, filter, TypeOf(filter.Column)));
        }

        var aggregates = query.Aggregates.Select(a => Aggregate(query, a, a.Spec.Column is null ? null : TypeOf(a.Spec.Column)));
        var sql = $"SELECT {string.Join(", ", aggregates)} FROM {Quote(table.Name)}"
            + (conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions));
        return DuckDbQueryStatement.Prepare(
            connection, sql, [.. keys], hasFrom, hasTo, windowKind, query.Aggregates.Count);
    }

    /// <summary>The aggregate's SQL; an aggregate that is NULL when undefined is coalesced to its fill value.</summary>
    private static string Aggregate(QueryDefinition query, AggregateDefinition aggregate, string? type)
    {
        var spec = aggregate.Spec;
        if (spec.Column is not { } column)
        {
            return "count(*)";
        }

        var x = Quote(column);
        switch (spec.Op)
        {
            case AggregateOp.Count:
                return $"count({x})";
            case AggregateOp.CountDistinct:
                return $"count(DISTINCT {x})";
        }

        if (type is not ("BIGINT" or "DOUBLE" or "TIMESTAMP"))
        {
            throw new InvalidOperationException($"Query '{query.Name}': {spec} needs a numeric column; '{column}' is {type}.");
        }

        if (type == "TIMESTAMP")
        {
            x = $"epoch_us({x})"; // a timestamp's value as a number: microseconds since 1970, as in the engine
        }

        var sql = spec.Op switch
        {
            AggregateOp.Sum => $"sum({x})",
            AggregateOp.Avg => $"avg({x})",
            AggregateOp.Var => $"var_samp({x})",
            AggregateOp.Std => $"stddev_samp({x})",
            AggregateOp.Min => $"min({x})",
            AggregateOp.Max => $"max({x})",
            // quantile_cont: type-7 linear interpolation at (n − 1)·q (DuckDB's median(x) is the same at q = 0.5).
            _ => $"quantile_cont({x}, {DoubleLiteral(spec.EffectiveQuantile)})",
        };
        // SQL's SUM of no rows (or of only NULLs) is NULL, but the engine defines it as 0, the empty sum (numpy and
        // pandas agree), and fills only undefined aggregates: coalesce SUM to 0, not to the fill.
        return $"coalesce({sql}, {DoubleLiteral(spec.Op == AggregateOp.Sum ? 0 : aggregate.Fill)})";
    }

    /// <summary>A filter with its constant written into the SQL (it is part of the pipeline, not of the request).</summary>
    private static string Filter(QueryDefinition query, ColumnFilter filter, string type)
    {
        var op = filter.Op switch
        {
            FilterOp.Equal => "=",
            FilterOp.NotEqual => "<>",
            FilterOp.Less => "<",
            FilterOp.LessOrEqual => "<=",
            FilterOp.Greater => ">",
            _ => ">=",
        };
        var column = Quote(filter.Column);
        var value = filter.Value is bool flag ? (flag ? 1L : 0L) : filter.Value;
        var constant = (type, value) switch
        {
            ("VARCHAR", string s) => Literal(s),
            ("TIMESTAMP", DateTime t) => TimestampLiteral(TimeValue.FromDateTime(t)),
            ("TIMESTAMP", long l) => TimestampLiteral(l),
            ("BIGINT", long l) => l.ToString(CultureInfo.InvariantCulture),
            ("BIGINT", double d) when d == Math.Floor(d) && Math.Abs(d) < 9e18 => ((long)d).ToString(CultureInfo.InvariantCulture),
            // A fractional bound on an integer column: DuckDB compares BIGINT with DOUBLE as doubles (x < 2.5 ⇔ x ≤ 2).
            ("BIGINT" or "DOUBLE", double d) => DoubleLiteral(d),
            ("DOUBLE", long l) => DoubleLiteral(l),
            _ => throw new InvalidOperationException(
                $"Query '{query.Name}': filter on column '{filter.Column}' ({type}) cannot compare with '{Convert.ToString(filter.Value, CultureInfo.InvariantCulture)}'."),
        };
        return $"{column} {op} {constant}";
    }

    private static int IndexOfField(PipelineDefinition definition, string name)
    {
        for (var i = 0; i < definition.Request.Count; i++)
        {
            if (definition.Request[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Pipeline '{definition.Name}' has no request field '{name}'.");
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object?[] QueryRow(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"No row from: {sql}");
        }

        var values = new object?[reader.FieldCount];
        reader.GetValues(values!);
        return values;
    }

    private static List<(string Name, string Type)> Describe(DuckDBConnection connection, string select)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DESCRIBE " + select;
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string)>();
        while (reader.Read())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A DOUBLE literal that round-trips (scientific notation: DuckDB reads it as DOUBLE, not DECIMAL).</summary>
    private static string DoubleLiteral(double value) => value.ToString("E16", CultureInfo.InvariantCulture);

    private static string TimestampLiteral(long micros) =>
        $"TIMESTAMP '{TimeValue.ToDateTime(micros).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}'";
}
