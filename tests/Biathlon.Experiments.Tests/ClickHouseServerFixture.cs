using Biathlon.Experiments.Baselines;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// One private ClickHouse server on loopback for a test class, started before its first test and killed after its last.
/// A missing server binary fails the tests with the install command, never skips them: CI installs it (.ci/run).
/// </summary>
public sealed class ClickHouseServerFixture : IAsyncLifetime
{
    private ClickHouseServer? _server;

    /// <summary>The running server.</summary>
    public ClickHouseServer Server => _server ?? throw new InvalidOperationException("The ClickHouse server has not started.");

    public async Task InitializeAsync() => _server = await ClickHouseServer.StartAsync(TimeSpan.FromSeconds(120));

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }
}
