using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Schema;
using Parquet;
using Parquet.Schema;

namespace Biathlon.Sampling.Ingest;

/// <summary>Ingests a Parquet file with Parquet.Net, one row group at a time.</summary>
public static class ParquetTableReader
{
    /// <summary>Reads every flat column of <paramref name="path"/>.</summary>
    /// <param name="path">The Parquet file.</param>
    /// <param name="progress">Receives the number of rows read so far after each row group.</param>
    /// <param name="cancellationToken">Cancels the read between column chunks.</param>
    public static async Task<RawTable> ReadAsync(
        string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var reader = await ParquetReader.CreateAsync(path, null, cancellationToken).ConfigureAwait(false);
            var fields = reader.Schema.GetDataFields();
            var columns = new RawColumn[fields.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                columns[i] = CreateColumn(fields[i], path);
            }

            long rowsRead = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = checked((int)group.RowCount);
                for (var i = 0; i < fields.Length; i++)
                {
                    await ReadColumnAsync(group, fields[i], columns[i], rows, cancellationToken).ConfigureAwait(false);
                }

                rowsRead += rows;
                progress?.Report(rowsRead);
            }

            return new RawTable(path, columns);
        }
        catch (Exception e) when (e is not BiathlonException and not OperationCanceledException and not OutOfMemoryException)
        {
            throw new DataSourceException(path, $"'{path}' is not a readable Parquet file: {e.Message}", e);
        }
    }

    private static RawColumn CreateColumn(DataField field, string path)
    {
        if (field.IsArray)
        {
            throw new SchemaException(field.Name, $"'{path}': column '{field.Name}' is a list; only flat columns can be ingested.");
        }

        var type = field.ClrType;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return new DoubleColumn(field.Name);
        }

        if (type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(sbyte)
            || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong)
            || type == typeof(bool))
        {
            return new Int64Column(field.Name, ColumnType.Int64);
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly))
        {
            return new Int64Column(field.Name, ColumnType.Timestamp);
        }

        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            return new StringColumn(field.Name);
        }

        throw new SchemaException(
            field.Name, $"'{path}': column '{field.Name}' has type {type.Name}, which cannot be ingested.");
    }

    private static async Task ReadColumnAsync(
        ParquetRowGroupReader group, DataField field, RawColumn column, int rows, CancellationToken ct)
    {
        var type = field.ClrType;
        switch (column)
        {
            case StringColumn s:
            {
                var values = new string?[rows];
                await group.ReadAsync(field, values.AsMemory(), null, ct).ConfigureAwait(false);
                foreach (var v in values)
                {
                    s.Add(v);
                }

                break;
            }

            case DoubleColumn d when type == typeof(double):
                await ReadAsync<double, double>(group, field, rows, d.Values.AppendMemory(rows), v => v, double.NaN, ct).ConfigureAwait(false);
                break;
            case DoubleColumn d when type == typeof(float):
                await ReadAsync<float, double>(group, field, rows, d.Values.AppendMemory(rows), v => v, double.NaN, ct).ConfigureAwait(false);
                break;
            case DoubleColumn d:
                await ReadAsync<decimal, double>(group, field, rows, d.Values.AppendMemory(rows), v => (double)v, double.NaN, ct).ConfigureAwait(false);
                break;
            case Int64Column l when column.Type == ColumnType.Timestamp:
                await ReadTimesAsync(group, field, rows, l, ct).ConfigureAwait(false);
                break;
            case Int64Column l:
                await ReadIntegersAsync(group, field, rows, l, ct).ConfigureAwait(false);
                break;
        }
    }

    private static Task ReadIntegersAsync(ParquetRowGroupReader group, DataField field, int rows, Int64Column column, CancellationToken ct)
    {
        var target = column.Values;
        const long nil = RawColumn.NullInteger;
        var type = field.ClrType;
        return type == typeof(long) ? ReadAsync<long, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(int) ? ReadAsync<int, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(short) ? ReadAsync<short, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(sbyte) ? ReadAsync<sbyte, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(byte) ? ReadAsync<byte, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(ushort) ? ReadAsync<ushort, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(uint) ? ReadAsync<uint, long>(group, field, rows, target.AppendMemory(rows), v => v, nil, ct)
            : type == typeof(ulong) ? ReadAsync<ulong, long>(group, field, rows, target.AppendMemory(rows), v => checked((long)v), nil, ct)
            : ReadAsync<bool, long>(group, field, rows, target.AppendMemory(rows), v => v ? 1 : 0, nil, ct);
    }

    private static Task ReadTimesAsync(ParquetRowGroupReader group, DataField field, int rows, Int64Column column, CancellationToken ct)
    {
        var target = column.Values;
        const long nil = RawColumn.NullInteger;
        var type = field.ClrType;
        return type == typeof(DateTime) ? ReadAsync<DateTime, long>(group, field, rows, target.AppendMemory(rows), TimeValue.FromDateTime, nil, ct)
            : type == typeof(DateTimeOffset) ? ReadAsync<DateTimeOffset, long>(group, field, rows, target.AppendMemory(rows), v => TimeValue.FromDateTime(v.DateTime), nil, ct)
            : ReadAsync<DateOnly, long>(group, field, rows, target.AppendMemory(rows), v => TimeValue.FromDateTime(v.ToDateTime(TimeOnly.MinValue)), nil, ct);
    }

    /// <summary>Reads one column chunk into a temporary array and converts it into <paramref name="target"/>.</summary>
    private static async Task ReadAsync<T, TOut>(
        ParquetRowGroupReader group, DataField field, int rows, Memory<TOut> target, Func<T, TOut> convert, TOut nullValue,
        CancellationToken ct)
        where T : struct
    {
        if (field.IsNullable)
        {
            var values = new T?[rows];
            await group.ReadAsync(field, values.AsMemory(), null, ct).ConfigureAwait(false);
            var span = target.Span;
            for (var i = 0; i < rows; i++)
            {
                span[i] = values[i] is { } v ? convert(v) : nullValue;
            }
        }
        else
        {
            var values = new T[rows];
            await group.ReadAsync(field, values.AsMemory(), null, ct).ConfigureAwait(false);
            var span = target.Span;
            for (var i = 0; i < rows; i++)
            {
                span[i] = convert(values[i]);
            }
        }
    }
}
