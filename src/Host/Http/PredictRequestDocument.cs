namespace Biathlon.Host.Http;

/// <summary>
/// The predict body as documented in OpenAPI (the server reads bodies itself, to name the field at fault): the request's
/// fields by the pipeline's schema, and optional overrides within the operator's limits.
/// </summary>
/// <param name="Request">Field name → value: strings, numbers, ISO-8601 timestamps, as the pipeline's schema says.</param>
/// <param name="Delta">The error bound δ for this call (default: the pipeline's).</param>
/// <param name="Tau">The confidence τ for this call (default: the pipeline's).</param>
/// <param name="DeadlineMs">The call's deadline in milliseconds, queueing included (default: the server's).</param>
internal sealed record PredictRequestDocument(Dictionary<string, object?> Request, double? Delta, double? Tau, double? DeadlineMs);

/// <summary>The batch body as documented in OpenAPI: up to the server's batch limit of requests, one set of overrides.</summary>
internal sealed record BatchRequestDocument(IReadOnlyList<Dictionary<string, object?>> Requests, double? Delta, double? Tau, double? DeadlineMs);
