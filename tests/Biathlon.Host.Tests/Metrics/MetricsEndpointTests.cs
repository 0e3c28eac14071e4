using Biathlon.Host.Metrics;
using Biathlon.Host.Tests.Status;
using Microsoft.Extensions.DependencyInjection;

namespace Biathlon.Host.Tests.Metrics;

/// <summary>
/// GET /metrics of a real Kestrel server: the engine's and the server's series, their explicit buckets and counts.
/// Every test records under its own pipeline name, because Meters with the same name are listened to process-wide;
/// the class runs alone (<see cref="ProcessMetricsCollection"/>) for the unlabelled gauges.
/// </summary>
[Collection(ProcessMetricsCollection.Name)]
public sealed class MetricsEndpointTests
{
    private static readonly string[] s_latencyBounds = Bounds(HistogramBuckets.Latency);

    [Fact]
    public async Task Engine_series_are_exported_with_the_explicit_buckets_and_counts()
    {
        var pipeline = "metrics-engine-" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await StartAsync();
        FakeEngineInstruments.RecordPrediction(pipeline, 0.0003, rounds: 2, fraction: 0.15, confidence: 0.96);
        FakeEngineInstruments.RecordPrediction(pipeline, 0.002, rounds: 5, fraction: 0.45, confidence: 0.99);
        FakeEngineInstruments.RecordPrediction(pipeline, 0.004, exact: true, rounds: 1, fraction: 1, confidence: 1,
            stopReason: "Exact", rowsRead: 5000);

        var metrics = await ScrapeAsync(app);

        Assert.Equal("histogram", metrics.Types["biathlon_engine_duration_seconds"]);
        var approximate = Histogram(metrics, "biathlon_engine_duration_seconds", ("pipeline", pipeline), ("mode", "approximate"));
        Assert.Equal(s_latencyBounds, approximate.Keys);
        Assert.Equal(0, approximate["0.00025"]);
        Assert.Equal(1, approximate["0.0005"]);
        Assert.Equal(1, approximate["0.001"]);
        Assert.Equal(2, approximate["0.0025"]);
        Assert.Equal(2, approximate["+Inf"]);
        Assert.Equal(2, Single(metrics, "biathlon_engine_duration_seconds_count", ("pipeline", pipeline), ("mode", "approximate")));
        Assert.Equal(0.0023, Single(metrics, "biathlon_engine_duration_seconds_sum", ("pipeline", pipeline), ("mode", "approximate")), 9);
        Assert.Equal(1, Single(metrics, "biathlon_engine_duration_seconds_count", ("pipeline", pipeline), ("mode", "exact")));

        foreach (var stage in (string[])["sampling", "propagation", "planning"])
        {
            var stages = Histogram(metrics, "biathlon_engine_stage_duration_seconds", ("pipeline", pipeline), ("stage", stage));
            Assert.Equal(s_latencyBounds, stages.Keys);
            Assert.Equal(3, stages["+Inf"]);
        }

        var rounds = Histogram(metrics, "biathlon_engine_rounds", ("pipeline", pipeline));
        Assert.Equal(Bounds(HistogramBuckets.Rounds), rounds.Keys);
        Assert.Equal([1, 2, 2, 2, 3], [rounds["1"], rounds["2"], rounds["3"], rounds["4"], rounds["5"]]);

        var fraction = Histogram(metrics, "biathlon_engine_sample_fraction", ("pipeline", pipeline));
        Assert.Equal(Bounds(HistogramBuckets.SampleFraction), fraction.Keys);
        Assert.Equal([0, 1, 2, 3], [fraction["0.1"], fraction["0.2"], fraction["0.5"], fraction["1"]]);

        var confidence = Histogram(metrics, "biathlon_engine_confidence", ("pipeline", pipeline));
        Assert.Equal(Bounds(HistogramBuckets.Confidence), confidence.Keys);
        Assert.Equal([0, 1, 2, 3], [confidence["0.95"], confidence["0.975"], confidence["0.99"], confidence["1"]]);

        Assert.Equal(2, Single(metrics, "biathlon_engine_predictions_total",
            ("pipeline", pipeline), ("mode", "approximate"), ("stop_reason", "BoundMet"), ("shortcut", "false")));
        Assert.Equal(1, Single(metrics, "biathlon_engine_predictions_total",
            ("pipeline", pipeline), ("mode", "exact"), ("stop_reason", "Exact")));
        Assert.Equal(7000, Single(metrics, "biathlon_engine_rows_read_total", ("pipeline", pipeline)));
        Assert.DoesNotContain("summary", metrics.Types.Values);
    }

