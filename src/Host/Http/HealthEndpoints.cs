using Biathlon.Host.Audit;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Serving;

namespace Biathlon.Host.Http;

/// <summary>
/// <c>/healthz</c>: the process is up. <c>/readyz</c>: every pipeline loaded and its self-test passed, and the server is
/// not draining, and the audit log (if on) has not failed: 200 when ready, else 503, each with the per-pipeline detail.
/// A pipeline whose store is down (or does not hold its tables yet) is <c>"waiting for store"</c>, and so is the server
/// when that is all that keeps it from being ready: it turns ready by itself once the store answers.
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok")).WithTags("Health").WithName("Liveness");
        app.MapGet("/readyz", Ready).WithTags("Health").WithName("Readiness").Produces<ReadinessResponse>().Produces<ReadinessResponse>(503);
    }

    private static IResult Ready(PipelineCatalog catalog, ServerLifecycle lifecycle, AuditLog audit)
    {
        var states = catalog.States;
        var pipelines = states.Select(s => new PipelineReadiness(s.Name, s.Phase, catalog.VersionOf(s.Name), s.SelfTest?.Passed ?? false, s.Error ?? s.SelfTest?.Detail, catalog.ComputeOf(s.Name))).ToArray();
        var status = lifecycle.Draining ? "draining"
            : audit.Fault is not null ? "audit log failed: " + audit.Fault.Message
            : !catalog.Loaded ? "loading"
            : states.Count == 0 ? "no pipelines"
            : states.All(s => s.Ready) ? "ready"
            : states.All(s => s.Ready || s.Phase == PipelineState.WaitingForStore) ? "waiting for store"
            : "not ready";
        var ready = status == "ready";
        return TypedResults.Json(new ReadinessResponse(ready, status, pipelines), HostJsonContext.Default.ReadinessResponse,
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
