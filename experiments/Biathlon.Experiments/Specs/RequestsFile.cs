using System.Globalization;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Pipelines;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Specs;

/// <summary>
/// Reads a requests file (CSV or Parquet) for a pipeline spec. Columns named like the spec's <c>request[]</c> fields are
/// the request fields, typed by the spec; an empty cell or NaN leaves the field out, so the spec's fill applies; other
/// columns are ignored, except the label column, which must be numeric (binary pipelines: 0/1 or true/false). Rows
/// without a label are skipped. Requests come back in time order (<see cref="OrderField"/>).
/// </summary>
public static class RequestsFile
{
    /// <summary>How the table reader marks a null integer or timestamp.</summary>
    private const long NullInteger = long.MinValue;

    /// <summary>The requests of a file, in time order.</summary>
    /// <param name="Requests">The labelled requests, ordered by <paramref name="OrderField"/> (file order on ties or without one).</param>
    /// <param name="OrderField">The request field that orders the requests in time; null for file order.</param>
    /// <param name="SkippedUnlabelled">Rows skipped because their label was empty or NaN.</param>
    public sealed record Contents(IReadOnlyList<HarnessRequest> Requests, string? OrderField, int SkippedUnlabelled);

    /// <summary>
    /// The request field that orders requests in time: the first timestamp field that is some query's window field,
    /// else the first timestamp or integer field; null when there is none (file order).
    /// </summary>
    public static RequestFieldDefinition? OrderField(PipelineDefinition definition)
    {
        var windowFields = definition.Queries.Select(q => q.WindowField).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return definition.Request.FirstOrDefault(f => f.Type == RequestFieldType.Timestamp && windowFields.Contains(f.Name))
            ?? definition.Request.FirstOrDefault(f => f.Type is RequestFieldType.Timestamp or RequestFieldType.Integer);
    }

    /// <summary>Reads <paramref name="file"/> as requests of <paramref name="definition"/> labelled by <paramref name="labelColumn"/>.</summary>
    /// <exception cref="CliException">The file is missing, lacks a request field's or the label's column, or holds a value of the wrong type.</exception>
    public static async Task<Contents> ReadAsync(string file, PipelineDefinition definition, string labelColumn, bool binary)
    {
        if (!File.Exists(file))
        {
            throw new CliException($"requests file '{file}' does not exist", 1);
        }

        var types = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        foreach (var field in definition.Request)
        {
            types[field.Name] = field.Type switch
            {
                RequestFieldType.String => ColumnType.String,
                RequestFieldType.Integer => ColumnType.Int64,
                RequestFieldType.Number => ColumnType.Double,
                _ => ColumnType.Timestamp,
            };
        }

        var table = await TableReader.ReadFileAsync(file, new CsvReadOptions { ColumnTypes = types });
        foreach (var field in definition.Request)
        {
            // A field with a fill may be left out of the file: every request then takes the fill, as the engine does.
            if (!table.Schema.Contains(field.Name) && field.Fill is null)
            {
                throw new CliException($"request field '{field.Name}' of pipeline '{definition.Name}' has no column in '{file}' (columns: {string.Join(", ", table.Schema.Columns.Select(c => c.Name))})", 1);
            }
        }

        if (!table.Schema.Contains(labelColumn))
        {
            throw new CliException($"label column '{labelColumn}' (option --label) is not in '{file}' (columns: {string.Join(", ", table.Schema.Columns.Select(c => c.Name))})", 1);
        }

        var fields = definition.Request.Where(f => table.Schema.Contains(f.Name)).Select(f => (f.Name, Read: Reader(table, f.Name, f.Type, file))).ToArray();
        var label = LabelReader(table, labelColumn, binary, file);
        var order = OrderField(definition);
        if (order is not null && !table.Schema.Contains(order.Name))
        {
            throw new CliException($"request field '{order.Name}' orders the requests in time (for the train/validation/test split) but has no column in '{file}'", 1);
        }
        var requests = new List<(long Key, int Row, HarnessRequest Request)>(table.RowCount);
        var skipped = 0;
        for (var row = 0; row < table.RowCount; row++)
        {
            if (label(row) is not { } y)
            {
                skipped++;
                continue;
            }

            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, read) in fields)
            {
                if (read(row) is { } value)
                {
                    values[name] = value;
                }
            }

