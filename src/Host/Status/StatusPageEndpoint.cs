using Microsoft.Extensions.Options;

namespace Biathlon.Host.Status;

/// <summary>Maps the server-rendered status page at "/".</summary>
internal static class StatusPageEndpoint
{
    public const string Path = "/";

    /// <summary>
    /// Maps GET "/" to the status page. <paramref name="pipelines"/> is called per render, so the page follows reloads.
    /// Needs the services of <see cref="StatusPageRegistration.AddStatusPage"/> (or AddServerMetrics).
    /// </summary>
    public static RouteHandlerBuilder MapStatusPage(
        this IEndpointRouteBuilder endpoints, Func<IReadOnlyList<PipelineStatus>> pipelines)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        var services = endpoints.ServiceProvider;
        // Resolved now, not at the first render: the listener must be counting from startup.
        var live = services.GetRequiredService<LiveStatistics>();
        var recent = services.GetRequiredService<RecentPredictions>();
        var options = services.GetRequiredService<IOptions<StatusPageOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();

        return endpoints.MapGet(Path, (HttpContext context) =>
        {
            var html = StatusPageRenderer.Render(
                pipelines(), live.Snapshot(), recent.Snapshot(), recent.Capacity, options.RefreshSeconds,
                time.GetUtcNow());
            context.Response.Headers.CacheControl = "no-store";
            return Results.Content(html, "text/html; charset=utf-8");
        }).ExcludeFromDescription();
    }
}
