namespace Biathlon.Sampling.Layouts;

/// <summary>
/// The distinct key tuples of a layout, sorted, so a tuple's position is its group id. Lookup is a binary search
/// over a flat array: no hashing and no allocation per request.
/// </summary>
internal sealed class GroupIndex
{
    private readonly long[] _keys;

    /// <param name="keys">Row-major tuples, <paramref name="width"/> values each, sorted lexicographically and distinct.</param>
    /// <param name="width">Number of key columns (0 for a layout with a single group).</param>
    public GroupIndex(long[] keys, int width)
    {
        _keys = keys;
        Width = width;
        Count = width == 0 ? 1 : keys.Length / width;
    }

    public int Width { get; }

    public int Count { get; }

    /// <summary>The encoded tuples, row-major.</summary>
    public ReadOnlySpan<long> Keys => _keys;

    /// <summary>The group id of <paramref name="key"/>, or -1 when no row has it.</summary>
    public int Find(ReadOnlySpan<long> key)
    {
        if (Width == 0)
        {
            return 0;
        }

        int lo = 0, hi = Count - 1;
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var cmp = _keys.AsSpan(mid * Width, Width).SequenceCompareTo(key);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }
}
