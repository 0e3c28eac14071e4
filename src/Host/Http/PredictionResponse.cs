namespace Biathlon.Host.Http;

/// <summary>
/// One prediction as JSON: everything the engine's result holds. <c>s1</c> per query is the per-request explanation
/// (first-order Sobol index: the share of the prediction's sampling variance due to that query). Non-finite numbers
/// (an error at τ that was never computed) are written as the strings <c>"NaN"</c> or <c>"Infinity"</c>. <c>store</c>
/// is present only for a pipeline with a table in a remote store.
/// </summary>
internal sealed record PredictionResponse(
    string Pipeline,
    long Version,
    double Value,
    string ValueKind,
    string BoundKind,
    double Delta,
    double RequestedDelta,
    double Tau,
    double Confidence,
    double ErrorAtTau,
    bool MeetsBound,
    bool IsExact,
    bool TookExactShortcut,
    bool DependsOnMeasuredCosts,
    string StopReason,
    int Rounds,
    string ModelRuntime,
    ulong Seed,
    IReadOnlyList<QueryResponse> Queries,
    IReadOnlyList<FeatureResponse> Features,
    TimingsResponse Timings,
    ComputeResponse Compute,
    StoreResponse? Store = null);

/// <summary>What the prediction fetched from the remote store: values (stored segments) and their bytes, segments served from this server's cache instead, and the time spent waiting on the store.</summary>
internal sealed record StoreResponse(string Store, int Values, long Bytes, int CacheHits, double FetchMs);

/// <summary>Where the prediction ran: the engine's backend, whether aggregates and the model ran on the device, and why any of it fell back to the CPU.</summary>
internal sealed record ComputeResponse(string Backend, bool AggregatesOnDevice, bool ModelOnDevice, string? Fallback);

/// <summary>One feature query's final plan and its share of the prediction's variance.</summary>
internal sealed record QueryResponse(string Name, double Fraction, long RowsScanned, long RowsMatched, long EstimatedRows, double S1, string ExactReason);

/// <summary>One model input: its value and error.</summary>
internal sealed record FeatureResponse(string Name, double Value, string Error, double StdError, double Low, double High, string UnknownReason);

/// <summary>Engine time per stage, in milliseconds.</summary>
internal sealed record TimingsResponse(double SamplingMs, double PropagationMs, double PlanningMs, double TotalMs);

/// <summary>A batch's answers, in request order, all from one pipeline version.</summary>
internal sealed record BatchResponse(string Pipeline, long Version, IReadOnlyList<PredictionResponse> Results);
