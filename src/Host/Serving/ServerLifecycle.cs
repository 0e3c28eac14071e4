namespace Biathlon.Host.Serving;

/// <summary>Whether the server is draining (SIGTERM received): readiness turns false so balancers stop sending, while calls already in flight finish.</summary>
internal sealed class ServerLifecycle
{
    private volatile bool _draining;

    public ServerLifecycle(IHostApplicationLifetime lifetime) => lifetime.ApplicationStopping.Register(() => _draining = true);

    public bool Draining => _draining;
}
