namespace Biathlon.Sampling.Queries;

/// <summary>A comparison operator of a <see cref="ColumnFilter"/>.</summary>
public enum FilterOp
{
    /// <summary>column = value</summary>
    Equal,

    /// <summary>column ≠ value</summary>
    NotEqual,

    /// <summary>column &lt; value</summary>
    Less,

    /// <summary>column ≤ value</summary>
    LessOrEqual,

    /// <summary>column &gt; value</summary>
    Greater,

    /// <summary>column ≥ value</summary>
    GreaterOrEqual,
}

/// <summary>
/// An extra row filter, "column op constant", applied inside the row ranges of a predicate. String columns allow
/// only <see cref="FilterOp.Equal"/> and <see cref="FilterOp.NotEqual"/>. A row whose column is null passes no filter.
/// </summary>
/// <param name="Column">The column compared.</param>
/// <param name="Op">The comparison.</param>
/// <param name="Value">The constant: a number for numeric columns, a string for string columns, a number or <see cref="DateTime"/> for timestamps.</param>
public readonly record struct ColumnFilter(string Column, FilterOp Op, object Value);
