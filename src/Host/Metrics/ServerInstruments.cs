using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Biathlon.Host.Metrics;

/// <summary>
/// The server's own instruments (Meter "Biathlon.Host"): requests, latency, concurrency, rejections and shadow
/// comparisons. Tags are strings from small fixed sets, passed in a <see cref="TagList"/> so recording neither boxes
/// nor allocates.
/// </summary>
internal sealed class ServerInstruments : IDisposable
{
    public const string MeterName = "Biathlon.Host";

    public const string RequestsName = "biathlon.server.requests";
    public const string DurationName = "biathlon.server.duration";
    public const string InFlightName = "biathlon.server.in_flight";
    public const string QueueLengthName = "biathlon.server.queue_length";
    public const string RejectedName = "biathlon.server.rejected";
    public const string ShadowComparisonsName = "biathlon.shadow.comparisons";
    public const string ShadowDurationName = "biathlon.shadow.duration";

    // HTTP status codes as tag values, made once each: formatting an int per request would allocate.
    private static readonly string?[] s_statusText = new string?[600];

    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<int> _inFlight;
    private readonly UpDownCounter<int> _queueLength;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _shadowComparisons;
    private readonly Histogram<double> _shadowDuration;

    /// <summary>Creates the instruments on a Meter owned by the host's meter factory (the DI path).</summary>
    public ServerInstruments(IMeterFactory meterFactory)
        : this(meterFactory.Create(new MeterOptions(MeterName)), ownsMeter: false)
    {
    }

    /// <summary>Creates the instruments on a Meter of its own, disposed with this object.</summary>
    public ServerInstruments()
        : this(new Meter(MeterName), ownsMeter: true)
    {
    }

    private ServerInstruments(Meter meter, bool ownsMeter)
    {
        Meter = meter;
        _ownsMeter = ownsMeter;
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.Latency };
        _requests = meter.CreateCounter<long>(
            RequestsName, "{request}", "Requests answered, by pipeline, endpoint and HTTP status.");
        _duration = meter.CreateHistogram(
            DurationName, "s", "Request duration from routing to response.", advice: latency);
        _inFlight = meter.CreateUpDownCounter<int>(InFlightName, "{request}", "Requests being served now.");
        _queueLength = meter.CreateUpDownCounter<int>(
            QueueLengthName, "{request}", "Requests waiting for a serving slot.");
        _rejected = meter.CreateCounter<long>(RejectedName, "{request}", "Requests refused before serving, by reason.");
        _shadowComparisons = meter.CreateCounter<long>(
            ShadowComparisonsName, "{prediction}", "Shadow predictions compared with the primary, by agreement.");
        _shadowDuration = meter.CreateHistogram(
            ShadowDurationName, "s", "Prediction time of the primary and the shadow version.", advice: latency);
    }

    /// <summary>The Meter these instruments belong to (the status page listens to it, not to other hosts').</summary>
    public Meter Meter { get; }

    public void RequestCompleted(string pipeline, string endpoint, int status, double seconds)
    {
        var tags = new TagList { { "pipeline", pipeline }, { "endpoint", endpoint }, { "status", StatusText(status) } };
        _requests.Add(1, tags);
        tags = new TagList { { "pipeline", pipeline }, { "endpoint", endpoint } };
        _duration.Record(seconds, tags);
    }

    public void InFlightChanged(int delta) => _inFlight.Add(delta);

    public void QueueLengthChanged(int delta) => _queueLength.Add(delta);

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ShadowCompared(string pipeline, bool agreed, double primarySeconds, double shadowSeconds)
    {
        _shadowComparisons.Add(1, new TagList { { "pipeline", pipeline }, { "agreed", agreed ? "true" : "false" } });
        _shadowDuration.Record(primarySeconds, new TagList { { "pipeline", pipeline }, { "role", "primary" } });
        _shadowDuration.Record(shadowSeconds, new TagList { { "pipeline", pipeline }, { "role", "shadow" } });
    }

    public void Dispose()
    {
        // A factory's Meter is the factory's to dispose (with the host); only a Meter made here is ours.
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }

    private static string StatusText(int status)
    {
        if ((uint)status >= (uint)s_statusText.Length)
        {
            return status.ToString(CultureInfo.InvariantCulture);
        }

        // A race only formats the same text twice.
        return s_statusText[status] ??= status.ToString(CultureInfo.InvariantCulture);
    }
}
