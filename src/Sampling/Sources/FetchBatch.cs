using Biathlon.Sampling.Aggregates;

namespace Biathlon.Sampling.Sources;

/// <summary>
/// One round's widenings of remote cursors, gathered so a source fetches them together, and what the fetch cost.
/// Reused request after request (<see cref="Clear"/> keeps its capacity).
/// </summary>
internal sealed class FetchBatch
{
    private readonly List<(SampleCursor Cursor, int Partitions)> _entries = [];

    /// <summary>The widenings: each cursor and the partition count it will widen to.</summary>
    public IReadOnlyList<(SampleCursor Cursor, int Partitions)> Entries => _entries;

    /// <summary>Values (stored segments) fetched from the store, over the batch's lifetime since the last <see cref="Reset"/>.</summary>
    public int Values { get; set; }

    /// <summary>Bytes of those values.</summary>
    public long Bytes { get; set; }

    /// <summary>Segments served from the source's local cache instead.</summary>
    public int CacheHits { get; set; }

    /// <summary>Time spent waiting on the store.</summary>
    public TimeSpan Elapsed { get; set; }

    public void Add(SampleCursor cursor, int partitions) => _entries.Add((cursor, partitions));

    /// <summary>Drops the entries (after a fetch), keeping the counters.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Drops entries and counters, for the next request.</summary>
    public void Reset()
    {
        _entries.Clear();
        Values = 0;
        Bytes = 0;
        CacheHits = 0;
        Elapsed = TimeSpan.Zero;
    }
}
