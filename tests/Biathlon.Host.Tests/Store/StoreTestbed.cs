using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Biathlon.Host.Grpc;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Tests.Server;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// The scale-out store tests run one after another and alone: they kill and restart Redis servers and time requests
/// against them, which means little while other tests compete for the two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StoreCollection
{
    public const string Name = "Scale-out store";
}

/// <summary>
/// The real sensor-anomaly pipeline with its table in Redis: a staged copy of its spec with <c>"store": "redis"</c> (and
/// the exact shortcut off, so answers replay: <see cref="TestPipelines.Replayable"/>), the server arguments that point a
/// server at a store, and the bulk upload, run through the <c>load-store</c> verb in this process. Each stage has a
/// key prefix of its own.
/// </summary>
internal sealed class RedisSensorStage : IDisposable
{
    public const string Pipeline = TestPipelines.Sensor;

    public const string Table = "readings";

    public RedisSensorStage()
    {
        Stage.Copy(Pipeline, spec =>
        {
            TestPipelines.Replayable(spec);
            spec["tables"]![0]!["store"] = "redis";
        });
    }

    public PipelineStage Stage { get; } = new();

    /// <summary>The staged pipeline's folder.</summary>
    public string Folder => Stage.PathOf(Pipeline);

    /// <summary>This stage's key prefix (servers and the loader must agree on it).</summary>
    public string KeyPrefix { get; } = "t" + Guid.NewGuid().ToString("n")[..8];

    /// <summary>Serve the stage from <paramref name="redis"/> (a configuration string), with <paramref name="more"/> settings.</summary>
    public IEnumerable<string> ServerArguments(string redis, params string[] more) =>
    [
        $"--Biathlon:PipelinesFolder={Stage.Folder}",
        $"--Biathlon:DataDirectory={RealData.Directory}",
        $"--Biathlon:Store:Redis:Configuration={redis}",
        $"--Biathlon:Store:Redis:KeyPrefix={KeyPrefix}",
        .. more,
    ];

    /// <summary>Uploads the stage's table to <paramref name="redis"/> with the <c>load-store</c> verb; returns its output.</summary>
    public async Task<string> UploadAsync(string redis)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await StoreLoadCommand.RunAsync([Folder, "--redis", redis, "--data", RealData.Directory, "--key-prefix", KeyPrefix], output, errors);
        Assert.True(code == 0, $"load-store exited with {code}:\n{output}\n{errors}");
        return output.ToString();
    }

    public void Dispose() => Stage.Dispose();
}

/// <summary>
/// A scoring server in this process with both endpoints on loopback port 0 (the JSON API and gRPC), started without
/// waiting for readiness: the store tests start servers whose store is down.
/// </summary>
internal sealed class StoreServer : IAsyncDisposable
{
    private readonly GrpcChannel _channel;

    private StoreServer(WebApplication app, HttpClient json, GrpcChannel channel)
    {
        App = app;
        Json = json;
        _channel = channel;
    }

    public WebApplication App { get; }

    /// <summary>The JSON API.</summary>
    public HttpClient Json { get; }

    internal Scoring.ScoringClient Scoring => new(_channel);

    public static async Task<StoreServer> StartAsync(IEnumerable<string> args)
    {
        string[] all =
        [
            .. args,
            "--urls", "http://127.0.0.1:0",
            "--Biathlon:GrpcUrl=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
        ];
        var app = ScoringServer.Build(all);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var grpc = app.Services.GetRequiredService<GrpcEndpoint>().Address ?? throw new InvalidOperationException("The gRPC endpoint did not bind.");
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var json = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
        {
            BaseAddress = addresses.Select(a => new Uri(a)).Single(u => u.Port != grpc.Port),
            Timeout = TimeSpan.FromSeconds(30),
        };
        return new StoreServer(app, json, GrpcChannel.ForAddress(grpc));
    }

    /// <summary>The status and body of <c>GET /readyz</c>.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> ReadyzAsync()
    {
        using var response = await Json.GetAsync(new Uri("readyz", UriKind.Relative));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>Polls <c>/readyz</c> every 50 ms until its top-level status is <paramref name="status"/>; returns the time it took.</summary>
    public async Task<TimeSpan> WaitForStatusAsync(string status, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < timeout)
        {
            var (code, body) = await ReadyzAsync();
            if (body["status"]?.GetValue<string>() == status)
            {
                return clock.Elapsed;
            }

            last = $"{(int)code} {body.ToJsonString()}";
            await Task.Delay(50);
        }

        throw new TimeoutException($"/readyz did not say '{status}' within {timeout.TotalSeconds:F0} s; it last said {last}");
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        Json.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await App.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await App.DisposeAsync();
    }
}
