using Biathlon.Host.Status;

namespace Biathlon.Host.Tests.Status;

/// <summary>Pipelines and predictions for the status page tests, including names that try to inject markup.</summary>
internal static class StatusPageSamples
{
    public const string HostilePipeline = "<script>alert('pipeline')</script>";
    public const string HostileQuery = "<img src=x onerror=alert(1)>";
    public const string HostileDescription = "\"><b>bold</b> & more";

    public static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<PipelineStatus> Pipelines(string prefix) =>
    [
        new(prefix + "flight-delay", 3, "Arrival delay, minutes", ShadowVersion: 4),
        new(prefix + "sensor-anomaly", 12, null, null),
        new(HostilePipeline, 1, HostileDescription, null),
    ];

    public static IReadOnlyList<RecentPrediction> Predictions(string prefix) =>
    [
        new(Now.AddSeconds(-3), prefix + "flight-delay", 3, false, 12.345, 1.5, 0.962, "BoundMet", 4, 2.84,
            [new("origin_30d", 0.375, 0.12), new("route_30d", 0.5, 0.4), new("all_7d", 0.0, 0.05)]),
        new(Now.AddSeconds(-2), prefix + "sensor-anomaly", 12, true, 0.873, 0, 1, "Exact", 1, 0.123,
            [new("window_mean", 1.0, 1.0)]),
        new(Now.AddSeconds(-1), HostilePipeline, 1, false, -3, 0.25, 0.5, "<MaxRounds>", 20, 15.5,
            [new(HostileQuery, 0.8125, 0.3), new("nan_query", double.NaN, 0.2), new("over_one", 1.7, 1)]),
    ];
}
