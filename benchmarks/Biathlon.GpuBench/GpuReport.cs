using System.Globalization;
using System.Text;

namespace Biathlon.GpuBench;

// The measurements of one run, written as experiments/reports/gpu.md is laid out.
internal sealed class GpuReport(string device, bool simulated, int cores)
{
    public List<AggregateMeasurement.Row> Aggregates { get; } = [];

    public List<TreeMeasurement.Row> Trees { get; } = [];

    public List<EndToEndMeasurement.Row> EndToEnd { get; } = [];

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"Device: {device}; host CPU cores: {cores}; taken {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        if (simulated)
        {
            md.AppendLine().AppendLine("**Dry run on ILGPU's CPU accelerator at toy sizes: these are not GPU figures.**");
        }

        md.AppendLine().AppendLine("### Aggregation throughput").AppendLine()
            .AppendLine("| Jobs per launch | Rows | Device ms | Rows/s | GB/s | Share of memory bandwidth | SIMD CPU ms | Speed-up |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var a in Aggregates)
        {
            md.AppendLine(c, $"| {a.Jobs:N0} | {a.Rows:N0} | {a.DeviceMs:F3} | {a.RowsPerSecond:E2} | {a.GigabytesPerSecond:F1} | {(double.IsNaN(a.BandwidthShare) ? "n/a" : a.BandwidthShare.ToString("P1", c))} | {a.CpuMs:F3} | {a.CpuMs / a.DeviceMs:F1}× |");
        }

        md.AppendLine().AppendLine("### Tree ensemble").AppendLine()
            .AppendLine("| Evaluator | Trees | Rows | ms | Rows/s |")
            .AppendLine("|---|---:|---:|---:|---:|");
        foreach (var t in Trees)
        {
            md.AppendLine(c, $"| {t.Evaluator} | {t.Trees} | {t.Rows:N0} | {t.Milliseconds:F3} | {t.RowsPerSecond:E2} |");
        }

        md.AppendLine().AppendLine("### End to end (flight-delay)").AppendLine()
            .AppendLine("| Configuration | Callers | Requests | p50 ms | p99 ms | Mean ms | Requests/s | On device | Fallbacks |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var e in EndToEnd)
        {
            md.AppendLine(c, $"| {e.Configuration} | {e.Concurrency} | {e.Requests} | {e.P50Ms:F3} | {e.P99Ms:F3} | {e.MeanMs:F3} | {e.PerSecond:F0} | {e.OnDeviceShare:P0} | {e.Fallbacks} |");
        }

        return md.ToString();
    }
}
