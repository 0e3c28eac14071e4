using System.Diagnostics;
using System.Diagnostics.Metrics;
using Biathlon.Planner.Planning;

namespace Biathlon.Engine.Diagnostics;

/// <summary>
/// The engine's metrics and traces, for whoever hosts it to export: a <see cref="Meter"/> and an
/// <see cref="ActivitySource"/> named <see cref="Name"/>. Every prediction records its latency (total and per stage),
/// rounds, final sample fraction, achieved confidence, rows read and a count tagged with its stop reason and whether
/// it took the exact shortcut. Tags are low-cardinality: the pipeline name, the mode, the stage, the stop reason.
/// With no listener attached, recording costs a few nanoseconds per instrument.
/// </summary>
public static class EngineInstruments
{
    /// <summary>The name of the engine's <see cref="Meter"/> and <see cref="ActivitySource"/>: <c>Biathlon.Engine</c>.</summary>
    public const string Name = "Biathlon.Engine";

    private static readonly double[] s_latencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Meter s_meter = new(Name, "1.0");

    /// <summary>The engine's traces: one <c>biathlon.predict</c> activity per prediction when a listener samples it.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, "1.0");

    internal static Histogram<double> Duration { get; } = s_meter.CreateHistogram(
        "biathlon.engine.duration", "s", "Time the engine spent on one prediction.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });

    internal static Histogram<double> StageDuration { get; } = s_meter.CreateHistogram(
        "biathlon.engine.stage.duration", "s", "Time one prediction spent in a stage: sampling, propagation or planning.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });

    internal static Histogram<int> Rounds { get; } = s_meter.CreateHistogram(
        "biathlon.engine.rounds", "{round}", "Rounds one prediction took.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20] });

    internal static Histogram<double> SampleFraction { get; } = s_meter.CreateHistogram(
        "biathlon.engine.sample_fraction", "1", "Share of the queries' rows read by the end of one prediction.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1] });

    internal static Histogram<double> Confidence { get; } = s_meter.CreateHistogram(
        "biathlon.engine.confidence", "1", "Achieved confidence of one prediction's bound.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1] });

    internal static Counter<long> Predictions { get; } = s_meter.CreateCounter<long>(
        "biathlon.engine.predictions", "{prediction}", "Predictions served, by mode, stop reason and exact shortcut.");

    internal static Counter<long> RowsRead { get; } = s_meter.CreateCounter<long>(
        "biathlon.engine.rows_read", "{row}", "Table rows the predictions read.");

    internal static Counter<long> ComputeFallbacks { get; } = s_meter.CreateCounter<long>(
        "biathlon.engine.compute.fallbacks", "{fallback}",
        "Device work that ran on the CPU instead, by pipeline, stage (aggregates, model) and reason (memory, device).");

    internal static ObservableGauge<long> DeviceMemory { get; } = s_meter.CreateObservableGauge(
        "biathlon.engine.compute.device_memory", Compute.SharedDevices.MemoryInUse, "By",
        "Device memory the engines hold now (columns, model arrays, launch buffers), per device, with the budget's limit as a tag.");

    internal static Histogram<int> ComputeBatchSize { get; } = s_meter.CreateHistogram(
        "biathlon.engine.compute.batch_size", "{request}", "Requests whose work shared one device launch, by stage (aggregates, model).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    internal static Counter<long> StoreBytes { get; } = s_meter.CreateCounter<long>(
        "biathlon.engine.store.bytes", "By", "Bytes of segments the predictions fetched from a remote store, by pipeline and mode.");

    internal static Counter<long> StoreValues { get; } = s_meter.CreateCounter<long>(
        "biathlon.engine.store.values", "{value}", "Segments fetched from a remote store (result \"fetched\") or served by the hot-segment cache (\"cached\"), by pipeline.");

    internal static Histogram<double> StoreWait { get; } = s_meter.CreateHistogram(
        "biathlon.engine.store.wait", "s", "Time a prediction waited on its remote store, by pipeline.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    internal static ObservableGauge<double> StoreIndexAge { get; } = s_meter.CreateObservableGauge(
        "biathlon.engine.store.index_age", StoreIndexAges.Measure, "s",
        "Seconds since each remote table's local indexes were last confirmed current against its store, by pipeline and table: below the store's CacheTtl while its refreshes succeed; while it grows, appends made meanwhile are not served.");

    /// <summary>Records one finished prediction. Called once per request, after the result is built.</summary>
    internal static void Record(string pipeline, bool exactRequest, PredictionResult result)
    {
        var mode = exactRequest ? "exact" : "approximate";
        var timings = result.Timings;
        if (Duration.Enabled)
        {
            Duration.Record(timings.Total.TotalSeconds, new TagList { { "pipeline", pipeline }, { "mode", mode } });
        }

        if (StageDuration.Enabled)
        {
            StageDuration.Record(timings.Sampling.TotalSeconds, new TagList { { "pipeline", pipeline }, { "stage", "sampling" } });
            StageDuration.Record(timings.Propagation.TotalSeconds, new TagList { { "pipeline", pipeline }, { "stage", "propagation" } });
            StageDuration.Record(timings.Planning.TotalSeconds, new TagList { { "pipeline", pipeline }, { "stage", "planning" } });
        }

        var tag = new KeyValuePair<string, object?>("pipeline", pipeline);
        Rounds.Record(result.Rounds, tag);
        Confidence.Record(result.Confidence, tag);
        if (SampleFraction.Enabled || RowsRead.Enabled)
        {
            long scanned = 0, estimated = 0;
            var queries = result.Queries;
            for (var i = 0; i < queries.Count; i++)
            {
                scanned += queries[i].RowsScanned;
                estimated += queries[i].EstimatedRows;
            }

            SampleFraction.Record(estimated > 0 ? Math.Min(1.0, (double)scanned / estimated) : 1.0, tag);
            RowsRead.Add(scanned, tag);
        }

        if (result.Store.Store is not null)
        {
            var store = result.Store;
            StoreBytes.Add(store.Bytes, new TagList { { "pipeline", pipeline }, { "mode", mode } });
            StoreValues.Add(store.Values, new TagList { { "pipeline", pipeline }, { "result", "fetched" } });
            StoreValues.Add(store.CacheHits, new TagList { { "pipeline", pipeline }, { "result", "cached" } });
            StoreWait.Record(store.FetchTime.TotalSeconds, tag);
        }

        if (Predictions.Enabled)
        {
            Predictions.Add(1, new TagList
            {
                { "pipeline", pipeline },
                { "mode", mode },
                { "stop_reason", NameOf(result.StopReason) },
                { "shortcut", result.TookExactShortcut ? "true" : "false" },
            });
        }
    }

    // Enum.ToString would box on some paths; the names are fixed, so spell them out.
    private static string NameOf(StopReason reason) => reason switch
    {
        StopReason.BoundMet => "BoundMet",
        StopReason.AllExact => "AllExact",
        StopReason.Deadline => "Deadline",
        StopReason.MaxRounds => "MaxRounds",
        StopReason.FixedFraction => "FixedFraction",
        _ => "None",
    };
}
