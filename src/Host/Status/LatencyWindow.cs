namespace Biathlon.Host.Status;

/// <summary>
/// A sliding window of the last <see cref="WindowSeconds"/> seconds of durations: a ring of per-second slots, each a
/// set of <see cref="LatencyBuckets"/> counts, so memory is fixed (60 × 216 counters) however busy the server is.
/// Recording is one interlocked increment; a slot is cleared under its lock when its second comes round again.
/// </summary>
internal sealed class LatencyWindow
{
    public const int WindowSeconds = 60;

    private readonly Slot[] _slots = new Slot[WindowSeconds];
    private readonly long _firstSecond;

    public LatencyWindow(long nowSecond)
    {
        _firstSecond = nowSecond;
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
        }
    }

    public void Record(double seconds, long nowSecond)
    {
        var slot = _slots[SlotIndex(nowSecond)];
        if (Volatile.Read(ref slot.Second) != nowSecond)
        {
            slot.StartSecond(nowSecond);
        }

        Interlocked.Increment(ref slot.Counts[LatencyBuckets.IndexOf(seconds)]);
    }

    public LatencySummary Summarize(long nowSecond)
    {
        Span<long> counts = stackalloc long[LatencyBuckets.Count];
        counts.Clear();
        long total = 0;
        foreach (var slot in _slots)
        {
            var second = Volatile.Read(ref slot.Second);
            if (second <= nowSecond - WindowSeconds || second > nowSecond)
            {
                continue;
            }

            for (var i = 0; i < counts.Length; i++)
            {
                var count = Volatile.Read(ref slot.Counts[i]);
                counts[i] += count;
                total += count;
            }
        }

        if (total == 0)
        {
            return LatencySummary.Empty;
        }

        // A window younger than a minute divides by its own age, so a fresh server does not under-report.
        var span = Math.Clamp(nowSecond - _firstSecond + 1, 1, WindowSeconds);
        return new LatencySummary(
            total,
            (double)total / span,
            Percentile(counts, total, 0.50),
            Percentile(counts, total, 0.95),
            Percentile(counts, total, 0.99));
    }

    private static int SlotIndex(long second) => (int)(((second % WindowSeconds) + WindowSeconds) % WindowSeconds);

    private static double Percentile(ReadOnlySpan<long> counts, long total, double quantile)
    {
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return LatencyBuckets.Midpoint(i);
            }
        }

        return LatencyBuckets.Midpoint(counts.Length - 1);
    }

    private sealed class Slot
    {
        public readonly int[] Counts = new int[LatencyBuckets.Count];
        public long Second = long.MinValue;
        private readonly Lock _lock = new();

        public void StartSecond(long second)
        {
            lock (_lock)
            {
                if (Second == second)
                {
                    return;
                }

                // A measurement racing this clear may be lost or land in the new second: fine for a status page.
                Array.Clear(Counts);
                Volatile.Write(ref Second, second);
            }
        }
    }
}
