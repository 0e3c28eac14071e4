using System.Collections.Concurrent;
using System.Diagnostics;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Redis;

/// <summary>
/// The hot-segment cache: decoded segments by key, bounded in bytes, each kept at most a TTL. Segments never change
/// once written (appends add new ones, a reload writes a new generation under new keys), so a cached segment is never
/// stale; the TTL bounds how long a cold one holds memory. Eviction is first-in first-out once over the byte budget.
/// </summary>
internal sealed class SegmentCache(long capacityBytes, TimeSpan ttl)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _arrivals = new();
    private readonly long _ttlTicks = (long)(ttl.TotalSeconds * Stopwatch.Frequency);
    private long _bytes;

    public bool TryGet(string key, out LayoutPartition rows)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (Stopwatch.GetTimestamp() < entry.ExpiresAt)
            {
                rows = entry.Rows;
                return true;
            }

            Remove(key);
        }

        rows = null!;
        return false;
    }

    public void Add(string key, LayoutPartition rows, int bytes)
    {
        // One segment may take at most a quarter of the budget, so a single huge value cannot flush everything else.
        if (capacityBytes == 0 || bytes > capacityBytes / 4)
        {
            return;
        }

        if (!_entries.TryAdd(key, new Entry(rows, bytes, Stopwatch.GetTimestamp() + _ttlTicks)))
        {
            return;
        }

        Interlocked.Add(ref _bytes, bytes);
        _arrivals.Enqueue(key);
        while (Interlocked.Read(ref _bytes) > capacityBytes && _arrivals.TryDequeue(out var oldest))
        {
            Remove(oldest);
        }
    }

    private void Remove(string key)
    {
        if (_entries.TryRemove(key, out var entry))
        {
            Interlocked.Add(ref _bytes, -entry.Bytes);
        }
    }

    private sealed record Entry(LayoutPartition Rows, int Bytes, long ExpiresAt);
}
