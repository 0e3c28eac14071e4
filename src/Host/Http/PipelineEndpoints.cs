using Biathlon.Host.Configuration;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Http;

/// <summary>Listing and describing pipelines (<c>GET /v1/pipelines</c>, <c>GET /v1/pipelines/{name}</c>); predict role.</summary>
internal static class PipelineEndpoints
{
    public static void MapPipelineEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/pipelines", List).WithTags("Pipelines").WithName("ListPipelines")
            .WithSummary("Every served pipeline: version, δ, τ, request fields, inputs, queries, model, state and shadow.")
            .Produces<PipelineListResponse>().ProducesProblem(401).ProducesProblem(403);
        app.MapGet("/v1/pipelines/{name}", Describe).WithTags("Pipelines").WithName("DescribePipeline")
            .WithSummary("One served pipeline.")
            .Produces<PipelineResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);
    }

    private static IResult List(HttpContext context, PipelineCatalog catalog, ShadowRunner shadows, ApiKeyStore keys, IOptions<ServerOptions> options)
    {
        var access = keys.Check(CallerKey.Of(context.Request), Role.Predict, null);
        if (!access.Allowed)
        {
            return Problems.Denied(access.Status, access.Reason!);
        }

        var shares = Shares(options.Value);
        var caller = access.Caller!;
        var listed = catalog.States.Where(s => caller.May(Role.Predict, s.Name)).Select(s => ResponseMapper.Describe(catalog, shadows, shares, s)).ToArray();
        return TypedResults.Json(new PipelineListResponse(listed), HostJsonContext.Default.PipelineListResponse);
    }

    private static IResult Describe(string name, HttpContext context, PipelineCatalog catalog, ShadowRunner shadows, ApiKeyStore keys, IOptions<ServerOptions> options)
    {
        var access = keys.Check(CallerKey.Of(context.Request), Role.Predict, name);
        if (!access.Allowed)
        {
            return Problems.Denied(access.Status, access.Reason!);
        }

        var state = catalog.States.FirstOrDefault(s => s.Name == name);
        if (state is null)
        {
            return Problems.From(new ServeException(404, "Unknown pipeline", $"No pipeline named '{(name.Length > 64 ? name[..64] : name)}' is served.", "pipeline"), context);
        }

        return TypedResults.Json(ResponseMapper.Describe(catalog, shadows, Shares(options.Value), state), HostJsonContext.Default.PipelineResponse);
    }

    private static Dictionary<string, double> Shares(ServerOptions options) =>
        options.Shadows.ToDictionary(p => p.Key, p => p.Value.Share, StringComparer.Ordinal);
}
