namespace Biathlon.Sampling.Sources;

/// <summary>
/// One stored piece of a group's rows in one partition of a remote layout: its identity within that (group, partition),
/// its row count and the time span of its rows (both <see cref="long.MinValue"/> when the table has no time column).
/// A segment never changes once written: appends add segments.
/// </summary>
/// <param name="Id">Unique within its (group, partition): bulk-loaded segments count from 0; appended ones carry their batch's id.</param>
/// <param name="Rows">Rows it holds.</param>
/// <param name="MinTime">Earliest row time.</param>
/// <param name="MaxTime">Latest row time.</param>
internal readonly record struct SegmentInfo(ulong Id, int Rows, long MinTime, long MaxTime)
{
    /// <summary>True when some row may fall in the time window [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool Overlaps(long from, long to) => Rows > 0 && MaxTime >= from && MinTime < to;

    /// <summary>
    /// Rows expected in [<paramref name="from"/>, <paramref name="to"/>): all of them when the segment lies inside,
    /// none when outside, else its rows spread evenly over its time span (the index holds no finer detail).
    /// </summary>
    public double EstimateRows(long from, long to)
    {
        if (!Overlaps(from, to))
        {
            return 0;
        }

        if (MinTime >= from && MaxTime < to)
        {
            return Rows;
        }

        // Rows are spread over [MinTime, MaxTime] inclusive; the window covers [lo, hi] of it.
        var span = (double)MaxTime - MinTime + 1;
        var lo = Math.Max((double)from, MinTime);
        var hi = Math.Min((double)to - 1, MaxTime);
        return Rows * Math.Clamp((hi - lo + 1) / span, 0, 1);
    }
}
