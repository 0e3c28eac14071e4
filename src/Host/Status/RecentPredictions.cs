namespace Biathlon.Host.Status;

/// <summary>
/// The last <see cref="Capacity"/> predictions, for the status page: a ring buffer behind a lock held for one array
/// write, so serving threads pay O(1) and never wait on a page render for long.
/// </summary>
internal sealed class RecentPredictions
{
    public const int DefaultCapacity = 20;

    private readonly Lock _lock = new();
    private readonly RecentPrediction?[] _ring;
    private long _added;

    public RecentPredictions(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new RecentPrediction?[capacity];
    }

    public int Capacity => _ring.Length;

    public void Add(RecentPrediction p)
    {
        ArgumentNullException.ThrowIfNull(p);
        lock (_lock)
        {
            _ring[_added % _ring.Length] = p;
            _added++;
        }
    }

    /// <summary>The kept predictions, newest first.</summary>
    public IReadOnlyList<RecentPrediction> Snapshot()
    {
        lock (_lock)
        {
            var count = (int)Math.Min(_added, _ring.Length);
            var newestFirst = new RecentPrediction[count];
            for (var i = 0; i < count; i++)
            {
                newestFirst[i] = _ring[(_added - 1 - i) % _ring.Length]!;
            }

            return newestFirst;
        }
    }
}
