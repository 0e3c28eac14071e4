namespace Biathlon.Host.Serving;

/// <summary>A shadow's running record for one pipeline: comparisons, agreements, failures, skips and mean latencies.</summary>
internal sealed class ShadowStatistics
{
    private readonly Lock _lock = new();
    private long _compared, _agreed, _failed, _skipped, _version;
    private double _primarySeconds, _shadowSeconds;

    public void Compared(bool agreed, double primarySeconds, double shadowSeconds, long version)
    {
        lock (_lock)
        {
            _compared++;
            _agreed += agreed ? 1 : 0;
            _primarySeconds += primarySeconds;
            _shadowSeconds += shadowSeconds;
            _version = version;
        }
    }

    public void Failed()
    {
        lock (_lock)
        {
            _failed++;
        }
    }

    public void Skipped() => Interlocked.Increment(ref _skipped);

    /// <summary>A consistent copy.</summary>
    public ShadowSummary Snapshot()
    {
        lock (_lock)
        {
            return new ShadowSummary(_version, _compared, _agreed, _failed, Interlocked.Read(ref _skipped),
                _compared == 0 ? 0 : _agreed / (double)_compared,
                _compared == 0 ? 0 : _primarySeconds * 1000 / _compared,
                _compared == 0 ? 0 : _shadowSeconds * 1000 / _compared);
        }
    }
}
