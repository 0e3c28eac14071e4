using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Tests.Grpc;
using Biathlon.Host.Tests.Metrics;
using Biathlon.Host.Tests.Server;
using Grpc.Core;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// Redis killed under load and restarted with its data: while it is down every call ends quickly with 503 (none
/// hangs, threads do not pile up, none is counted as a server fault), and calls succeed again within seconds of its
/// return, on the same server. A damaged stored value is refused with 503 as well, never served.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class StoreOutageTests
{
    private const int Clients = 4;

    /// <summary>The longest any call may take, the store down or not: a fetch gives up after the store's 1 s timeout.</summary>
    private static readonly TimeSpan s_callBound = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task While_the_store_is_down_calls_fail_fast_with_503_and_they_succeed_again_once_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        using var stage = new RedisSensorStage();
        await stage.UploadAsync(redis.Endpoint);

        // No segment cache: every call fetches from the store, so every call while it is down meets the outage.
        await using var server = await StoreServer.StartAsync(stage.ServerArguments(redis.Endpoint, "--Biathlon:Store:Redis:CacheMiB=0"));
        await server.WaitForStatusAsync("ready", TimeSpan.FromSeconds(60));
        var requests = TestPipelines.SensorRequests(12, seed: 11);
        foreach (var request in requests)
        {
            var warm = await Api.PredictAsync(server.Json, RedisSensorStage.Pipeline, request);
            Assert.True(warm["store"]!["values"]!.GetValue<int>() > 0, "with the cache off, every call fetches");
        }

        var calls = new ConcurrentQueue<Call>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var threads = new ConcurrentQueue<(TimeSpan At, int Count)>();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                threads.Enqueue((clock.Elapsed, ThreadPool.ThreadCount));
                await Task.Delay(20);
            }
        });
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(server, requests, c, clock, calls, stop.Token))).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var killing = clock.Elapsed;
        redis.Kill();
        var killed = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        // gRPC answers the outage as UNAVAILABLE, as fast.
        var grpcStart = clock.Elapsed;
        var call = new PredictRequest { Pipeline = RedisSensorStage.Pipeline };
        Requests.Into(call.Request, Requests.Sensor());
        var rpc = await Assert.ThrowsAsync<RpcException>(async () => await server.Scoring.PredictAsync(call));
        Assert.True(StatusCode.Unavailable == rpc.StatusCode, rpc.Status.ToString() + string.Join(" | ", calls.Where(c => c.Status != 200).Take(3)));
        Assert.Contains("store", rpc.Status.Detail, StringComparison.Ordinal);
        Assert.True(clock.Elapsed - grpcStart < s_callBound, $"the gRPC call took {(clock.Elapsed - grpcStart).TotalSeconds:F1} s");

        // An append while the store is down: 503, nothing applied; the same batch id later applies once.
        var batch = StoreScaleOutTests.AppendBody("during-outage", requests[0], count: 2);
        var appendStart = clock.Elapsed;
        using (var refused = await Api.PostAsync(server.Json, $"v1/pipelines/{RedisSensorStage.Pipeline}/tables/{RedisSensorStage.Table}/rows", batch))
        {
            var problem = await Api.AssertProblemAsync(refused, 503, field: null);
            Assert.Contains("store", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        }

        Assert.True(clock.Elapsed - appendStart < s_callBound, $"the append took {(clock.Elapsed - appendStart).TotalSeconds:F1} s");

        var restarting = clock.Elapsed;
        await redis.RestartAsync();
        var back = clock.Elapsed;
        Assert.NotEqual(":0\r\n", await redis.CommandAsync("DBSIZE")); // its data came back with it

        // Every client succeeds again, on this server, within 5 s of the store's return.
        while (clock.Elapsed - back < TimeSpan.FromSeconds(8) && !Enumerable.Range(0, Clients).All(c => calls.Any(x => x.Client == c && x.Start > back && x.Status == 200)))
        {
            await Task.Delay(50);
        }

        await Task.Delay(TimeSpan.FromSeconds(0.5));
        stop.Cancel();
        await Task.WhenAll(clients);
        await sampler;

        var all = calls.ToArray();
        var slowest = all.MaxBy(c => c.End - c.Start)!;
        Assert.True(slowest.End - slowest.Start < s_callBound, $"a call took {(slowest.End - slowest.Start).TotalSeconds:F2} s: {slowest}");

        var before = all.Where(c => c.End < killing).ToArray();
        Assert.NotEmpty(before);
        Assert.All(before, c => Assert.Equal(200, c.Status));

        // Started well after the kill and done before the restart: the store was down for the whole call.
        var down = all.Where(c => c.Start > killed + TimeSpan.FromMilliseconds(200) && c.End < restarting).ToArray();
        Assert.True(down.Length >= 4 * Clients, $"only {down.Length} calls ran while the store was down");
        Assert.All(down, c =>
        {
            Assert.True(c.Status == 503, $"a call while the store was down answered {c}");
            Assert.Contains("store", c.Detail, StringComparison.Ordinal);
            Assert.Equal("1", c.RetryAfter);
        });

        foreach (var client in Enumerable.Range(0, Clients))
        {
            var first = all.Where(c => c.Client == client && c.Start > back && c.Status == 200).MinBy(c => c.End);
            Assert.True(first is not null, $"client {client} never succeeded after the store came back");
            Assert.True(first.End - back < TimeSpan.FromSeconds(5), $"client {client} first succeeded {(first.End - back).TotalSeconds:F1} s after the store came back");
            Assert.Equal(200, all.Where(c => c.Client == client).MaxBy(c => c.Start)!.Status);
        }

        // Calls awaited the store rather than blocking threads: the pool did not grow to make up for blocked ones (its
        // size under the same load with the store up is the baseline).
        var healthy = threads.Where(t => t.At < killing).Max(t => t.Count);
        var outage = threads.Where(t => t.At > killed && t.At < restarting).Max(t => t.Count);
        Assert.True(outage <= healthy + Clients, $"the thread pool grew from {healthy} threads with the store up to {outage} while it was down");

        var retried = await StoreScaleOutTests.AppendAsync(server.Json, batch);
        Assert.True(retried["applied"]!.GetValue<bool>());

        // A damaged stored value is never served: 503 naming its key (every segment of the table is overwritten here).
        var segments = BulkStrings(await redis.CommandAsync("KEYS", $"{stage.KeyPrefix}:{{s:{RedisSensorStage.Table}:*"));
        Assert.NotEmpty(segments);
        foreach (var key in segments)
        {
            Assert.Equal("+OK\r\n", await redis.CommandAsync("SET", key, "not a segment"));
        }

        using (var damaged = await Api.PostAsync(server.Json, Api.PredictPath(RedisSensorStage.Pipeline, "predict-exact"), Api.Body(requests[0])))
        {
            var problem = await Api.AssertProblemAsync(damaged, 503, field: null);
            var detail = problem["detail"]!.GetValue<string>();
            Assert.Contains("damaged", detail, StringComparison.Ordinal);
            Assert.Contains($"{stage.KeyPrefix}:{{s:{RedisSensorStage.Table}:", detail, StringComparison.Ordinal);
        }

        // The outage is 503s, never a server fault (500) in the request metrics.
        var metrics = PrometheusText.Parse(await server.Json.GetStringAsync(new Uri("metrics", UriKind.Relative)));
        var requestsTotal = metrics.Find("biathlon_server_requests_total", ("pipeline", RedisSensorStage.Pipeline));
        Assert.True(requestsTotal.Where(s => s.Labels["status"] == "503").Sum(s => s.Value) >= down.Length, "every 503 is counted as one");
        Assert.DoesNotContain(requestsTotal, s => s.Labels["status"] == "500");
    }

    private static async Task ClientAsync(StoreServer server, JsonObject[] requests, int client, Stopwatch clock, ConcurrentQueue<Call> calls, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var endpoint = i % 3 == 2 ? "predict-exact" : "predict";
            var start = clock.Elapsed;
            using var response = await Api.PostAsync(server.Json, Api.PredictPath(RedisSensorStage.Pipeline, endpoint), Api.Body(requests[(client * 5 + i) % requests.Length]), CancellationToken.None);
            var end = clock.Elapsed;
            string? detail = null;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                detail = (await Api.JsonOf(response))["detail"]?.GetValue<string>();
            }

            calls.Enqueue(new Call(client, endpoint, start, end, (int)response.StatusCode, detail, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            await Task.Delay(5, CancellationToken.None);
        }
    }

    /// <summary>The bulk strings of a RESP array reply (<c>*n</c>, then <c>$len</c> and the string, each line ending CRLF).</summary>
    private static List<string> BulkStrings(string reply)
    {
        var lines = reply.Split("\r\n");
        var strings = new List<string>();
        for (var i = 1; i < lines.Length - 1; i++)
        {
            if (lines[i].StartsWith('$'))
            {
                strings.Add(lines[++i]);
            }
        }

        return strings;
    }

    private sealed record Call(int Client, string Endpoint, TimeSpan Start, TimeSpan End, int Status, string? Detail, string? RetryAfter);
}
