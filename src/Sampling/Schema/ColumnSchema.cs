namespace Biathlon.Sampling.Schema;

/// <summary>A column's name and storage type.</summary>
/// <param name="Name">Column name, case-sensitive.</param>
/// <param name="Type">Storage type.</param>
public readonly record struct ColumnSchema(string Name, ColumnType Type)
{
    /// <summary>True for columns an arithmetic aggregate (SUM, AVG, VAR, ...) can read.</summary>
    public bool IsNumeric => Type is ColumnType.Double or ColumnType.Int64 or ColumnType.Timestamp;

    /// <summary>True for columns stored as 64-bit integers (<see cref="ColumnType.Int64"/>, <see cref="ColumnType.Timestamp"/>).</summary>
    public bool IsInteger => Type is ColumnType.Int64 or ColumnType.Timestamp;
}
