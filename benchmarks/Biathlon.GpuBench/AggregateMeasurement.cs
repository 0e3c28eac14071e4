using Apache.Arrow;
using Biathlon.Compute.Aggregates;
using Biathlon.Compute.Devices;
using Biathlon.Sampling.Aggregates.Offload;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.GpuBench;

// Aggregation throughput: one resident column of random doubles (synthetic on purpose: throughput does not depend on
// the values, and a synthetic column can be as large as the device allows) in one partition, reduced by the moments
// kernel as 1, 64 and 4,096 jobs covering the same rows, one Execute per batch (jobs uploaded, kernel, results
// downloaded and converted: what a widening pays). Each figure is the median of several runs after a warm-up, beside
// the SIMD CPU executor on the same jobs. GB/s counts each row's 8 bytes once; the moments kernel reads them twice
// (a mean pass, then centred sums), so its traffic is twice that.
internal static class AggregateMeasurement
{
    public sealed record Row(int Jobs, long Rows, double DeviceMs, double RowsPerSecond, double GigabytesPerSecond, double BandwidthShare, double CpuMs);

    public static List<Row> Run(ComputeDevice device, bool quick, TextWriter log)
    {
        var rows = quick ? 1 << 14 : 1 << 26;
        var table = Build(rows);
        var layout = table.GetLayout("all");
        var ordinal = table.Schema.Ordinal("x");
        using var store = new DeviceColumnStore(device);
        store.Upload(layout, [ordinal]);
        using var gpu = new GpuAggregateExecutor(device, store);
        var cpu = new SimdAggregateExecutor();
        var bandwidth = Bandwidth(device);
        var results = new List<Row>();
        // The CPU simulator runs a group's threads one by one: 4,096 jobs would take seconds there for nothing.
        foreach (var count in quick ? new[] { 1, 64 } : [1, 64, 4096])
        {
            var jobs = Jobs(layout, ordinal, rows, count);
            var output = new ColumnJobResults();
            var deviceMs = Timing.MedianMilliseconds(() => gpu.Execute(jobs, output), quick ? 2 : 20);
            var cpuMs = Timing.MedianMilliseconds(() => cpu.Execute(jobs, output), quick ? 2 : 5);
            var perSecond = rows / (deviceMs / 1000);
            var gbs = perSecond * sizeof(double) / 1e9;
            results.Add(new Row(count, rows, deviceMs, perSecond, gbs, gbs / bandwidth, cpuMs));
            log.WriteLine($"  {count,5} jobs over {rows:N0} rows: device {deviceMs:F3} ms ({gbs:F1} GB/s), SIMD CPU {cpuMs:F3} ms");
        }

        return results;
    }

    // The device's memory bandwidth in GB/s, for the share column: the data sheets' figures, by name; NaN when unknown.
    private static double Bandwidth(ComputeDevice device) =>
        device.Name.Contains("H200", StringComparison.OrdinalIgnoreCase) ? 4800
        : device.Name.Contains("H100", StringComparison.OrdinalIgnoreCase) ? 3350
        : double.NaN;

    private static ColumnRangeJob[] Jobs(Layout layout, int ordinal, int rows, int count)
    {
        var jobs = new ColumnRangeJob[count];
        for (var j = 0; j < count; j++)
        {
            var start = (int)((long)j * rows / count);
            var end = (int)((long)(j + 1) * rows / count);
            jobs[j] = new ColumnRangeJob(layout, 0, ordinal, -1, new RowRange(start, end), ColumnJobKind.Moments);
        }

        return jobs;
    }

    private static PartitionedTable Build(int rows)
    {
        var random = new Random(7);
        var t = new Int64Array.Builder().Reserve(rows);
        var x = new DoubleArray.Builder().Reserve(rows);
        for (var i = 0; i < rows; i++)
        {
            t.Append(i);
            x.Append(1000 + 50 * random.NextDouble());
        }

        var batch = new RecordBatch.Builder().Append("t", false, t.Build()).Append("x", false, x.Build()).Build();
        return PartitionedTable.Build(ArrowTableReader.Read([batch], "synthetic"), new TableOptions
        {
            Name = "synthetic",
            Partitions = 1,
            Seed = 1,
            TimeColumn = "t",
            Layouts = [new LayoutSpec("all", [])],
        });
    }
}
