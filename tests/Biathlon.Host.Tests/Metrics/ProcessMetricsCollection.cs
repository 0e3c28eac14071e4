namespace Biathlon.Host.Tests.Metrics;

/// <summary>
/// Tests that read process-wide, unlabelled series (the server's in-flight and queue gauges) run alone: an exporter
/// listens to every host's Meter of the same name, so another host serving meanwhile would move those series.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMetricsCollection
{
    public const string Name = "Process-wide metrics";
}
