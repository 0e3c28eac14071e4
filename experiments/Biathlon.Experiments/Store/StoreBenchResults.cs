namespace Biathlon.Experiments.Store;

/// <summary>A <c>store-bench</c> run: what redis-store.json holds and the report is made from.</summary>
public sealed record StoreBenchResults
{
    public required DateTime StartedUtc { get; init; }

    public required DateTime FinishedUtc { get; init; }

    public required string Command { get; init; }

    /// <summary>The machine in words (CPU model, cores, memory, OS, .NET).</summary>
    public required string Machine { get; init; }

    public required int Cores { get; init; }

    /// <summary>The harness's build configuration (Release for figures worth reading).</summary>
    public required string Build { get; init; }

    public required string RedisVersion { get; init; }

    /// <summary><c>uptime</c> before the first cell and after the last.</summary>
    public required string UptimeBefore { get; init; }

    public required string UptimeAfter { get; init; }

    public required bool DryRun { get; init; }

    public required StoreBenchSettings Settings { get; init; }

    public required IReadOnlyList<StoreBenchPipeline> Pipelines { get; init; }

    public required IReadOnlyList<StoreBenchCell> Cells { get; init; }

    public required IReadOnlyList<StoreBenchGoal> Goals { get; init; }
}

/// <summary>How each cell ran.</summary>
/// <param name="SliceSeconds">Measured time of one slice of one mode.</param>
/// <param name="Slices">Slices per mode and cell; the modes alternate slice by slice, the first mode swapping each time.</param>
/// <param name="WarmupSeconds">Unrecorded time per mode before each cell.</param>
/// <param name="Requests">Distinct requests per pipeline (the held-out test requests, in order).</param>
/// <param name="Seed">Seed of the request sets.</param>
/// <param name="CacheBytes">The hot-segment cache's size in cells with the cache on.</param>
/// <param name="CacheTtlSeconds">How long a cached segment stays.</param>
/// <param name="SegmentRows">Rows per stored segment.</param>
/// <param name="OperationTimeoutSeconds">The store's operation timeout in the benchmark.</param>
public sealed record StoreBenchSettings(
    double SliceSeconds, int Slices, double WarmupSeconds, int Requests, int Seed, long CacheBytes, double CacheTtlSeconds, int SegmentRows, double OperationTimeoutSeconds);

/// <summary>A pipeline's requests, its table(s) in each Redis topology and what each loaded engine holds in memory.</summary>
public sealed record StoreBenchPipeline(string Name, int Requests, string Description, IReadOnlyList<StoreBenchUpload> Uploads)
{
    public IReadOnlyList<EngineFootprint> Engines { get; init; } = [];
}

/// <summary>
/// What loading one engine added to the process: the managed heap after a full collection, and the working set
/// (memory-mapped table files included), each after minus before the load.
/// </summary>
/// <param name="Engine">"in process", "redis single, cache off", ...</param>
/// <param name="HeapBytes">Managed heap added.</param>
/// <param name="WorkingSetBytes">Working set added.</param>
public sealed record EngineFootprint(string Engine, double HeapBytes, double WorkingSetBytes)
{
    /// <summary>The managed heap after serving, disposing the engine and a full collection, minus before the load.</summary>
    public double RetainedHeapBytes { get; init; } = double.NaN;
}

/// <summary>What one upload of a pipeline's Redis tables put in one topology.</summary>
/// <param name="Topology">"single" or "cluster".</param>
/// <param name="Seconds">Wall time of the upload (building the layouts from the table cache included).</param>
/// <param name="Keys">Keys in Redis afterwards (segments, indexes, manifest, pointer).</param>
/// <param name="UsedMemoryBytes">Redis <c>used_memory</c>, summed over the nodes.</param>
/// <param name="DatasetBytes">Redis <c>used_memory_dataset</c>, summed over the nodes.</param>
/// <param name="Log">The loader's own summary lines ("N values, X MiB").</param>
public sealed record StoreBenchUpload(string Topology, double Seconds, long Keys, double UsedMemoryBytes, double DatasetBytes, IReadOnlyList<string> Log);

/// <summary>One cell: a pipeline served from one store, at one client count, exact and biathlon side by side.</summary>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Store">"memory" (in process) or "redis".</param>
/// <param name="Topology">"in-process", "single" or "cluster".</param>
/// <param name="Cache">"on", "off" or "-" (in process).</param>
/// <param name="Clients">Closed-loop clients.</param>
/// <param name="Exact">Exact serving's figures.</param>
/// <param name="Biathlon">Biathlon's figures.</param>
/// <param name="Ratios">Exact ÷ biathlon.</param>
public sealed record StoreBenchCell(
    string Pipeline, string Store, string Topology, string Cache, int Clients, ModeStats Exact, ModeStats Biathlon, CellRatios Ratios)
{
    /// <summary>The cell's name in the report: "redis single, cache off, 8 clients".</summary>
    public string Label => Store == "memory" ? $"in process, {Clients} client{(Clients == 1 ? "" : "s")}" : $"redis {Topology}, cache {Cache}, {Clients} client{(Clients == 1 ? "" : "s")}";
}

