using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Biathlon.Benchmarks;

/// <summary>
/// The metrics one served prediction records, on Meters named as in production ("Biathlon.Engine" and
/// "Biathlon.Host"): engine duration and the server's request duration, three stage durations, rounds, sample
/// fraction, confidence (8 histogram records) and the predictions and rows-read counters (2 adds), each with the
/// contract's tags. Tag values cycle through 5 pipelines × 2 modes × 3 stop reasons, so an exporter keeps as many
/// series as a small server does. Also the bucket boundaries both exporters are given, the Host's.
/// </summary>
internal sealed class EngineInstrumentSet : IDisposable
{
    public const string EngineMeterName = "Biathlon.Engine";
    public const string HostMeterName = "Biathlon.Host";

    public static readonly double[] LatencyBuckets =
    [
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10,
    ];

    public static readonly double[] RoundBuckets = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20];
    public static readonly double[] FractionBuckets = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
    public static readonly double[] ConfidenceBuckets = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.999, 1];

    private static readonly string[] s_pipelines =
        ["flight-delay", "flight-late", "pm10-forecast", "fx-next-price", "sensor-anomaly"];

    private static readonly string[] s_modes = ["approximate", "exact"];
    private static readonly string[] s_stopReasons = ["BoundMet", "MaxRounds", "ExactShortcut"];

    private readonly Meter _engine = new(EngineMeterName);
    private readonly Meter _host = new(HostMeterName);
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<int> _rounds;
    private readonly Histogram<double> _sampleFraction;
    private readonly Histogram<double> _confidence;
    private readonly Counter<long> _predictions;
    private readonly Counter<long> _rowsRead;
    private int _next;

    public EngineInstrumentSet()
    {
        _duration = _engine.CreateHistogram<double>("biathlon.engine.duration", "s");
        _stageDuration = _engine.CreateHistogram<double>("biathlon.engine.stage.duration", "s");
        _rounds = _engine.CreateHistogram<int>("biathlon.engine.rounds");
        _sampleFraction = _engine.CreateHistogram<double>("biathlon.engine.sample_fraction");
        _confidence = _engine.CreateHistogram<double>("biathlon.engine.confidence");
        _predictions = _engine.CreateCounter<long>("biathlon.engine.predictions");
        _rowsRead = _engine.CreateCounter<long>("biathlon.engine.rows_read");
        _requestDuration = _host.CreateHistogram<double>("biathlon.server.duration", "s");
    }

    /// <summary>Distinct tag combinations <see cref="RecordPrediction"/> cycles through.</summary>
    public static int Combinations => s_pipelines.Length * s_modes.Length * s_stopReasons.Length;

    /// <summary>The buckets for an instrument, as the Host's views set them (null: not a histogram we export).</summary>
    public static double[]? BucketsFor(string instrumentName) => instrumentName switch
    {
        "biathlon.engine.duration" or "biathlon.engine.stage.duration" or "biathlon.server.duration" => LatencyBuckets,
        "biathlon.engine.rounds" => RoundBuckets,
        "biathlon.engine.sample_fraction" => FractionBuckets,
        "biathlon.engine.confidence" => ConfidenceBuckets,
        _ => null,
    };

    public void RecordPrediction()
    {
        var i = _next++;
        var pipeline = s_pipelines[i % s_pipelines.Length];
        var mode = s_modes[i / s_pipelines.Length % s_modes.Length];
        var stopReason = s_stopReasons[i / (s_pipelines.Length * s_modes.Length) % s_stopReasons.Length];
        // Values move across buckets as real ones do; none of this allocates.
        var seconds = 0.0001 + ((i & 63) * 0.00005);
        var byPipeline = new KeyValuePair<string, object?>("pipeline", pipeline);

        _duration.Record(seconds, new TagList { { "pipeline", pipeline }, { "mode", mode } });
        _requestDuration.Record(seconds * 1.1, new TagList { { "pipeline", pipeline }, { "endpoint", "predict" } });
        _stageDuration.Record(seconds * 0.5, new TagList { { "pipeline", pipeline }, { "stage", "sampling" } });
        _stageDuration.Record(seconds * 0.3, new TagList { { "pipeline", pipeline }, { "stage", "propagation" } });
        _stageDuration.Record(seconds * 0.1, new TagList { { "pipeline", pipeline }, { "stage", "planning" } });
        _rounds.Record(1 + (i & 7), byPipeline);
        _sampleFraction.Record(((i & 15) + 1) / 16.0, byPipeline);
        _confidence.Record(0.9 + ((i & 7) * 0.01), byPipeline);
        _predictions.Add(1, new TagList
        {
            { "pipeline", pipeline }, { "mode", mode }, { "stop_reason", stopReason }, { "shortcut", "false" },
        });
        _rowsRead.Add(1_000 + (i & 1_023), byPipeline);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _host.Dispose();
    }
}
