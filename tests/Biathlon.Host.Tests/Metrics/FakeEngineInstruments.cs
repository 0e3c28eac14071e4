using System.Diagnostics;
using System.Diagnostics.Metrics;
using Biathlon.Host.Metrics;

namespace Biathlon.Host.Tests.Metrics;

/// <summary>
/// Stands in for the engine's instruments (Meter "Biathlon.Engine", same names, units and tags as the engine's
/// contract), recording one prediction the way the engine does. One Meter per test process, so parallel tests do not
/// publish the same instrument twice; tests keep apart by recording under their own pipeline names. No bucket advice:
/// the Host's views must supply the buckets.
/// </summary>
internal static class FakeEngineInstruments
{
    private static readonly Meter s_meter = new(EngineMetricNames.MeterName);
    private static readonly Histogram<double> s_duration = s_meter.CreateHistogram<double>(EngineMetricNames.Duration, "s");
    private static readonly Histogram<double> s_stageDuration =
        s_meter.CreateHistogram<double>(EngineMetricNames.StageDuration, "s");
    private static readonly Histogram<int> s_rounds = s_meter.CreateHistogram<int>(EngineMetricNames.Rounds);
    private static readonly Histogram<double> s_sampleFraction =
        s_meter.CreateHistogram<double>(EngineMetricNames.SampleFraction);
    private static readonly Histogram<double> s_confidence = s_meter.CreateHistogram<double>(EngineMetricNames.Confidence);
    private static readonly Counter<long> s_predictions = s_meter.CreateCounter<long>(EngineMetricNames.Predictions);
    private static readonly Counter<long> s_rowsRead = s_meter.CreateCounter<long>(EngineMetricNames.RowsRead);

    public static void RecordPrediction(
        string pipeline, double seconds, bool exact = false, int rounds = 3, double fraction = 0.1,
        double confidence = 0.97, string stopReason = "BoundMet", long rowsRead = 1000)
    {
        var mode = exact ? "exact" : "approximate";
        s_duration.Record(seconds, new TagList { { "pipeline", pipeline }, { "mode", mode } });
        s_stageDuration.Record(seconds * 0.5, new TagList { { "pipeline", pipeline }, { "stage", "sampling" } });
        s_stageDuration.Record(seconds * 0.3, new TagList { { "pipeline", pipeline }, { "stage", "propagation" } });
        s_stageDuration.Record(seconds * 0.1, new TagList { { "pipeline", pipeline }, { "stage", "planning" } });
        var byPipeline = new KeyValuePair<string, object?>("pipeline", pipeline);
        s_rounds.Record(rounds, byPipeline);
        s_sampleFraction.Record(fraction, byPipeline);
        s_confidence.Record(confidence, byPipeline);
        s_predictions.Add(1, new TagList
        {
            { "pipeline", pipeline }, { "mode", mode }, { "stop_reason", stopReason }, { "shortcut", "false" },
        });
        s_rowsRead.Add(rowsRead, byPipeline);
    }
}
