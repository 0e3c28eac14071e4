using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Prometheus;

namespace Biathlon.Benchmarks;

/// <summary>Which Prometheus exporter listens to the meters in a metrics benchmark.</summary>
public enum MetricsExporter
{
    /// <summary>No listener: what recording costs when nothing exports.</summary>
    None,

    /// <summary>OpenTelemetry SDK MeterProvider with its ASP.NET Core Prometheus exporter.</summary>
    OpenTelemetry,

    /// <summary>prometheus-net's System.Diagnostics.Metrics adapter (MeterAdapter) on its own registry.</summary>
    PrometheusNet,
}

/// <summary>
/// One exporter set up as the Host would (same meters, same explicit buckets, response cache off) on an unstarted
/// WebApplication, with its /metrics middleware built into a request delegate that a scrape calls directly: the
/// render is measured without a socket in the way.
/// </summary>
internal sealed class PrometheusExporterHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RequestDelegate _scrape;
    private readonly IDisposable? _meterAdapter;
    private readonly MemoryStream _body = new();

    public PrometheusExporterHost(MetricsExporter exporter)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        CollectorRegistry? registry = null;
        if (exporter == MetricsExporter.OpenTelemetry)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
            {
                metrics.AddMeter(EngineInstrumentSet.EngineMeterName, EngineInstrumentSet.HostMeterName);
                foreach (var name in (string[])["biathlon.engine.duration", "biathlon.engine.stage.duration",
                             "biathlon.server.duration", "biathlon.engine.rounds", "biathlon.engine.sample_fraction",
                             "biathlon.engine.confidence"])
                {
                    metrics.AddView(name,
                        new ExplicitBucketHistogramConfiguration { Boundaries = EngineInstrumentSet.BucketsFor(name) });
                }

                metrics.AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0);
            });
        }
        else if (exporter == MetricsExporter.PrometheusNet)
        {
            // Its own registry, so the default registry's process and event-counter collectors stay out of it. The
            // factory must be set as well: MeterAdapterOptions.MetricFactory defaults to the default registry's and,
            // when set, wins over Registry (prometheus-net 8.2.1), which would leave this registry empty.
            registry = Prometheus.Metrics.NewCustomRegistry();
            _meterAdapter = MeterAdapter.StartListening(new MeterAdapterOptions
            {
                Registry = registry,
                MetricFactory = Prometheus.Metrics.WithCustomRegistry(registry),
                InstrumentFilterPredicate = instrument =>
                    instrument.Meter.Name is EngineInstrumentSet.EngineMeterName or EngineInstrumentSet.HostMeterName,
                ResolveHistogramBuckets = instrument =>
                    EngineInstrumentSet.BucketsFor(instrument.Name) ?? MeterAdapterOptions.DefaultHistogramBuckets,
            });
        }

        _app = builder.Build();
        if (exporter == MetricsExporter.OpenTelemetry)
        {
            // Resolving the provider starts its listener (a started host would do this itself).
            _app.Services.GetRequiredService<MeterProvider>();
            _app.UseOpenTelemetryPrometheusScrapingEndpoint();
        }
        else if (registry is not null)
        {
            _app.UseMetricServer("/metrics", registry);
        }

        _scrape = ((IApplicationBuilder)_app).Build();
    }

    /// <summary>Renders /metrics once; returns the body's length in bytes.</summary>
    public async Task<long> ScrapeAsync()
    {
        _body.SetLength(0);
        var context = new DefaultHttpContext { RequestServices = _app.Services };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/metrics";
        context.Response.Body = _body;
        await _scrape(context);
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException("/metrics answered " + context.Response.StatusCode);
        }

        return _body.Length;
    }

    public async ValueTask DisposeAsync()
    {
        _meterAdapter?.Dispose();
        await _app.DisposeAsync();
        await _body.DisposeAsync();
    }
}
