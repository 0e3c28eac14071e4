using System.Net;
using System.Text.Json.Nodes;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Tests.Grpc;
using Biathlon.Host.Tests.Server;
using Grpc.Core;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// A server whose Redis is down when it starts: it starts all the same, says in <c>/readyz</c> that the pipeline waits
/// for its store, answers predictions with 503 (HTTP) and UNAVAILABLE (gRPC), keeps trying, and serves once the store
/// is back and holds the table, without a restart.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class StoreStartupTests
{
    private const string WaitingForStore = "waiting for store";

    [Fact]
    public async Task A_server_whose_store_is_down_starts_waits_for_it_and_serves_once_it_is_back_without_a_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        redis.Kill();
        using var stage = new RedisSensorStage();
        await using var server = await StoreServer.StartAsync(stage.ServerArguments(redis.Endpoint));

        // Started: alive, not ready, and saying why.
        await server.WaitForStatusAsync(WaitingForStore, TimeSpan.FromSeconds(30));
        using (var health = await server.Json.GetAsync(new Uri("healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        var (status, readiness) = await server.ReadyzAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.False(readiness["ready"]!.GetValue<bool>());
        var pipeline = Assert.Single(readiness["pipelines"]!.AsArray())!;
        Assert.Equal(RedisSensorStage.Pipeline, pipeline["name"]!.GetValue<string>());
        Assert.Equal(WaitingForStore, pipeline["state"]!.GetValue<string>());
        Assert.Null(pipeline["version"]);
        Assert.Contains(redis.Endpoint, pipeline["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        await AssertWaitingAsync(server);

        // It keeps trying (every second) rather than giving up: still waiting, not failed, seconds later.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(WaitingForStore, (await server.ReadyzAsync()).Body["status"]!.GetValue<string>());

        // Back but empty: the store answers without the table, and the pipeline waits for the upload, naming it.
        await redis.RestartAsync();
        await WaitForDetailAsync(server, "holds no table", TimeSpan.FromSeconds(10));
        Assert.Equal(WaitingForStore, (await server.ReadyzAsync()).Body["status"]!.GetValue<string>());
        await AssertWaitingAsync(server);

        var upload = await stage.UploadAsync(redis.Endpoint);
        Assert.Contains($"table '{RedisSensorStage.Table}' generation", upload, StringComparison.Ordinal);
        var took = await server.WaitForStatusAsync("ready", TimeSpan.FromSeconds(15));
        Assert.True(took < TimeSpan.FromSeconds(5), $"ready {took.TotalSeconds:F1} s after the upload; it retries every second");

        (status, readiness) = await server.ReadyzAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        var loaded = Assert.Single(readiness["pipelines"]!.AsArray())!;
        Assert.Equal("serving", loaded["state"]!.GetValue<string>());
        Assert.True(loaded["selfTestPassed"]!.GetValue<bool>());

        // Served from the store, over both transports.
        var prediction = await Api.PredictAsync(server.Json, RedisSensorStage.Pipeline, TestPipelines.SensorSelfTest);
        Assert.Equal(1, prediction["version"]!.GetValue<long>());
        Assert.True(double.IsFinite(prediction["value"]!.GetValue<double>()));
        var store = prediction["store"]!;
        Assert.Contains(redis.Endpoint, store["store"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(store["values"]!.GetValue<int>() + store["cacheHits"]!.GetValue<int>() > 0, store.ToJsonString());
        var grpc = await server.Scoring.PredictAsync(SensorCall());
        Assert.Equal(prediction["value"]!.GetValue<double>(), grpc.Value);
        Assert.Contains(redis.Endpoint, grpc.Store.Store, StringComparison.Ordinal);
        Assert.True(grpc.Store.Values + grpc.Store.CacheHits > 0, grpc.Store.ToString());
    }

    /// <summary>Predictions of a pipeline that waits for its store: 503 with Retry-After over HTTP, UNAVAILABLE over gRPC, both saying so.</summary>
    private static async Task AssertWaitingAsync(StoreServer server)
    {
        foreach (var endpoint in new[] { "predict", "predict-exact" })
        {
            using var response = await Api.PostAsync(server.Json, Api.PredictPath(RedisSensorStage.Pipeline, endpoint), Api.Body(TestPipelines.SensorSelfTest));
            var problem = await Api.AssertProblemAsync(response, 503, "pipeline");
            Assert.Contains("waits for its store", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }

        var e = await Assert.ThrowsAsync<RpcException>(async () => await server.Scoring.PredictAsync(SensorCall()));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("waits for its store", e.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task WaitForDetailAsync(StoreServer server, string text, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonObject body;
        do
        {
            body = (await server.ReadyzAsync()).Body;
            if (body["pipelines"]![0]!["detail"]?.GetValue<string>() is { } detail && detail.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }
        while (clock.Elapsed < timeout);
        Assert.Fail($"/readyz never said '{text}': {body.ToJsonString()}");
    }

    private static PredictRequest SensorCall()
    {
        var call = new PredictRequest { Pipeline = RedisSensorStage.Pipeline };
        Requests.Into(call.Request, Requests.Sensor());
        return call;
    }
}