            var (key, time) = order is null ? (row, DateTime.UnixEpoch.AddSeconds(row)) : OrderKey(values, order, row, file);
            requests.Add((key, row, new HarnessRequest(values, y, time)));
        }

        requests.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Row.CompareTo(b.Row));
        return new Contents(requests.Select(r => r.Request).ToArray(), order?.Name, skipped);
    }

    private static (long Key, DateTime Time) OrderKey(Dictionary<string, object?> values, RequestFieldDefinition order, int row, string file)
    {
        return values.GetValueOrDefault(order.Name) switch
        {
            DateTime t => (TimeValue.FromDateTime(t), t),
            long n => (n, DateTime.UnixEpoch.AddSeconds(row)),
            _ => throw new CliException($"request field '{order.Name}', which orders the requests in time, is empty in row {row + 2} of '{file}'", 1),
        };
    }

    /// <summary>A function giving the field's value at a row as the engine takes it (string, long, double or DateTime), or null when missing.</summary>
    private static Func<int, object?> Reader(RawTable table, string column, RequestFieldType type, string file)
    {
        CliException Bad(int row, object value) =>
            new($"request field '{column}' is {type.ToString().ToLowerInvariant()} but row {row + 2} of '{file}' holds '{value}'", 1);

        switch (table.Schema.Column(column).Type)
        {
            case ColumnType.Double:
            {
                var values = table.GetDoubles(column).ToArray();
                return row => values[row] switch
                {
                    var v when !double.IsFinite(v) => null,
                    var v when type == RequestFieldType.Number => v,
                    var v when type == RequestFieldType.String => v.ToString("R", CultureInfo.InvariantCulture),
                    var v when type == RequestFieldType.Integer && v == Math.Floor(v) => (long)v,
                    var v => throw Bad(row, v),
                };
            }

            case ColumnType.Int64:
            case ColumnType.Timestamp:
            {
                var timestamp = table.Schema.Column(column).Type == ColumnType.Timestamp;
                var values = table.GetInt64s(column).ToArray();
                return row => values[row] switch
                {
                    NullInteger => null,
                    var v when type == RequestFieldType.Timestamp => TimeValue.ToDateTime(v),
                    var v when timestamp => throw Bad(row, TimeValue.ToDateTime(v).ToString("O", CultureInfo.InvariantCulture)),
                    var v when type == RequestFieldType.Integer => v,
                    var v when type == RequestFieldType.Number => (double)v,
                    var v => v.ToString(CultureInfo.InvariantCulture),
                };
            }

            default:
            {
                var values = table.GetStrings(column);
                return row => values[row] switch
                {
                    null or "" => null,
                    var s when type == RequestFieldType.String => s,
                    var s when type == RequestFieldType.Integer && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                    var s when type == RequestFieldType.Number && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => double.IsFinite(d) ? d : null,
                    var s when type == RequestFieldType.Timestamp && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) => t,
                    var s => throw Bad(row, s),
                };
            }
        }
    }

    /// <summary>A function giving the label at a row, or null when the cell is empty or NaN.</summary>
    private static Func<int, double?> LabelReader(RawTable table, string column, bool binary, string file)
    {
        Func<int, double?> read;
        switch (table.Schema.Column(column).Type)
        {
            case ColumnType.Double:
            {
                var values = table.GetDoubles(column).ToArray();
                read = row => double.IsFinite(values[row]) ? values[row] : null;
                break;
            }

            case ColumnType.Int64:
            {
                var values = table.GetInt64s(column).ToArray();
                read = row => values[row] == NullInteger ? null : values[row];
                break;
            }

            case ColumnType.String:
            {
                var values = table.GetStrings(column);
                read = row => values[row] switch
                {
                    null or "" => null,
                    var s when s.Equals("true", StringComparison.OrdinalIgnoreCase) => 1,
                    var s when s.Equals("false", StringComparison.OrdinalIgnoreCase) => 0,
                    var s => throw new CliException($"label column '{column}' (option --label) is not numeric: row {row + 2} of '{file}' holds '{s}'", 1),
                };
                break;
            }

            default:
                throw new CliException($"label column '{column}' (option --label) is not numeric: '{file}' holds timestamps there", 1);
        }

        if (!binary)
        {
            return read;
        }

        return row => read(row) switch
        {
            null => null,
            0 => 0,
            1 => 1,
            var y => throw new CliException($"label column '{column}' (option --label) of a binary pipeline must hold 0/1 or true/false: row {row + 2} of '{file}' holds {y}", 1),
        };
    }
}
