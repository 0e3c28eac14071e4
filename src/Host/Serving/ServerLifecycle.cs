using Biathlon.Host.Configuration;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Serving;

/// <summary>
/// Whether the server is draining (SIGTERM received): readiness turns false so balancers stop sending, while calls
/// already in flight finish. With <see cref="ServerOptions.DrainDelaySeconds"/> above 0 the server keeps accepting
/// calls for that long after the signal, answering <c>/readyz</c> with 503 "draining", so a balancer polling readiness
/// sees it leave before its connections are refused.
/// </summary>
internal sealed class ServerLifecycle
{
    private volatile bool _draining;

    public ServerLifecycle(IHostApplicationLifetime lifetime, IOptions<ServerOptions> options)
    {
        var delay = TimeSpan.FromSeconds(options.Value.DrainDelaySeconds);
        lifetime.ApplicationStopping.Register(() =>
        {
            _draining = true;
            if (delay > TimeSpan.Zero)
            {
                // Stopping callbacks run before Kestrel closes its listeners: holding this one keeps them open.
                Thread.Sleep(delay);
            }
        });
    }

    public bool Draining => _draining;
}
