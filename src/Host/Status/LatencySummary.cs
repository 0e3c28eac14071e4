namespace Biathlon.Host.Status;

/// <summary>Latency and throughput over a sliding window; percentiles are NaN when nothing was recorded.</summary>
/// <param name="Count">Measurements in the window.</param>
/// <param name="PerSecond">Measurements per second over the window (or over the time since the first one, if
/// shorter).</param>
/// <param name="P50">Median, seconds.</param>
/// <param name="P95">95th percentile, seconds.</param>
/// <param name="P99">99th percentile, seconds.</param>
internal readonly record struct LatencySummary(long Count, double PerSecond, double P50, double P95, double P99)
{
    public static LatencySummary Empty => new(0, 0, double.NaN, double.NaN, double.NaN);
}
