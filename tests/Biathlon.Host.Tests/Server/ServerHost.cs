using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// The scoring server as it runs in production (<see cref="ScoringServer.Build"/>, Kestrel, real sockets), started in
/// this process on a free loopback port: <see cref="StartAsync"/> binds <c>http://127.0.0.1:0</c>, finds the port Kestrel
/// chose, and returns once <c>GET /readyz</c> answers 200. Dispose to stop it.
/// </summary>
internal sealed class ServerHost : IAsyncDisposable
{
    /// <summary>How long a server may take to load its pipelines before <see cref="StartAsync"/> gives up.</summary>
    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(120);

    private bool _stopped;

    private ServerHost(WebApplication app, Uri address, HttpClient client)
    {
        App = app;
        Address = address;
        Client = client;
    }

    /// <summary>The running application (its services, its lifetime).</summary>
    public WebApplication App { get; }

    /// <summary>The HTTP address the server answers on, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>A client whose base address is <see cref="Address"/>; shared by the tests of one server.</summary>
    public HttpClient Client { get; }

    /// <summary>
    /// Builds and starts the server with <paramref name="args"/> (command-line configuration such as
    /// <c>--Biathlon:PipelinesFolder=...</c>) and waits until it is ready. <paramref name="configure"/> runs between
    /// building and starting (a test may add middleware there).
    /// </summary>
    public static async Task<ServerHost> StartAsync(IEnumerable<string> args, Action<WebApplication>? configure = null, TimeSpan? readyTimeout = null)
    {
        // The gRPC endpoint (when the server has one) is turned off, so the only address is the HTTP/1.1 one; logging
        // is kept to warnings so that thousands of calls cost no console output.
        string[] all =
        [
            .. args,
            "--Biathlon:GrpcUrl=",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
            "--urls", "http://127.0.0.1:0",
        ];
        var app = ScoringServer.Build(all);
        configure?.Invoke(app);
        HttpClient? client = null;
        try
        {
            await app.StartAsync();
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
            Uri address;
            using (var probe = NewClient())
            {
                address = await FindHttpAddressAsync(probe, addresses);
            }

            client = NewClient();
            client.BaseAddress = address;
            await WaitReadyAsync(client, readyTimeout ?? DefaultReadyTimeout);
            return new ServerHost(app, address, client);
        }
        catch
        {
            client?.Dispose();
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new client for this server (for tests that need separate connections or headers).</summary>
    public HttpClient NewClientForServer()
    {
        var client = NewClient();
        client.BaseAddress = Address;
        return client;
    }

    /// <summary>Stops the server as SIGTERM does: readiness turns false, in-flight calls finish, then it stops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopped = true;
        await App.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_stopped)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Disposal below tears down whatever did not stop in time.
            }
        }

        await App.DisposeAsync();
    }

    private static HttpClient NewClient() =>
        new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = 512 })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>The first bound address that answers <c>GET /healthz</c> over HTTP/1.1 (an h2c-only endpoint does not).</summary>
    private static async Task<Uri> FindHttpAddressAsync(HttpClient client, IReadOnlyList<string> addresses)
    {
        if (addresses.Count == 0)
        {
            throw new InvalidOperationException("The server started but reports no bound address (IServerAddressesFeature is empty).");
        }

        var tried = new List<string>();
        foreach (var address in addresses)
        {
            var uri = new Uri(address.TrimEnd('/') + "/");
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                using var response = await client.GetAsync(new Uri(uri, "healthz"), probe.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return uri;
                }

                tried.Add($"{address}: {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                tried.Add($"{address}: {e.Message}");
            }
        }

        throw new InvalidOperationException($"No bound address answers GET /healthz over HTTP/1.1: {string.Join("; ", tried)}.");
    }

    private static async Task WaitReadyAsync(HttpClient client, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            using (var response = await client.GetAsync(new Uri("readyz", UriKind.Relative)))
            {
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {body}";
                // Once loading is over, a server that is not ready stays so (a pipeline failed to load or its self-test).
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && JsonNode.Parse(body)?["status"]?.GetValue<string>() is "not ready" or "no pipelines")
                {
                    throw new InvalidOperationException($"The server loaded its pipelines but is not ready, and will not become so: /readyz says {last}");
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The server at {client.BaseAddress} was not ready within {timeout.TotalSeconds:F0} s; the last /readyz answered {last}");
    }
}
