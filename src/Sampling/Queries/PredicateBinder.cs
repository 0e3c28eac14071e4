using System.Globalization;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Queries;

/// <summary>
/// The request-independent part of a predicate, resolved once against a layout: its key columns mapped to the
/// layout's key order and its constant filters compiled. Per request only the key values and the window are encoded
/// (<see cref="EncodeString"/>, <see cref="EncodeNumber"/>, <see cref="EncodeInteger"/>) and <see cref="Bind"/>
/// turns them into a <see cref="BoundPredicate"/>: no dictionary, no boxing, no filter compilation, and no allocation
/// when a predicate is handed back for reuse. Immutable and thread-safe.
/// </summary>
public sealed class PredicateBinder
{
    private readonly Layout _layout;
    private readonly int[] _ordinals;
    private readonly int[] _position;
    private readonly CompiledFilter[] _filters;

    /// <summary>
    /// Resolves <paramref name="keyColumns"/> (exactly the layout's key columns, in any order: the order of the keys
    /// given to <see cref="Bind"/>) and compiles <paramref name="filters"/>. Throws <see cref="QueryException"/> or
    /// <see cref="SchemaException"/> naming the key or filter column at fault.
    /// </summary>
    public PredicateBinder(Layout layout, IReadOnlyList<string> keyColumns, IReadOnlyList<ColumnFilter> filters)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(keyColumns);
        ArgumentNullException.ThrowIfNull(filters);
        _layout = layout;
        var schema = layout.Table.Schema;
        var layoutKeys = layout.KeyOrdinals;
        _ordinals = new int[keyColumns.Count];
        _position = new int[keyColumns.Count];
        for (var k = 0; k < keyColumns.Count; k++)
        {
            var ordinal = schema.Ordinal(keyColumns[k]);
            var position = layoutKeys.IndexOf(ordinal);
            if (position < 0 || Array.IndexOf(_ordinals, ordinal, 0, k) >= 0)
            {
                throw new QueryException(
                    keyColumns[k], $"Column '{keyColumns[k]}' is not a key of layout '{layout.Name}' of table '{layout.Table.Name}', or is given twice.");
            }

            _ordinals[k] = ordinal;
            _position[k] = position;
        }

        foreach (var ordinal in layoutKeys)
        {
            if (Array.IndexOf(_ordinals, ordinal) < 0)
            {
                var missing = schema[ordinal].Name;
                throw new QueryException(missing, $"Layout '{layout.Name}' of table '{layout.Table.Name}' needs a value for key column '{missing}'.");
            }
        }

        _filters = layout.CompileFilters(filters);
    }

    /// <summary>The layout predicates are bound to.</summary>
    public Layout Layout => _layout;

    /// <summary>Number of key columns.</summary>
    public int KeyCount => _ordinals.Length;

    /// <summary>True when key <paramref name="key"/> is a String column (its values are dictionary codes).</summary>
    public bool IsStringKey(int key) => _layout.Table.Schema[_ordinals[key]].Type == ColumnType.String;

    /// <summary>The code of a String key's value, or -1 when no row of the table holds it (the group is then empty).</summary>
    public long EncodeString(int key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var column = _layout.Table.Schema[_ordinals[key]];
        if (column.Type != ColumnType.String)
        {
            throw _layout.KeyMismatch(column, value);
        }

        return _layout.Table.Dictionary(_ordinals[key]).Find(value);
    }

    /// <summary>A Double key's value, encoded as the layout stores it.</summary>
    public long EncodeNumber(int key, double value)
    {
        var column = _layout.Table.Schema[_ordinals[key]];
        if (column.Type != ColumnType.Double)
        {
            throw _layout.KeyMismatch(column, value.ToString(CultureInfo.InvariantCulture));
        }

        return KeyEncoding.FromDouble(value);
    }

    /// <summary>An Int64, Timestamp (µs) or Double key's integer value, encoded as the layout stores it.</summary>
    public long EncodeInteger(int key, long value)
    {
        var column = _layout.Table.Schema[_ordinals[key]];
        return column.Type switch
        {
            ColumnType.Double => KeyEncoding.FromDouble(value),
            (ColumnType.Int64 or ColumnType.Timestamp) when value != long.MinValue => value,
            _ => throw _layout.KeyMismatch(column, value.ToString(CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>
    /// The predicate for encoded <paramref name="keys"/> (in this binder's key order) and the window [<paramref name="from"/>,
    /// <paramref name="to"/>) (<see cref="long.MinValue"/> / <see cref="long.MaxValue"/>: unbounded). A
    /// <paramref name="reuse"/> bound by this binder is re-targeted and returned instead of a new instance: pass one
    /// only when no cursor reads it any more.
    /// </summary>
    public BoundPredicate Bind(ReadOnlySpan<long> keys, long from, long to, BoundPredicate? reuse = null)
    {
        if (keys.Length != _ordinals.Length)
        {
            throw new QueryException("keys", $"Layout '{_layout.Name}' has {_ordinals.Length} key columns; got {keys.Length} values.");
        }

        if ((from != long.MinValue || to != long.MaxValue) && _layout.Table.TimeOrdinal < 0)
        {
            throw new QueryException(
                from != long.MinValue ? "from" : "to", $"Table '{_layout.Table.Name}' has no time column, so a time window cannot apply.");
        }

        _layout.CheckWindow(from, to);
        Span<long> key = stackalloc long[keys.Length];
        var groupId = 0;
        for (var k = 0; k < keys.Length; k++)
        {
            if (keys[k] < 0 && IsStringKey(k))
            {
                groupId = -1; // a string the column never holds: a valid request for an empty group
            }

            key[_position[k]] = keys[k];
        }

        if (groupId == 0)
        {
            groupId = _layout.FindGroup(key);
        }

        if (reuse is not null && ReferenceEquals(reuse.Layout, _layout) && ReferenceEquals(reuse.Filters, _filters))
        {
            reuse.Retarget(groupId, from, to);
            return reuse;
        }

        return new BoundPredicate(_layout, groupId, from, to, _filters);
    }
}
