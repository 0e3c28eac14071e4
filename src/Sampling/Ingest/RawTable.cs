using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Ingest;

/// <summary>
/// An ingested table in source row order, before partitioning. Produced by <see cref="TableReader"/>; turned
/// into a <see cref="PartitionedTable"/> by <see cref="PartitionedTable.Build"/>.
/// </summary>
public sealed class RawTable
{
    internal RawTable(string sourceName, IReadOnlyList<RawColumn> columns)
    {
        if (columns.Count == 0)
        {
            throw new DataSourceException(sourceName, $"'{sourceName}' has no columns.");
        }

        var rows = columns[0].Count;
        foreach (var column in columns)
        {
            if (column.Count != rows)
            {
                throw new DataSourceException(
                    sourceName,
                    $"'{sourceName}': column '{column.Name}' has {column.Count} rows, column '{columns[0].Name}' has {rows}.");
            }
        }

        if (rows == 0)
        {
            throw new DataSourceException(sourceName, $"'{sourceName}' holds no rows: an empty table cannot be sampled.");
        }

        SourceName = sourceName;
        Columns = [.. columns];
        RowCount = rows;
        var schema = new ColumnSchema[columns.Count];
        for (var i = 0; i < schema.Length; i++)
        {
            schema[i] = new ColumnSchema(columns[i].Name, columns[i].Type);
        }

        Schema = new TableSchema(sourceName, schema);
    }

    /// <summary>The file or source the rows came from.</summary>
    public string SourceName { get; }

    /// <summary>Column names and storage types.</summary>
    public TableSchema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount { get; }

    internal RawColumn[] Columns { get; }

    /// <summary>Number of null entries in <paramref name="column"/>.</summary>
    public int NullCount(string column) => Columns[Schema.Ordinal(column)].NullCount();

    /// <summary>The values of a <see cref="ColumnType.Double"/> column (NaN for null), in source order.</summary>
    public ReadOnlySpan<double> GetDoubles(string column) =>
        Columns[Schema.Ordinal(column)] is DoubleColumn c
            ? c.Values.AsSpan()
            : throw SchemaException.WrongType(column, Schema.Column(column).Type, "expected Double");

    /// <summary>The values of an <see cref="ColumnType.Int64"/> or <see cref="ColumnType.Timestamp"/> column, in source order.</summary>
    public ReadOnlySpan<long> GetInt64s(string column) =>
        Columns[Schema.Ordinal(column)] is Int64Column c
            ? c.Values.AsSpan()
            : throw SchemaException.WrongType(column, Schema.Column(column).Type, "expected Int64 or Timestamp");

    /// <summary>The values of a <see cref="ColumnType.String"/> column (null for null), in source order.</summary>
    public string?[] GetStrings(string column)
    {
        if (Columns[Schema.Ordinal(column)] is not StringColumn c)
        {
            throw SchemaException.WrongType(column, Schema.Column(column).Type, "expected String");
        }

        var codes = c.Codes.AsSpan();
        var result = new string?[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            result[i] = codes[i] < 0 ? null : c.Dictionary[codes[i]];
        }

        return result;
    }
}
