using System.Diagnostics;
using HdrHistogram;

namespace Biathlon.Experiments.Load;

/// <summary>
/// One cell of the load test (pipeline × mode × audit × clients): throughput, round-trip latency of the 200 answers
/// (mean and standard deviation over every request; percentiles from an HdrHistogram at 1 µs resolution, 3 significant
/// digits), the engine's own time, the server's overhead (round trip − engine time, per request), and errors by status.
/// </summary>
public sealed record LoadCell
{
    public required string Pipeline { get; init; }

    public required string Mode { get; init; }

    public required string Audit { get; init; }

    public required int Clients { get; init; }

    /// <summary>Whether every 200 answer carried <c>X-Audit-Sequence</c> (the server audited it).</summary>
    public required bool Audited { get; init; }

    public required double WindowSeconds { get; init; }

    /// <summary>200 answers in the window.</summary>
    public required int Requests { get; init; }

    /// <summary>Other answers in the window.</summary>
    public required int Errors { get; init; }

    /// <summary>Errors by status ("0": no HTTP answer).</summary>
    public required IReadOnlyDictionary<string, int> ErrorsByStatus { get; init; }

    /// <summary>200 answers per second of the window.</summary>
    public required double Throughput { get; init; }

    public required double MeanMs { get; init; }

    public required double StdDevMs { get; init; }

    public required double P50Ms { get; init; }

    public required double P99Ms { get; init; }

    public required double P999Ms { get; init; }

    public required double MaxMs { get; init; }

    /// <summary>Median of the engine's <c>timings.totalMs</c>.</summary>
    public required double EngineP50Ms { get; init; }

    /// <summary>Median over requests of (round trip − engine time): HTTP, Kestrel, parsing, admission (queueing), serialization, the client.</summary>
    public required double OverheadP50Ms { get; init; }

    /// <summary>99th percentile of the same.</summary>
    public required double OverheadP99Ms { get; init; }

    /// <summary>Share of all cores' time that processes other than the load test and its servers took during the cell (warm-up included); NaN when unknown.</summary>
    public double OtherCpuShare { get; init; } = double.NaN;

    /// <summary>Throughput ÷ the same pipeline, mode and audit's at one client (null without such a cell).</summary>
    public double? ScalingVsOneClient { get; init; }

    /// <summary>This cell's p50 − the same pipeline, mode and clients' p50 with audit off (audit on cells only).</summary>
    public double? AuditDeltaP50Ms { get; init; }

    /// <summary>Summarises one cell's samples.</summary>
    public static LoadCell From(string pipeline, LoadMode mode, AuditSetting audit, int clients, CellSamples measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        var ok = measured.Samples.Where(s => s.Status == 200).ToArray();
        var errors = measured.Samples.Where(s => s.Status != 200)
            .GroupBy(s => s.Status)
            .OrderBy(g => g.Key)
            .ToDictionary(g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g => g.Count());
        var histogram = new LongHistogram(1, 600_000_000, 3); // 1 µs to 10 minutes
        foreach (var s in ok)
        {
            histogram.RecordValue(Microseconds(s.RoundTripTicks));
        }

        var latencies = ok.Select(s => s.RoundTripMs).ToArray();
        var mean = latencies.Length > 0 ? latencies.Average() : double.NaN;
        var sd = latencies.Length > 1 ? Math.Sqrt(latencies.Sum(x => (x - mean) * (x - mean)) / (latencies.Length - 1)) : double.NaN;
        var engine = ok.Select(s => s.EngineMs).Where(double.IsFinite).Order().ToArray();
        var overhead = ok.Where(s => double.IsFinite(s.EngineMs)).Select(s => s.RoundTripMs - s.EngineMs).Order().ToArray();
        return new LoadCell
        {
            Pipeline = pipeline,
            Mode = LoadNames.Of(mode),
            Audit = LoadNames.Of(audit),
            Clients = clients,
            Audited = ok.Length > 0 && ok.All(s => s.Audited),
            WindowSeconds = measured.Window.TotalSeconds,
            Requests = ok.Length,
            Errors = measured.Samples.Count - ok.Length,
            ErrorsByStatus = errors,
            Throughput = ok.Length / measured.Window.TotalSeconds,
            MeanMs = mean,
            StdDevMs = sd,
            P50Ms = Percentile(histogram, 50),
            P99Ms = Percentile(histogram, 99),
            P999Ms = Percentile(histogram, 99.9),
            MaxMs = ok.Length > 0 ? histogram.GetMaxValue() / 1000.0 : double.NaN,
            EngineP50Ms = Median(engine),
            OverheadP50Ms = Median(overhead),
            OverheadP99Ms = Quantile(overhead, 0.99),
        };
    }

    /// <summary>"none", or "429: 3, 503: 1".</summary>
    public string ErrorSummary() =>
        ErrorsByStatus.Count == 0 ? "none" : string.Join(", ", ErrorsByStatus.Select(e => $"{(e.Key == "0" ? "no answer" : e.Key)}: {e.Value}"));

    private static long Microseconds(long ticks) => Math.Max(1, (long)Math.Round(ticks * 1_000_000.0 / Stopwatch.Frequency));

    private static double Percentile(LongHistogram histogram, double percentile) =>
        histogram.TotalCount > 0 ? histogram.GetValueAtPercentile(percentile) / 1000.0 : double.NaN;

    private static double Median(double[] sorted) => Quantile(sorted, 0.5);

    /// <summary>The <paramref name="q"/> quantile of sorted values (linear interpolation); NaN when empty.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }
}
