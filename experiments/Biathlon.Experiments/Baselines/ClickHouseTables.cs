using System.Globalization;
using System.Net;
using System.Text;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// A pipeline table as loaded into ClickHouse: its name, partition count, each column's engine type, and each numeric
/// column's mean over the table (0 when it has no value), the shift of the approximate baseline's power sums.
/// </summary>
internal sealed record ClickHouseTable(
    string Name, int Partitions, string? TimeColumn, IReadOnlyDictionary<string, ColumnType> Columns, IReadOnlyDictionary<string, double> Means)
{
    /// <summary>The partition id column added to every table (the first key of its sort order).</summary>
    public const string PartitionColumn = "__pid";

    /// <summary>The engine type of <paramref name="column"/>; throws naming the query and column when absent.</summary>
    public ColumnType TypeOf(string query, string column) => Columns.TryGetValue(column, out var type)
        ? type
        : throw new InvalidOperationException($"Query '{query}': table '{Name}' has no column '{column}'.");
}

/// <summary>
/// Loads a pipeline's tables into ClickHouse, one MergeTree table each, <c>ORDER BY (__pid, time)</c>: the rows the
/// engine serves (its own reader on the table's source; rows with a null time are dropped, as the engine drops them),
/// each with the engine's partition id: row r of the source goes to partition
/// <c>SplitMix64.Below(SplitMix64.Hash(seed, r), partitions)</c>, the seeded assignment of
/// <c>PartitionedTable.Build</c>. Since the table is sorted by it, the rows of partitions [a, b) are one short key range.
/// </summary>
/// <remarks>
/// Types follow the engine's storage types: String → Nullable(String), Int64 → Nullable(Int64), Double →
/// Nullable(Float64) (the engine's NaN is NULL), Timestamp → Int64 microseconds since 1970 (the engine's value of a
/// timestamp; the time column is not nullable). Keeping time as microseconds avoids 18.16's DateTime (seconds, a
/// time zone, literal parsing traps) and makes windows integer ranges. Difference from the engine: its census stratum
/// (rows beyond the fences of summed columns, stored as an extra partition read by every request) is not reproduced;
/// here every row keeps its hashed partition, as in the original research system, which has no census.
/// </remarks>
internal static class ClickHouseTables
{
    /// <summary>Creates and fills one table per pipeline table (dropping any of the same name first).</summary>
    public static async Task<IReadOnlyDictionary<string, ClickHouseTable>> LoadAsync(
        ClickHouseServer server, PipelineDefinition definition, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var tables = new Dictionary<string, ClickHouseTable>(StringComparer.Ordinal);
        foreach (var table in definition.Tables)
        {
            progress?.Report($"clickhouse: reading {table.Source}");
            var raw = await TableReader.ReadFileAsync(table.Source, cancellationToken: cancellationToken).ConfigureAwait(false);
            var columns = raw.Schema.Columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);
            if (table.TimeColumn is { } time && !columns.ContainsKey(time))
            {
                throw new InvalidOperationException($"Table '{table.Name}': time column '{time}' is not in '{table.Source}'.");
            }

            var name = ClickHouseSql.Quote(table.Name);
            var definitions = raw.Schema.Columns.Select(c => $"{ClickHouseSql.Quote(c.Name)} {SqlType(c, c.Name == table.TimeColumn)}");
            var order = table.TimeColumn is null
                ? ClickHouseSql.Quote(ClickHouseTable.PartitionColumn)
                : $"{ClickHouseSql.Quote(ClickHouseTable.PartitionColumn)}, {ClickHouseSql.Quote(table.TimeColumn)}";
            await server.QueryAsync($"DROP TABLE IF EXISTS {name}", cancellationToken).ConfigureAwait(false);
            await server.QueryAsync(
                $"CREATE TABLE {name} ({ClickHouseSql.Quote(ClickHouseTable.PartitionColumn)} UInt32, {string.Join(", ", definitions)}) "
                + $"ENGINE = MergeTree() ORDER BY ({order})", cancellationToken).ConfigureAwait(false);

            using var body = new TsvContent(raw, table.TimeColumn, table.Partitions, table.Seed);
            await server.InsertAsync($"INSERT INTO {name} FORMAT TabSeparated", body, cancellationToken).ConfigureAwait(false);
            progress?.Report($"clickhouse: table '{table.Name}' loaded ({body.Rows:N0} rows, {table.Partitions} partitions, seed {table.Seed})");

            var numeric = raw.Schema.Columns.Where(c => c.Type != ColumnType.String).Select(c => c.Name).ToArray();
            var means = new Dictionary<string, double>(StringComparer.Ordinal);
            if (numeric.Length > 0)
            {
                var sql = $"SELECT {string.Join(", ", numeric.Select(c => $"avg(toFloat64({ClickHouseSql.Quote(c)}))"))} FROM {name}";
                var values = ClickHouseSql.ParseRow(await server.QueryAsync(sql, cancellationToken).ConfigureAwait(false), numeric.Length, sql);
                for (var i = 0; i < numeric.Length; i++)
                {
                    means[numeric[i]] = double.IsFinite(values[i]) ? values[i] : 0;
                }
            }

            tables[table.Name] = new ClickHouseTable(table.Name, table.Partitions, table.TimeColumn, columns, means);
        }

