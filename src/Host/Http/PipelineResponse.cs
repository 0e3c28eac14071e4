using Biathlon.Host.Serving;

namespace Biathlon.Host.Http;

/// <summary>A served pipeline as listed and described: version, bound, schema, queries, model, state and shadow.</summary>
internal sealed record PipelineResponse(
    string Name,
    string State,
    long? Version,
    string? Description,
    string? Task,
    double? Delta,
    double? Tau,
    IReadOnlyList<RequestFieldResponse> Request,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<QuerySummaryResponse> Queries,
    string? Model,
    string? ModelRuntime,
    string? Compute,
    string? Error,
    SelfTestResponse? SelfTest,
    ShadowResponse? Shadow);

/// <summary>A request field of a pipeline's schema.</summary>
internal sealed record RequestFieldResponse(string Name, string Type);

/// <summary>A feature query: its table, sampled or not, and the features it computes.</summary>
internal sealed record QuerySummaryResponse(string Name, string Table, bool Sampled, IReadOnlyList<string> Features);

/// <summary>The last self-test of the serving version.</summary>
internal sealed record SelfTestResponse(bool Passed, string Detail, long Version, DateTimeOffset At);

/// <summary>A shadow version and how it compares so far.</summary>
internal sealed record ShadowResponse(long? Version, double Share, ShadowSummary? Comparisons);

/// <summary>The pipelines list.</summary>
internal sealed record PipelineListResponse(IReadOnlyList<PipelineResponse> Pipelines);

/// <summary>The answer of a reload.</summary>
internal sealed record ReloadResponse(string Pipeline, long Version, SelfTestResponse? SelfTest);

/// <summary>Readiness: ready or not, and each pipeline's state.</summary>
internal sealed record ReadinessResponse(bool Ready, string Status, IReadOnlyList<PipelineReadiness> Pipelines);

/// <summary>One pipeline's part in readiness.</summary>
internal sealed record PipelineReadiness(string Name, string State, long? Version, bool SelfTestPassed, string? Detail, string? Compute);
