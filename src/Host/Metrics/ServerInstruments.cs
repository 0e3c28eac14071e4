using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Biathlon.Host.Metrics;

// Placeholder with the agreed surface; replaced by the metrics work.
internal sealed class ServerInstruments : IDisposable
{
    public const string MeterName = "Biathlon.Host";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<int> _inFlight;
    private readonly UpDownCounter<int> _queue;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _shadow;

    public ServerInstruments()
    {
        _requests = _meter.CreateCounter<long>("biathlon.server.requests");
        _duration = _meter.CreateHistogram<double>("biathlon.server.duration", "s");
        _inFlight = _meter.CreateUpDownCounter<int>("biathlon.server.in_flight");
        _queue = _meter.CreateUpDownCounter<int>("biathlon.server.queue_length");
        _rejected = _meter.CreateCounter<long>("biathlon.server.rejected");
        _shadow = _meter.CreateCounter<long>("biathlon.shadow.comparisons");
    }

    public void RequestCompleted(string pipeline, string endpoint, int status, double seconds)
    {
        _requests.Add(1, new TagList { { "pipeline", pipeline }, { "endpoint", endpoint }, { "status", status } });
        _duration.Record(seconds, new TagList { { "pipeline", pipeline }, { "endpoint", endpoint } });
    }

    public void InFlightChanged(int delta) => _inFlight.Add(delta);

    public void QueueLengthChanged(int delta) => _queue.Add(delta);

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ShadowCompared(string pipeline, bool agreed, double primarySeconds, double shadowSeconds) =>
        _shadow.Add(1, new TagList { { "pipeline", pipeline }, { "agreed", agreed ? "true" : "false" } });

    public void Dispose() => _meter.Dispose();
}
