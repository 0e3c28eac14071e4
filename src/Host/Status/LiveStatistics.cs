using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Biathlon.Host.Metrics;

namespace Biathlon.Host.Status;

/// <summary>
/// Live latency percentiles and throughput per pipeline, computed from the metrics themselves: a
/// <see cref="MeterListener"/> on the engine's <c>biathlon.engine.duration</c> and this host's
/// <c>biathlon.server.duration</c> feeds one-minute <see cref="LatencyWindow"/>s. What the status page shows is
/// therefore what /metrics counts, not a second bookkeeping that could disagree with it.
/// </summary>
internal sealed class LiveStatistics : IDisposable
{
    /// <summary>Pipelines tracked at most: tags are names from the registry, the cap only bounds memory.</summary>
    public const int MaxPipelines = 256;

    private static readonly object s_predictions = new();
    private static readonly object s_requests = new();

    private readonly ConcurrentDictionary<string, PipelineWindows> _pipelines = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();
    private readonly Meter _serverMeter;
    private readonly TimeProvider _time;

    public LiveStatistics(ServerInstruments serverInstruments, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(serverInstruments);
        _serverMeter = serverInstruments.Meter;
        _time = time;
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Every pipeline seen in the last minute's measurements (or earlier), ordered by name.</summary>
    public IReadOnlyList<PipelineLiveStatistics> Snapshot()
    {
        var now = NowSecond();
        var result = new List<PipelineLiveStatistics>(_pipelines.Count);
        foreach (var (pipeline, windows) in _pipelines)
        {
            result.Add(new PipelineLiveStatistics(
                pipeline, windows.Predictions.Summarize(now), windows.Requests.Summarize(now)));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Pipeline, b.Pipeline));
        return result;
    }

    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        // The engine's Meter is one per process; the server's is this host's own (tests run several hosts at once).
        if (instrument.Name == EngineMetricNames.Duration && instrument.Meter.Name == EngineMetricNames.MeterName)
        {
            listener.EnableMeasurementEvents(instrument, s_predictions);
        }
        else if (instrument.Name == ServerInstruments.DurationName && ReferenceEquals(instrument.Meter, _serverMeter))
        {
            listener.EnableMeasurementEvents(instrument, s_requests);
        }
    }

    private void OnMeasurement(
        Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var pipeline = PipelineTag(tags);
        if (string.IsNullOrEmpty(pipeline))
        {
            return;
        }

        var now = NowSecond();
        if (!_pipelines.TryGetValue(pipeline, out var windows))
        {
            if (_pipelines.Count >= MaxPipelines)
            {
                return;
            }

            windows = _pipelines.GetOrAdd(pipeline, static (_, second) => new PipelineWindows(second), now);
        }

        var window = ReferenceEquals(state, s_predictions) ? windows.Predictions : windows.Requests;
        window.Record(seconds, now);
    }

    private static string? PipelineTag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "pipeline")
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private long NowSecond() => _time.GetTimestamp() / _time.TimestampFrequency;

    private sealed class PipelineWindows(long nowSecond)
    {
        public LatencyWindow Predictions { get; } = new(nowSecond);

        public LatencyWindow Requests { get; } = new(nowSecond);
    }
}
