using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Errors;

/// <summary>A column that does not exist, or exists with a type the operation cannot use.</summary>
public sealed class SchemaException : BiathlonException
{
    /// <summary>Creates the exception for <paramref name="column"/>.</summary>
    public SchemaException(string column, string message, Exception? inner = null)
        : base(column, message, inner)
    {
    }

    /// <summary>The column at fault.</summary>
    public string Column => Subject;

    internal static SchemaException UnknownColumn(string table, string column, IEnumerable<string> known) =>
        new(column, $"Table '{table}' has no column '{column}'. Columns: {string.Join(", ", known)}.");

    internal static SchemaException WrongType(string column, ColumnType actual, string expected) =>
        new(column, $"Column '{column}' has type {actual}; {expected}.");
}