/// <summary>One mode's figures in a cell.</summary>
/// <param name="Requests">Answered requests in the measured slices.</param>
/// <param name="Errors">Requests that failed (their messages: <see cref="ErrorMessages"/>).</param>
/// <param name="Seconds">Measured time: the slices' wall time, each until its last request was answered.</param>
/// <param name="ThroughputRps">Requests ÷ seconds.</param>
/// <param name="MeanMs">Mean latency.</param>
/// <param name="P50Ms">Median latency.</param>
/// <param name="P95Ms">95th percentile latency.</param>
/// <param name="P99Ms">99th percentile latency.</param>
/// <param name="MaxMs">Largest latency.</param>
/// <param name="BytesMean">Bytes fetched from Redis per request (0 in process).</param>
/// <param name="BytesP50">Median bytes fetched per request.</param>
/// <param name="ValuesMean">Segments fetched from Redis per request.</param>
/// <param name="CacheHitsMean">Segments served from the hot-segment cache per request.</param>
/// <param name="FetchMsMean">Time waiting on Redis per request.</param>
/// <param name="RoundsMean">Rounds per request.</param>
/// <param name="ExactShortcutShare">Share of answers for which the planner served the request exactly because measured costs said that was cheaper.</param>
/// <param name="WithinDeltaShare">Share of answers within δ of the exact answer to the same request (classification: the same label); NaN when none was comparable.</param>
/// <param name="ErrorMessages">Up to five distinct error messages.</param>
public sealed record ModeStats(
    int Requests, int Errors, double Seconds, double ThroughputRps, double MeanMs, double P50Ms, double P95Ms, double P99Ms, double MaxMs,
    double BytesMean, double BytesP50, double ValuesMean, double CacheHitsMean, double FetchMsMean, double RoundsMean, double ExactShortcutShare,
    double WithinDeltaShare, IReadOnlyList<string> ErrorMessages)
{
    /// <summary>Per feature query: where the rows (and so the bytes) go.</summary>
    public IReadOnlyList<QueryStats> Queries { get; init; } = [];
}

/// <summary>One feature query's figures over a mode's answers.</summary>
/// <param name="Name">The query.</param>
/// <param name="MeanFraction">Mean final sample fraction.</param>
/// <param name="ExactShare">Share of answers in which it was read completely.</param>
/// <param name="ExactReasons">Why, with each reason's share of the answers.</param>
/// <param name="RowsScannedMean">Rows read inside its windows per answer.</param>
/// <param name="EstimatedRowsMean">Rows in its windows over all partitions (what exact reads) per answer.</param>
public sealed record QueryStats(string Name, double MeanFraction, double ExactShare, string ExactReasons, double RowsScannedMean, double EstimatedRowsMean);

/// <summary>
/// Exact ÷ biathlon (throughput: biathlon ÷ exact): how many times faster, and how many times fewer bytes. The plain
/// ratios compare all answers of each mode; in a closed loop biathlon gets through many more of the request list than
/// exact does, so the paired ratios compare the two on the same requests only: those both modes answered in the
/// cell, each request's figures averaged over its answers first.
/// </summary>
public sealed record CellRatios(double MeanLatency, double P50Latency, double P95Latency, double P99Latency, double Throughput, double BytesMean, double BytesP50)
{
    /// <summary>Distinct requests both modes answered in the cell.</summary>
    public int PairedRequests { get; init; }

    /// <summary>Median over the paired requests of exact's latency ÷ the median of biathlon's.</summary>
    public double PairedP50Latency { get; init; } = double.NaN;

    /// <summary>Mean over the paired requests of exact's latency ÷ the mean of biathlon's.</summary>
    public double PairedMeanLatency { get; init; } = double.NaN;

    /// <summary>Mean bytes over the paired requests, exact ÷ biathlon.</summary>
    public double PairedBytesMean { get; init; } = double.NaN;
}

/// <summary>A goal compared with the figures: reported, never asserted.</summary>
/// <param name="Goal">What is wanted.</param>
/// <param name="Scope">Which cell.</param>
/// <param name="Measured">The figures.</param>
/// <param name="Verdict">"met", "not met" or "not measured".</param>
public sealed record StoreBenchGoal(string Goal, string Scope, string Measured, string Verdict);
