using Biathlon.Sampling.Schema;

namespace Biathlon.Redis;

/// <summary>
/// Where a run of one group's time-ordered rows (of one partition) is cut into segments. A segment takes at least
/// <see cref="RedisStoreOptions.SegmentMinRows"/> rows, then more while they stay within
/// <see cref="RedisStoreOptions.SegmentSpan"/> of its first row's time, and never more than
/// <see cref="RedisStoreOptions.SegmentRows"/>. So a busy group's segments cover short spans (a narrow window fetches
/// little beyond itself), a quiet group's few rows stay in few values, and no value grows unbounded.
/// </summary>
internal readonly struct SegmentCuts(RedisStoreOptions options, ColumnType? timeType)
{
    // The span applies to timestamp columns (microseconds); an integer time column has no known unit.
    private readonly long _span = timeType == ColumnType.Timestamp ? options.SegmentSpan.Ticks / TimeSpan.TicksPerMicrosecond : long.MaxValue;
    private readonly int _min = Math.Min(options.SegmentMinRows, options.SegmentRows);
    private readonly int _max = options.SegmentRows;

    /// <summary>The end of the segment that starts at <paramref name="start"/> of a run ending at <paramref name="end"/>; <paramref name="timeAt"/> gives a row's time (null: no time column).</summary>
    public int Next(int start, int end, Func<int, long>? timeAt)
    {
        var last = Math.Min(end, start + _max);
        if (timeAt is null || _span == long.MaxValue)
        {
            return last;
        }

        var stop = Math.Min(last, start + _min);
        var first = timeAt(start);
        while (stop < last && timeAt(stop) - first < _span)
        {
            stop++;
        }

        return stop;
    }
}