    [Fact]
    public async Task Server_series_are_exported_and_the_advised_buckets_are_honoured()
    {
        var pipeline = "metrics-server-" + Guid.NewGuid().ToString("N")[..8];
        var reason = "test-" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await StartAsync();
        var server = app.Services.GetRequiredService<ServerInstruments>();
        server.RequestCompleted(pipeline, "predict", 200, 0.0012);
        server.RequestCompleted(pipeline, "predict", 200, 0.03);
        server.RequestCompleted(pipeline, "predict", 400, 0.0001);
        server.InFlightChanged(+2);
        server.InFlightChanged(-1);
        server.QueueLengthChanged(+1);
        server.Rejected(reason);
        server.Rejected(reason);
        server.ShadowCompared(pipeline, agreed: true, 0.001, 0.002);
        server.ShadowCompared(pipeline, agreed: false, 0.001, 0.003);

        var metrics = await ScrapeAsync(app);

        Assert.Equal(2, Single(metrics, "biathlon_server_requests_total", ("pipeline", pipeline), ("endpoint", "predict"), ("status", "200")));
        Assert.Equal(1, Single(metrics, "biathlon_server_requests_total", ("pipeline", pipeline), ("status", "400")));
        // No view for the server's histograms: these buckets come from the instruments' advice alone.
        var duration = Histogram(metrics, "biathlon_server_duration_seconds", ("pipeline", pipeline), ("endpoint", "predict"));
        Assert.Equal(s_latencyBounds, duration.Keys);
        Assert.Equal([1, 2, 3], [duration["0.0001"], duration["0.0025"], duration["0.05"]]);
        // The gauges have no labels, and this host's exporter listens to every host's Meter of that name: a host serving
        // at the same time could end a request this exporter never saw begin. The class runs alone, so none does.
        Assert.Equal("gauge", metrics.Types["biathlon_server_in_flight"]);
        Assert.True(Single(metrics, "biathlon_server_in_flight") >= 1);
        Assert.True(Single(metrics, "biathlon_server_queue_length") >= 1);
        Assert.Equal(2, Single(metrics, "biathlon_server_rejected_total", ("reason", reason)));
        Assert.Equal(1, Single(metrics, "biathlon_shadow_comparisons_total", ("pipeline", pipeline), ("agreed", "true")));
        Assert.Equal(1, Single(metrics, "biathlon_shadow_comparisons_total", ("pipeline", pipeline), ("agreed", "false")));
        var shadow = Histogram(metrics, "biathlon_shadow_duration_seconds", ("pipeline", pipeline), ("role", "shadow"));
        Assert.Equal(s_latencyBounds, shadow.Keys);
        Assert.Equal(2, shadow["0.005"]);
        Assert.Equal(2, Single(metrics, "biathlon_shadow_duration_seconds_count", ("pipeline", pipeline), ("role", "primary")));
    }

    private static Task<LoopbackApp> StartAsync() =>
        LoopbackApp.StartAsync(services => services.AddServerMetrics(), app => app.MapServerMetrics());

    private static async Task<PrometheusText> ScrapeAsync(LoopbackApp app)
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync(app.Url(ServerMetricsRegistration.ScrapePath));
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>One histogram series' cumulative bucket counts, keyed by its le label in exposition order.</summary>
    private static Dictionary<string, double> Histogram(PrometheusText metrics, string family, params (string, string)[] labels)
    {
        var buckets = metrics.Find(family + "_bucket", labels);
        Assert.NotEmpty(buckets);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var bucket in buckets)
        {
            result.Add(Bound(PrometheusText.ParseNumber(bucket.Labels["le"])), bucket.Value);
        }

        return result;
    }

    private static double Single(PrometheusText metrics, string name, params (string, string)[] labels) =>
        Assert.Single(metrics.Find(name, labels)).Value;

    private static string[] Bounds(double[] boundaries) => [.. boundaries.Select(Bound), "+Inf"];

    // Compared as numbers: the exporter may spell 0.00001 as 1E-05.
    private static string Bound(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
