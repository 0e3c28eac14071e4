using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Ingest;

/// <summary>Ingests Arrow record batches, in memory or from an Arrow IPC file or stream.</summary>
public static class ArrowTableReader
{
    /// <summary>Ingests <paramref name="batches"/>, which must share one schema.</summary>
    /// <param name="batches">The record batches, in row order.</param>
    /// <param name="sourceName">Name used in error messages and as the table name.</param>
    public static RawTable Read(IEnumerable<RecordBatch> batches, string sourceName)
    {
        RawColumn[]? columns = null;
        Apache.Arrow.Schema? schema = null;
        foreach (var batch in batches)
        {
            if (schema is null)
            {
                schema = batch.Schema;
                columns = CreateColumns(schema, sourceName);
            }
            else if (batch.Schema.FieldsList.Count != schema.FieldsList.Count)
            {
                throw new DataSourceException(sourceName, $"'{sourceName}': record batches have different schemas.");
            }

            for (var c = 0; c < columns!.Length; c++)
            {
                Append(columns[c], batch.Column(c), sourceName);
            }
        }

        if (columns is null)
        {
            throw new DataSourceException(sourceName, $"'{sourceName}' holds no record batch: an empty table cannot be sampled.");
        }

        return new RawTable(sourceName, columns);
    }

