using Biathlon.Sampling.Layouts;

namespace Biathlon.Sampling.Queries;

/// <summary>
/// A <see cref="RowPredicate"/> resolved against one layout: the group id, the time window and compiled filters.
/// Cheap to evaluate per partition. Immutable, so one instance may serve many cursors, with one exception: a
/// <see cref="PredicateBinder"/> re-targets an instance handed back to it for reuse (the caller's promise that no
/// cursor still reads it), so a serving loop binds every request without allocating.
/// </summary>
public sealed class BoundPredicate
{
    internal BoundPredicate(Layout layout, int groupId, long from, long to, CompiledFilter[] filters)
    {
        Layout = layout;
        GroupId = groupId;
        From = from;
        To = to;
        Filters = filters;
    }

    /// <summary>The layout the predicate was bound to.</summary>
    public Layout Layout { get; }

    /// <summary>The group's id in the layout, or -1 when no row has the requested key (every range is then empty).</summary>
    public int GroupId { get; private set; }

    /// <summary>True when some row of the table has the requested key.</summary>
    public bool GroupExists => GroupId >= 0;

    /// <summary>Inclusive start of the time window (<see cref="long.MinValue"/> when unbounded).</summary>
    public long From { get; private set; }

    /// <summary>Exclusive end of the time window (<see cref="long.MaxValue"/> when unbounded).</summary>
    public long To { get; private set; }

    internal CompiledFilter[] Filters { get; }

    /// <summary>True when the predicate has extra filters, evaluated row by row inside the ranges.</summary>
    public bool HasFilters => Filters.Length > 0;

    /// <summary>Points a pooled instance at another group and window (same layout and filters).</summary>
    internal void Retarget(int groupId, long from, long to)
    {
        GroupId = groupId;
        From = from;
        To = to;
    }
}
