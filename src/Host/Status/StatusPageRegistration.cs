using Biathlon.Host.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Status;

/// <summary>Registers the status page's services: recent predictions and the live statistics listener.</summary>
internal static class StatusPageRegistration
{
    /// <summary>
    /// Registers <see cref="RecentPredictions"/> (capacity from configuration section "Biathlon:StatusPage", default 20) and
    /// <see cref="LiveStatistics"/>. AddServerMetrics calls this; call it directly only without the metrics.
    /// </summary>
    public static IServiceCollection AddStatusPage(
        this IServiceCollection services, Action<StatusPageOptions>? configure = null)
    {
        var options = services.AddOptions<StatusPageOptions>().BindConfiguration(StatusPageOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.RecentPredictions > 0, "Biathlon:StatusPage:RecentPredictions must be at least 1.")
            .Validate(o => o.RefreshSeconds >= 0, "Biathlon:StatusPage:RefreshSeconds must not be negative.");
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServerInstruments>();
        services.TryAddSingleton(provider =>
            new RecentPredictions(provider.GetRequiredService<IOptions<StatusPageOptions>>().Value.RecentPredictions));
        services.TryAddSingleton<LiveStatistics>();
        return services;
    }
}