    /// <summary>Ingests an Arrow IPC file (the "ARROW1" file format) or an Arrow IPC stream.</summary>
    public static RawTable ReadFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var batches = new List<RecordBatch>();
            if (FileFormatDetector.HasArrowFileMagic(path))
            {
                using var reader = new ArrowFileReader(stream, leaveOpen: true);
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    batches.Add(batch);
                }
            }
            else
            {
                using var reader = new ArrowStreamReader(stream, leaveOpen: true);
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    batches.Add(batch);
                }
            }

            return Read(batches, path);
        }
        catch (Exception e) when (e is not BiathlonException and not OutOfMemoryException)
        {
            throw new DataSourceException(path, $"'{path}' is not a readable Arrow IPC file: {e.Message}", e);
        }
    }

    private static RawColumn[] CreateColumns(Apache.Arrow.Schema schema, string sourceName)
    {
        var columns = new RawColumn[schema.FieldsList.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var field = schema.FieldsList[i];
            columns[i] = field.DataType switch
            {
                DoubleType or FloatType or HalfFloatType or Decimal128Type => new DoubleColumn(field.Name),
                Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type
                    or UInt64Type or BooleanType => new Int64Column(field.Name, ColumnType.Int64),
                TimestampType or Date32Type or Date64Type => new Int64Column(field.Name, ColumnType.Timestamp),
                StringType or LargeStringType => new StringColumn(field.Name),
                DictionaryType { ValueType: StringType } => new StringColumn(field.Name),
                _ => throw new SchemaException(
                    field.Name,
                    $"'{sourceName}': column '{field.Name}' has Arrow type {field.DataType.Name}, which cannot be ingested."),
            };
        }

        return columns;
    }

    private static void Append(RawColumn column, IArrowArray array, string sourceName)
    {
        switch (column, array)
        {
            case (DoubleColumn d, DoubleArray a):
                AppendDoubles(d, a.Values, a);
                break;
            case (DoubleColumn d, FloatArray a):
                CopyConverted(d.Values.AppendSpan(a.Length), a.Length, i => a.GetValue(i) ?? double.NaN);
                break;
            case (DoubleColumn d, HalfFloatArray a):
                CopyConverted(d.Values.AppendSpan(a.Length), a.Length, i => a.GetValue(i) is { } h ? (double)h : double.NaN);
                break;
            case (DoubleColumn d, Decimal128Array a):
                CopyConverted(d.Values.AppendSpan(a.Length), a.Length, i => a.GetValue(i) is { } m ? (double)m : double.NaN);
                break;
            case (Int64Column l, Int64Array a):
                AppendInt64s(l, a.Values, a);
                break;
            case (Int64Column l, TimestampArray a):
                AppendTimestamps(l, a);
                break;
            case (Int64Column l, Date32Array a):
                CopyConverted(l.Values.AppendSpan(a.Length), a.Length, i => a.GetValue(i) is { } days ? days * TimeValue.MicrosPerDay : RawColumn.NullInteger);
                break;
            case (Int64Column l, Date64Array a):
                CopyConverted(l.Values.AppendSpan(a.Length), a.Length, i => a.GetValue(i) is { } ms ? ms * 1000 : RawColumn.NullInteger);
                break;
            case (Int64Column l, BooleanArray a):
                CopyConverted(l.Values.AppendSpan(a.Length), a.Length, i => a.GetValue(i) is { } b ? (b ? 1L : 0L) : RawColumn.NullInteger);
                break;
            case (Int64Column l, _):
                AppendIntegers(l, array, sourceName);
                break;
            case (StringColumn s, StringArray a):
                for (var i = 0; i < a.Length; i++)
                {
                    s.Add(a.IsNull(i) ? null : a.GetString(i));
                }

                break;
            case (StringColumn s, LargeStringArray a):
                for (var i = 0; i < a.Length; i++)
                {
                    s.Add(a.IsNull(i) ? null : a.GetString(i));
                }

                break;
            case (StringColumn s, DictionaryArray { Dictionary: StringArray values } a):
                for (var i = 0; i < a.Length; i++)
                {
                    s.Add(a.IsNull(i) ? null : values.GetString(IndexAt(a.Indices, i)));
                }

                break;
            default:
                throw new SchemaException(
                    column.Name,
                    $"'{sourceName}': column '{column.Name}' changes type between record batches ({array.Data.DataType.Name}).");
        }
    }

    private static void AppendDoubles(DoubleColumn column, ReadOnlySpan<double> values, IArrowArray array)
    {
        var target = column.Values.AppendSpan(values.Length);
        values.CopyTo(target);
        if (array.NullCount > 0)
        {
            for (var i = 0; i < target.Length; i++)
            {
                if (array.IsNull(i))
                {
                    target[i] = double.NaN;
                }
            }
        }
    }

    private static void AppendInt64s(Int64Column column, ReadOnlySpan<long> values, IArrowArray array)
    {
        var target = column.Values.AppendSpan(values.Length);
        values.CopyTo(target);
        if (array.NullCount > 0)
        {
            for (var i = 0; i < target.Length; i++)
            {
                if (array.IsNull(i))
                {
                    target[i] = RawColumn.NullInteger;
                }
            }
        }
    }

    private static void AppendTimestamps(Int64Column column, TimestampArray array)
    {
        var unit = ((TimestampType)array.Data.DataType).Unit;
        var target = column.Values.AppendSpan(array.Length);
        var values = array.Values;
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = array.IsNull(i) ? RawColumn.NullInteger : unit switch
            {
                TimeUnit.Second => values[i] * TimeValue.MicrosPerSecond,
                TimeUnit.Millisecond => values[i] * 1000,
                TimeUnit.Microsecond => values[i],
                _ => values[i] / 1000,
            };
        }
    }

    private static void AppendIntegers(Int64Column column, IArrowArray array, string sourceName)
    {
        var target = column.Values.AppendSpan(array.Length);
        Func<int, long?> get = array switch
        {
            Int8Array a => i => a.GetValue(i),
            Int16Array a => i => a.GetValue(i),
            Int32Array a => i => a.GetValue(i),
            UInt8Array a => i => a.GetValue(i),
            UInt16Array a => i => a.GetValue(i),
            UInt32Array a => i => a.GetValue(i),
            UInt64Array a => i => a.GetValue(i) is { } u ? checked((long)u) : null,
            _ => throw new SchemaException(
                column.Name,
                $"'{sourceName}': column '{column.Name}' changes type between record batches ({array.Data.DataType.Name})."),
        };
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = get(i) ?? RawColumn.NullInteger;
        }
    }

    private static void CopyConverted<T>(Span<T> target, int length, Func<int, T> convert)
    {
        for (var i = 0; i < length; i++)
        {
            target[i] = convert(i);
        }
    }

    private static int IndexAt(IArrowArray indices, int i) => indices switch
    {
        Int8Array a => a.GetValue(i)!.Value,
        Int16Array a => a.GetValue(i)!.Value,
        Int32Array a => a.GetValue(i)!.Value,
        Int64Array a => checked((int)a.GetValue(i)!.Value),
        UInt8Array a => a.GetValue(i)!.Value,
        UInt16Array a => a.GetValue(i)!.Value,
        UInt32Array a => checked((int)a.GetValue(i)!.Value),
        _ => throw new NotSupportedException($"Dictionary index type {indices.Data.DataType.Name}"),
    };
}