        return tables;
    }

    /// <summary>The partition of source row <paramref name="row"/>: the engine's seeded assignment.</summary>
    public static int PartitionOf(ulong seed, int row, int partitions) => SplitMix64.Below(SplitMix64.Hash(seed, (ulong)row), partitions);

    private static string SqlType(ColumnSchema column, bool time) => column.Type switch
    {
        ColumnType.String => "Nullable(String)",
        ColumnType.Double => "Nullable(Float64)",
        _ when time => "Int64",
        _ => "Nullable(Int64)",
    };

    /// <summary>The table's rows as TabSeparated text (pid first), written while the request streams.</summary>
    private sealed class TsvContent(RawTable raw, string? timeColumn, int partitions, ulong seed) : HttpContent
    {
        public long Rows { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var columns = raw.Schema.Columns;
            var getters = new Action<int, StringBuilder>[columns.Count];
            for (var c = 0; c < columns.Count; c++)
            {
                getters[c] = Writer(columns[c]);
            }

            var times = timeColumn is null ? null : raw.GetInt64s(timeColumn).ToArray();
            var line = new StringBuilder(256);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            for (var r = 0; r < raw.RowCount; r++)
            {
                if (times is not null && times[r] == long.MinValue)
                {
                    continue; // the engine drops rows with a null time
                }

                line.Clear();
                line.Append(PartitionOf(seed, r, partitions).ToString(CultureInfo.InvariantCulture));
                for (var c = 0; c < getters.Length; c++)
                {
                    line.Append('\t');
                    getters[c](r, line);
                }

                line.Append('\n');
                await writer.WriteAsync(line).ConfigureAwait(false);
                Rows++;
            }

            await writer.FlushAsync().ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        private Action<int, StringBuilder> Writer(ColumnSchema column)
        {
            switch (column.Type)
            {
                case ColumnType.String:
                {
                    var values = raw.GetStrings(column.Name);
                    return (r, line) =>
                    {
                        if (values[r] is { } s)
                        {
                            Escape(s, line);
                        }
                        else
                        {
                            line.Append("\\N");
                        }
                    };
                }

                case ColumnType.Double:
                {
                    var values = raw.GetDoubles(column.Name).ToArray();
                    return (r, line) => line.Append(double.IsNaN(values[r]) ? "\\N" : ClickHouseSql.Double(values[r]));
                }

                default:
                {
                    var values = raw.GetInt64s(column.Name).ToArray();
                    return (r, line) => line.Append(values[r] == long.MinValue ? "\\N" : values[r].ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        private static void Escape(string value, StringBuilder line)
        {
            foreach (var ch in value)
            {
                _ = ch switch
                {
                    '\\' => line.Append("\\\\"),
                    '\t' => line.Append("\\t"),
                    '\n' => line.Append("\\n"),
                    '\r' => line.Append("\\r"),
                    '\0' => line.Append("\\0"),
                    _ => line.Append(ch),
                };
            }
        }
    }
}
