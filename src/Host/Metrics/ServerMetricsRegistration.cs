using Biathlon.Host.Status;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Biathlon.Host.Metrics;

/// <summary>
/// Wires the Host's metrics: <see cref="ServerInstruments"/>, OpenTelemetry's Prometheus exporter for the engine's and
/// the server's meters (chosen over prometheus-net by measured recording overhead:
/// experiments/reports/2026-12-02/server-metrics.md), and the status page's live statistics.
/// </summary>
internal static class ServerMetricsRegistration
{
    public const string ScrapePath = "/metrics";

    /// <summary>The service name on target_info (without it the exporter says "unknown_service").</summary>
    public const string ServiceName = "biathlon-host";

    /// <summary>Registers the instruments, the exporter and the status page's services.</summary>
    public static IServiceCollection AddServerMetrics(
        this IServiceCollection services, Action<StatusPageOptions>? configureStatusPage = null)
    {
        services.TryAddSingleton<ServerInstruments>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(ConfigureMetrics);
        services.AddStatusPage(configureStatusPage);
        return services;
    }

    /// <summary>Maps GET /metrics: both meters in Prometheus text format.</summary>
    public static IEndpointConventionBuilder MapServerMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(ScrapePath);

    private static void ConfigureMetrics(MeterProviderBuilder metrics) => metrics
        .AddMeter(EngineMetricNames.MeterName, ServerInstruments.MeterName)
        // The engine's buckets are fixed here too, so what /metrics shows does not depend on the engine's advice.
        .AddView(EngineMetricNames.Duration, Buckets(HistogramBuckets.Latency))
        .AddView(EngineMetricNames.StageDuration, Buckets(HistogramBuckets.Latency))
        .AddView(EngineMetricNames.Rounds, Buckets(HistogramBuckets.Rounds))
        .AddView(EngineMetricNames.SampleFraction, Buckets(HistogramBuckets.SampleFraction))
        .AddView(EngineMetricNames.Confidence, Buckets(HistogramBuckets.Confidence))
        .AddPrometheusExporter(exporter =>
        {
            // Every scrape sees the current values; Prometheus scrapes seconds apart, so a cache buys nothing.
            exporter.ScrapeResponseCacheDurationMilliseconds = 0;
        });

    private static ExplicitBucketHistogramConfiguration Buckets(double[] boundaries) =>
        new() { Boundaries = boundaries };
}
