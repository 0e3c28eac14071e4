namespace Biathlon.Host.Status;

/// <summary>One pipeline's last minute, as read from the metrics.</summary>
/// <param name="Pipeline">Pipeline name (the instruments' "pipeline" tag).</param>
/// <param name="Predictions">Engine predictions (biathlon.engine.duration): latency and predictions per second.</param>
/// <param name="Requests">Server requests (biathlon.server.duration): latency and requests per second.</param>
internal sealed record PipelineLiveStatistics(string Pipeline, LatencySummary Predictions, LatencySummary Requests);
