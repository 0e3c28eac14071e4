using BenchmarkDotNet.Attributes;

namespace Biathlon.Benchmarks;

// Chooses the Host's Prometheus exporter by measured overhead (experiments/reports/2026-12-02/server-metrics.md):
// what one served prediction pays to record its metrics (8 histogram records and 2 counter adds with the contract's
// tags; EngineInstrumentSet) with no listener, with OpenTelemetry's MeterProvider and Prometheus exporter, and with
// prometheus-net's MeterAdapter. The scrape side is MetricsScrapeBenchmarks.
public class MetricsRecordingBenchmarks
{
    private EngineInstrumentSet _instruments = null!;
    private PrometheusExporterHost _exporter = null!;

    [Params(MetricsExporter.None, MetricsExporter.OpenTelemetry, MetricsExporter.PrometheusNet)]
    public MetricsExporter Exporter { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _instruments = new EngineInstrumentSet();
        _exporter = new PrometheusExporterHost(Exporter);
        // Every series exists before measuring: the first record of a tag set is a one-off cost in both exporters.
        for (var i = 0; i < EngineInstrumentSet.Combinations * 20; i++)
        {
            _instruments.RecordPrediction();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _exporter.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _instruments.Dispose();
    }

    [Benchmark(Description = "Record one prediction's metrics")]
    public void RecordPrediction() => _instruments.RecordPrediction();
}
