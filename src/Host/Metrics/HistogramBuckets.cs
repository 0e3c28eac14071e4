namespace Biathlon.Host.Metrics;

/// <summary>
/// Explicit histogram bucket boundaries for every histogram the Host exports. Prometheus histograms are aggregated
/// across instances by summing buckets, so the boundaries are fixed here rather than left to each exporter's default.
/// </summary>
internal static class HistogramBuckets
{
    /// <summary>
    /// Seconds, 10 µs to 10 s in 1-2.5-5 steps: small pipelines answer in about 0.1 ms and their stages in tens of
    /// microseconds, a deadline-bound request in seconds.
    /// </summary>
    public static readonly double[] Latency =
    [
        0.00001, 0.000025, 0.00005,
        0.0001, 0.00025, 0.0005,
        0.001, 0.0025, 0.005,
        0.01, 0.025, 0.05,
        0.1, 0.25, 0.5,
        1, 2.5, 5, 10,
    ];

    /// <summary>Sampling rounds per prediction: one bucket per round to 10, then every second to 20.</summary>
    public static readonly double[] Rounds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20];

    /// <summary>Final sampled share of rows (0..1); finer at the small fractions where answers stop.</summary>
    public static readonly double[] SampleFraction = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

    /// <summary>Achieved confidence (0.5..1); finer near the usual targets τ = 0.95 and 0.99.</summary>
    public static readonly double[] Confidence = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.999, 1];
}
