using System.Diagnostics;
using Biathlon.Engine;
using Biathlon.Engine.Compute;

namespace Biathlon.GpuBench;

// Whole requests through the public engine API at 1, 8 and 64 concurrent callers, for each backend configuration:
// the CPU, and the device with cross-request batching on (the default 200 µs wait) and off (0). Each configuration
// loads its own engine, serves every request once to warm up, then each concurrency level serves a fixed number of
// requests (callers take the next request from a shared counter) and reports latency percentiles and throughput.
internal static class EndToEndMeasurement
{
    public sealed record Row(string Configuration, int Concurrency, int Requests, double P50Ms, double P99Ms, double MeanMs, double PerSecond, double OnDeviceShare, int Fallbacks);

    public static List<Row> Run(
        string pipeline, string data, IReadOnlyList<Dictionary<string, object?>> requests, IReadOnlyList<(string Name, EngineOptions Options)> configurations,
        int[] concurrencies, int requestsPerLevel, TextWriter log)
    {
        var rows = new List<Row>();
        foreach (var (name, options) in configurations)
        {
            using var engine = BiathlonEngine.LoadAsync(pipeline, options with { DataDirectory = data }).GetAwaiter().GetResult();
            log.WriteLine($"  {name}: {engine.Compute}");
            foreach (var request in requests)
            {
                engine.Predict(request);
            }

            foreach (var concurrency in concurrencies)
            {
                rows.Add(Level(name, engine, requests, concurrency, requestsPerLevel));
                var r = rows[^1];
                log.WriteLine($"    {concurrency,3} callers: p50 {r.P50Ms:F3} ms, p99 {r.P99Ms:F3} ms, {r.PerSecond:F0} requests/s, on device {r.OnDeviceShare:P0}, fallbacks {r.Fallbacks}");
            }
        }

        return rows;
    }

    private static Row Level(string name, BiathlonEngine engine, IReadOnlyList<Dictionary<string, object?>> requests, int concurrency, int total)
    {
        var latencies = new double[total];
        var onDevice = 0;
        var fallbacks = 0;
        var next = -1;
        var threads = new Thread[concurrency];
        var start = Stopwatch.GetTimestamp();
        for (var t = 0; t < concurrency; t++)
        {
            threads[t] = new Thread(() =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var result = engine.Predict(requests[i % requests.Count]);
                    latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    if (result.Compute.AggregatesOnDevice || result.Compute.ModelOnDevice)
                    {
                        Interlocked.Increment(ref onDevice);
                    }

                    if (result.Compute.Fallback is not null)
                    {
                        Interlocked.Increment(ref fallbacks);
                    }
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Array.Sort(latencies);
        double mean = 0;
        foreach (var l in latencies)
        {
            mean += l / total;
        }

        return new Row(name, concurrency, total, Percentile(latencies, 0.5), Percentile(latencies, 0.99), mean, total / seconds, (double)onDevice / total, fallbacks);
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * (sorted.Length - 1) + 0.5))];

    public static IReadOnlyList<(string Name, EngineOptions Options)> Configurations(ComputeBackend device) =>
    [
        ("cpu", new EngineOptions { Compute = ComputeBackend.Cpu }),
        ($"{ComputeInfo.Name(device)}, batching on (200 µs)", new EngineOptions { Compute = device, ComputeBatchWait = TimeSpan.FromMicroseconds(200) }),
        ($"{ComputeInfo.Name(device)}, batching off", new EngineOptions { Compute = device, ComputeBatchWait = TimeSpan.Zero }),
    ];
}
