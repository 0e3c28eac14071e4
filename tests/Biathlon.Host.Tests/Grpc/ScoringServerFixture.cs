using Biathlon.Host.Grpc;
using Biathlon.Host.Grpc.Contracts;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Biathlon.Host.Tests.Grpc;

/// <summary>
/// A scoring server started in-process on loopback, both endpoints on port 0 (the JSON API, and gRPC over h2c), and
/// ready: every pipeline loaded and self-tested. The pipelines' models are trained by the harness, not committed;
/// a missing one fails the fixture with the command that trains it.
/// </summary>
public abstract class ScoringServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private GrpcChannel? _channel;
    private HttpClient? _json;

    /// <summary>The JSON API.</summary>
    public HttpClient Json => _json ?? throw new InvalidOperationException("The server has not started.");

    internal Scoring.ScoringClient Scoring => new(_channel ?? throw new InvalidOperationException("The server has not started."));

    internal Admin.AdminClient Admin => new(_channel ?? throw new InvalidOperationException("The server has not started."));

    /// <summary>The pipelines (folders under pipelines/) the server serves.</summary>
    protected abstract IReadOnlyList<string> Pipelines { get; }

    /// <summary>More configuration, as command-line arguments.</summary>
    protected virtual IEnumerable<string> Arguments => [];

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines");
        foreach (var pipeline in Pipelines)
        {
            if (!File.Exists(Path.Combine(folder, pipeline, "model.onnx")))
            {
                throw new InvalidOperationException(
                    $"pipelines/{pipeline}/model.onnx is missing; train it with `dotnet run -c Release --project experiments/Biathlon.Experiments -- prepare --pipeline {pipeline}` (CI's benchmarks/dry-run.sh does).");
            }
        }

        List<string> args =
        [
            "--urls", "http://127.0.0.1:0",
            "--Biathlon:GrpcUrl=http://127.0.0.1:0",
            $"--Biathlon:PipelinesFolder={folder}",
            "--Logging:LogLevel:Default=Warning",
        ];
        args.AddRange(Pipelines.Select((p, i) => $"--Biathlon:Pipelines:{i}={p}"));
        args.AddRange(Arguments);
        _app = ScoringServer.Build([.. args]);
        await _app.StartAsync();

        var grpc = _app.Services.GetRequiredService<GrpcEndpoint>().Address
            ?? throw new InvalidOperationException("The gRPC endpoint did not bind.");
        var addresses = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        _json = new HttpClient { BaseAddress = addresses.Select(a => new Uri(a)).Single(u => u.Port != grpc.Port) };
        _channel = GrpcChannel.ForAddress(grpc);
        await WaitUntilReadyAsync(_json);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        _json?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static async Task WaitUntilReadyAsync(HttpClient json)
    {
        var until = DateTime.UtcNow.AddMinutes(3);
        var last = "";
        while (DateTime.UtcNow < until)
        {
            using var response = await json.GetAsync(new Uri("/readyz", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            last = await response.Content.ReadAsStringAsync();
            await Task.Delay(200);
        }

        throw new TimeoutException($"The server did not turn ready within 3 minutes: {last}");
    }
}
