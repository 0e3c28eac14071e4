using System.Globalization;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Schema;
using Sylvan.Data.Csv;

namespace Biathlon.Sampling.Ingest;

/// <summary>Ingests a delimited text file with a header row, using Sylvan's CSV parser.</summary>
public static class CsvTableReader
{
    private const DateTimeStyles TimeStyles = DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.RoundtripKind;

    /// <summary>Reads <paramref name="path"/>; column types are inferred unless given in <paramref name="options"/>.</summary>
    public static RawTable Read(string path, CsvReadOptions? options = null)
    {
        options ??= new CsvReadOptions();
        if (options.InferenceRows < 1)
        {
            throw new ConfigurationException(nameof(options.InferenceRows), $"InferenceRows must be at least 1 (got {options.InferenceRows}).");
        }

        try
        {
            var readerOptions = new CsvDataReaderOptions { HasHeaders = true };
            if (options.Delimiter is { } delimiter)
            {
                readerOptions.Delimiter = delimiter;
            }

            using var reader = CsvDataReader.Create(path, readerOptions);
            return Read(reader, path, options);
        }
        catch (Exception e) when (e is not BiathlonException and not OutOfMemoryException)
        {
            throw new DataSourceException(path, $"'{path}' is not a readable CSV file: {e.Message}", e);
        }
    }

    private static RawTable Read(CsvDataReader reader, string path, CsvReadOptions options)
    {
        var fieldCount = reader.FieldCount;
        if (fieldCount == 0)
        {
            throw new DataSourceException(path, $"'{path}' has no header row.");
        }

        var names = new string[fieldCount];
        for (var i = 0; i < fieldCount; i++)
        {
            names[i] = reader.GetName(i);
        }

        var nulls = new HashSet<string>(options.NullTokens, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

        // Buffer the first rows as text to infer the column types, then stream the rest straight into typed columns.
        var buffered = new List<string?[]>();
        while (buffered.Count < options.InferenceRows && reader.Read())
        {
            var row = new string?[fieldCount];
            for (var i = 0; i < fieldCount && i < reader.RowFieldCount; i++)
            {
                var text = reader.GetFieldSpan(i);
                row[i] = nulls.Contains(text) ? null : text.ToString();
            }

            buffered.Add(row);
        }

        var columns = new RawColumn[fieldCount];
        for (var i = 0; i < fieldCount; i++)
        {
            var type = options.ColumnTypes is not null && options.ColumnTypes.TryGetValue(names[i], out var given)
                ? given
                : Infer(buffered, i);
            columns[i] = type switch
            {
                ColumnType.Double => new DoubleColumn(names[i]),
                ColumnType.String => new StringColumn(names[i]),
                _ => new Int64Column(names[i], type),
            };
        }

        long line = 1;
        foreach (var row in buffered)
        {
            line++;
            for (var i = 0; i < fieldCount; i++)
            {
                Append(ref columns[i], row[i], path, line);
            }
        }

        while (reader.Read())
        {
            line++;
            for (var i = 0; i < fieldCount; i++)
            {
                var text = i < reader.RowFieldCount ? reader.GetFieldSpan(i) : [];
                Append(ref columns[i], nulls.Contains(text) ? null : text, path, line);
            }
        }

        return new RawTable(path, columns);
    }

    private static ColumnType Infer(List<string?[]> rows, int column)
    {
        bool sawInteger = false, sawDouble = false, sawTime = false, sawText = false;
        foreach (var row in rows)
        {
            var text = row[column];
            if (text is null)
            {
                continue;
            }

            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                sawInteger = true;
            }
            else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                sawDouble = true;
            }
            else if (DateTime.TryParse(text, CultureInfo.InvariantCulture, TimeStyles, out _))
            {
                sawTime = true;
            }
            else
            {
                sawText = true;
            }
        }

        if (sawText || (sawTime && (sawInteger || sawDouble)))
        {
            return ColumnType.String;
        }

        return sawTime ? ColumnType.Timestamp : sawInteger && !sawDouble ? ColumnType.Int64 : ColumnType.Double;
    }

    /// <summary>Appends one field; <paramref name="text"/> is null for a null field. May promote an Int64 column to Double.</summary>
    private static void Append(ref RawColumn column, ReadOnlySpan<char> text, string path, long line) =>
        Append(ref column, text, isNull: false, path, line);

    private static void Append(ref RawColumn column, string? text, string path, long line) =>
        Append(ref column, text, text is null, path, line);

    private static void Append(ref RawColumn column, ReadOnlySpan<char> text, bool isNull, string path, long line)
    {
        switch (column)
        {
            case StringColumn s:
                s.Codes.Add(isNull ? RawColumn.NullCode : s.Dictionary.GetOrAdd(text));
                return;
            case DoubleColumn d:
                d.Values.Add(isNull ? double.NaN : ParseDouble(text, column.Name, path, line));
                return;
            case Int64Column { Type: ColumnType.Timestamp } t:
                t.Values.Add(isNull ? RawColumn.NullInteger : ParseTime(text, column.Name, path, line));
                return;
            case Int64Column l:
                if (isNull)
                {
                    l.Values.Add(RawColumn.NullInteger);
                }
                else if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                         && value != RawColumn.NullInteger)
                {
                    l.Values.Add(value);
                }
                else
                {
                    // The column looked integral in the inference rows; a fraction here promotes it to Double.
                    var promoted = l.ToDoubleColumn();
                    promoted.Values.Add(ParseDouble(text, column.Name, path, line));
                    column = promoted;
                }

                return;
        }
    }

    private static double ParseDouble(ReadOnlySpan<char> text, string column, string path, long line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SchemaException(
                column, $"'{path}' line {line}: column '{column}' holds '{text}', which is not a number.");

    private static long ParseTime(ReadOnlySpan<char> text, string column, string path, long line) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, TimeStyles, out var value)
            ? TimeValue.FromDateTime(value)
            : throw new SchemaException(
                column, $"'{path}' line {line}: column '{column}' holds '{text}', which is not a date or time.");
}
