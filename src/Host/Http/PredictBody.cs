namespace Biathlon.Host.Http;

/// <summary>
/// A parsed predict body: the request(s) as field → value (string, long, double, bool or null; the engine checks
/// them against the pipeline's schema, giving a missing or null field its fill where the spec has one, and encoding
/// categorical strings) and the per-call overrides, not yet checked against the operator's limits.
/// </summary>
internal sealed record PredictBody(IReadOnlyList<Dictionary<string, object?>> Requests, double? Delta, double? Tau, double? DeadlineMs);
