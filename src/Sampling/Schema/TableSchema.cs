using Biathlon.Sampling.Errors;

namespace Biathlon.Sampling.Schema;

/// <summary>The ordered columns of a table, with lookup by name that fails with a <see cref="SchemaException"/>.</summary>
public sealed class TableSchema
{
    private readonly ColumnSchema[] _columns;
    private readonly Dictionary<string, int> _ordinals;

    /// <summary>Creates a schema; names must be unique and non-empty.</summary>
    /// <param name="tableName">Name used in error messages.</param>
    /// <param name="columns">The columns in order.</param>
    public TableSchema(string tableName, IReadOnlyList<ColumnSchema> columns)
    {
        TableName = tableName;
        _columns = [.. columns];
        _ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _columns.Length; i++)
        {
            var name = _columns[i].Name;
            if (string.IsNullOrEmpty(name))
            {
                throw new SchemaException($"#{i}", $"Table '{tableName}': column #{i} has an empty name.");
            }

            if (!_ordinals.TryAdd(name, i))
            {
                throw new SchemaException(name, $"Table '{tableName}': column '{name}' appears more than once.");
            }
        }
    }

    /// <summary>Name of the table, used in error messages.</summary>
    public string TableName { get; }

    /// <summary>The columns in order.</summary>
    public IReadOnlyList<ColumnSchema> Columns => _columns;

    /// <summary>Number of columns.</summary>
    public int Count => _columns.Length;

    /// <summary>The column at <paramref name="ordinal"/>.</summary>
    public ColumnSchema this[int ordinal] => _columns[ordinal];

    /// <summary>True when a column with this name exists.</summary>
    public bool Contains(string name) => _ordinals.ContainsKey(name);

    /// <summary>The ordinal of <paramref name="name"/>; throws <see cref="SchemaException"/> naming it when absent.</summary>
    public int Ordinal(string name)
    {
        if (_ordinals.TryGetValue(name, out var ordinal))
        {
            return ordinal;
        }

        throw SchemaException.UnknownColumn(TableName, name, _ordinals.Keys);
    }

    /// <summary>The column named <paramref name="name"/>; throws <see cref="SchemaException"/> naming it when absent.</summary>
    public ColumnSchema Column(string name) => _columns[Ordinal(name)];
}
