using Biathlon.Host.Security;

namespace Biathlon.Host.Serving;

/// <summary>
/// One call to serve, transport-neutral: pipeline, requests, whether exact, the per-call overrides (checked against the
/// operator's limits by <see cref="PredictionService"/>), the caller, and when the call arrived (its deadline counts
/// from there, queueing included). <paramref name="Batch"/> makes errors name a request
/// <c>requests[i]</c> rather than <c>request</c>.
/// </summary>
internal sealed record ServeCall(
    string Pipeline,
    IReadOnlyList<Dictionary<string, object?>> Requests,
    bool Exact,
    double? Delta,
    double? Tau,
    double? DeadlineMs,
    Caller Caller,
    long ArrivedTimestamp,
    bool Batch);
