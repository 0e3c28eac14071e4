using Biathlon.Sampling.Layouts;

namespace Biathlon.Sampling.Queries;

/// <summary>
/// Which rows a feature query reads: key columns equal to given values, the time column within [<see cref="From"/>,
/// <see cref="To"/>), and optional extra filters. Bind it to a layout with <see cref="Layout.Bind"/>.
/// </summary>
public sealed class RowPredicate
{
    /// <summary>Key column → value. The key columns must be exactly the layout's key columns.</summary>
    public IReadOnlyDictionary<string, object?> Keys { get; init; } = new Dictionary<string, object?>();

    /// <summary>Inclusive start of the time window, in the time column's stored unit (microseconds for timestamps); null for no lower bound.</summary>
    public long? From { get; init; }

    /// <summary>Exclusive end of the time window; null for no upper bound.</summary>
    public long? To { get; init; }

    /// <summary>Extra filters, all of which a row must pass.</summary>
    public IReadOnlyList<ColumnFilter> Filters { get; init; } = [];
}
