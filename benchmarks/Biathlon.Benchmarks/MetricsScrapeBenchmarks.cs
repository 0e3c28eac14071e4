using BenchmarkDotNet.Attributes;

namespace Biathlon.Benchmarks;

// The other half of the exporter choice (MetricsRecordingBenchmarks): rendering /metrics through each exporter's
// ASP.NET Core middleware, called as a request delegate (no socket), for the series a small server keeps: 5 pipelines,
// 30 tag combinations of the engine's instruments, about 45 histogram series with the Host's explicit buckets.
public class MetricsScrapeBenchmarks
{
    private EngineInstrumentSet _instruments = null!;
    private PrometheusExporterHost _exporter = null!;

    [Params(MetricsExporter.OpenTelemetry, MetricsExporter.PrometheusNet)]
    public MetricsExporter Exporter { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _instruments = new EngineInstrumentSet();
        _exporter = new PrometheusExporterHost(Exporter);
        for (var i = 0; i < EngineInstrumentSet.Combinations * 20; i++)
        {
            _instruments.RecordPrediction();
        }

        var bytes = await _exporter.ScrapeAsync();
        Console.WriteLine($"// {Exporter}: /metrics is {bytes:N0} bytes");
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _exporter.DisposeAsync();
        _instruments.Dispose();
    }

    [Benchmark(Description = "Scrape /metrics")]
    public Task<long> Scrape() => _exporter.ScrapeAsync();
}
