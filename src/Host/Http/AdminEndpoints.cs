using Biathlon.Engine.Specs;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Biathlon.Sampling.Errors;

namespace Biathlon.Host.Http;

/// <summary>
/// <c>POST /v1/admin/pipelines/{name}/reload</c> (admin role): loads the pipeline folder anew as a new version and swaps
/// it in; in-flight calls finish on the old version. A folder that fails to load answers 422 (503 when its store does not
/// answer) and the serving version stays.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/admin/pipelines/{name}/reload", Reload).WithTags("Admin").WithName("ReloadPipeline")
            .WithSummary("Reloads a pipeline from its folder as a new version (and its shadow, if configured).")
            .Produces<ReloadResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(422).ProducesProblem(503);
    }

    private static async Task<IResult> Reload(string name, HttpContext context, PipelineCatalog catalog, ApiKeyStore keys, ILogger<PipelineCatalog> logger)
    {
        var access = keys.Check(CallerKey.Of(context.Request), Role.Admin, name);
        if (!access.Allowed)
        {
            return Problems.Denied(access.Status, access.Reason!);
        }

        try
        {
            var version = await catalog.LoadAsync(name, context.RequestAborted).ConfigureAwait(false);
            logger.LogInformation("Pipeline {Pipeline} reloaded as version {Version} by {Caller}", name, version, access.Caller!.Name);
            var state = catalog.States.First(s => s.Name == name);
            var selfTest = state.SelfTest is { } s ? new SelfTestResponse(s.Passed, s.Detail, s.Version, s.At) : null;
            return TypedResults.Json(new ReloadResponse(name, version, selfTest), HostJsonContext.Default.ReloadResponse);
        }
        catch (ServeException e)
        {
            return Problems.From(e, context);
        }
        catch (StoreUnavailableException e)
        {
            // The folder may be fine: its store did not answer. The serving version stays; retrying later may work.
            return Problems.From(new ServeException(503, "Store unavailable", $"Pipeline '{name}' did not reload; the serving version stays. {e.Message}", "pipeline", TimeSpan.FromSeconds(1)), context);
        }
        catch (Exception e) when (e is PipelineSpecException or BiathlonException or IOException or InvalidOperationException)
        {
            return Problems.From(new ServeException(422, "Reload failed", $"Pipeline '{name}' did not reload; the serving version stays. {e.Message}", "pipeline"), context);
        }
    }
}
