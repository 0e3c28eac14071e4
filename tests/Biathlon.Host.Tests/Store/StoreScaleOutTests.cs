using System.Diagnostics;
using System.Text.Json.Nodes;
using Biathlon.Host.Tests.OutOfProcess;
using Biathlon.Host.Tests.Server;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// Scale-out: two server processes on different ports share one Redis. The table is uploaded by the <c>load-store</c>
/// verb run as its own process, as an operator would. Both servers answer the same requests identically; rows appended
/// through one are served by the other once its cache TTL has passed; a batch sent again (through either) counts once.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class StoreScaleOutTests
{
    private const int CacheTtlMs = 500;

    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Two_servers_on_one_store_answer_alike_and_each_serves_the_others_appends_within_the_cache_ttl()
    {
        await using var redis = await RedisServer.StartAsync();
        using var stage = new RedisSensorStage();
        var (code, upload) = ServerProcess.RunVerb("load-store", stage.Folder, "--redis", redis.Endpoint, "--data", RealData.Directory, "--key-prefix", stage.KeyPrefix);
        Assert.True(code == 0, $"load-store exited with {code}:\n{upload}");
        Assert.Contains($"table '{RedisSensorStage.Table}' generation", upload, StringComparison.Ordinal);

        string[] arguments = [.. stage.ServerArguments(redis.Endpoint, $"--Biathlon:Store:Redis:CacheTtlMilliseconds={CacheTtlMs}", "--Logging:LogLevel:Default=Warning")];
        using var first = await ServerProcess.StartAsync(arguments, s_start);
        using var second = await ServerProcess.StartAsync(arguments, s_start);
        Assert.NotEqual(first.Address.Port, second.Address.Port);
        using var a = new HttpClient { BaseAddress = first.Address, Timeout = TimeSpan.FromSeconds(30) };
        using var b = new HttpClient { BaseAddress = second.Address, Timeout = TimeSpan.FromSeconds(30) };

        var requests = TestPipelines.SensorRequests(6, seed: 5);
        await AssertSameAnswersAsync(a, b, requests);

        // Rows appended through the first server: five readings of the self-test request's mote, inside its windows.
        var target = TestPipelines.SensorSelfTest;
        var before = await RowsMatchedAsync(a, target);
        Assert.Equal(before, await RowsMatchedAsync(b, target));
        var batch = AppendBody("scale-out-1", target, count: 5);
        var appended = await AppendAsync(a, batch);
        Assert.True(appended["applied"]!.GetValue<bool>());
        Assert.Equal(5, appended["rows"]!.GetValue<int>());
        Assert.True(appended["segments"]!.GetValue<int>() > 0);

        // The appending server serves them from its next call; every query of the mote (and of its location) sees 5 more rows.
        var afterOnA = await RowsMatchedAsync(a, target);
        Assert.Equal(before.Select(n => n + 5), afterOnA);

        // The other server, once its cache TTL (and the append log's re-read, on the same period) has passed.
        var clock = Stopwatch.StartNew();
        long[] onB;
        do
        {
            onB = await RowsMatchedAsync(b, target);
        }
        while (onB.SequenceEqual(before) && clock.Elapsed < TimeSpan.FromSeconds(10));
        var seenAfter = clock.Elapsed;
        Assert.Equal(afterOnA, onB);
        Assert.True(seenAfter < TimeSpan.FromMilliseconds(CacheTtlMs + 1_500), $"the other server served the append {seenAfter.TotalMilliseconds:F0} ms later; its cache TTL is {CacheTtlMs} ms");
        await AssertSameAnswersAsync(a, b, [.. requests, target]);

        // The same batch again, through the other server: acknowledged, not applied; nobody counts it twice.
        var again = await AppendAsync(b, batch);
        Assert.False(again["applied"]!.GetValue<bool>());
        Assert.Equal(5, again["rows"]!.GetValue<int>());
        await Task.Delay(3 * CacheTtlMs);
        Assert.Equal(afterOnA, await RowsMatchedAsync(a, target));
        Assert.Equal(afterOnA, await RowsMatchedAsync(b, target));
    }

    /// <summary>Both servers give the same approximate and exact answers (all but timings and store fetch figures).</summary>
    private static async Task AssertSameAnswersAsync(HttpClient a, HttpClient b, IEnumerable<JsonObject> requests)
    {
        foreach (var request in requests)
        {
            foreach (var endpoint in new[] { "predict", "predict-exact" })
            {
                var fromA = await Api.PredictAsync(a, RedisSensorStage.Pipeline, request, endpoint);
                var fromB = await Api.PredictAsync(b, RedisSensorStage.Pipeline, request, endpoint);
                Assert.False(fromA["dependsOnMeasuredCosts"]!.GetValue<bool>());
                Assert.NotNull(fromA["store"]);
                fromA.Remove("store");
                fromB.Remove("store");
                Api.AssertSamePrediction(fromA, fromB, $"{endpoint} of {request.ToJsonString()} differs between the servers");
            }
        }
    }

    /// <summary>Each query's matching rows for <paramref name="request"/>, from an exact prediction.</summary>
    private static async Task<long[]> RowsMatchedAsync(HttpClient client, JsonObject request)
    {
        var exact = await Api.PredictAsync(client, RedisSensorStage.Pipeline, request, "predict-exact");
        return [.. exact["queries"]!.AsArray().Select(q => q!["rowsMatched"]!.GetValue<long>())];
    }

    /// <summary><paramref name="count"/> readings of the request's mote and location, just before its reading.</summary>
    internal static JsonObject AppendBody(string batchId, JsonObject request, int count)
    {
        var reading = request["reading"]!.GetValue<long>();
        var rows = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            rows.Add(new JsonObject
            {
                ["reading"] = reading - 1 - i,
                ["mote_id"] = request["mote"]!.GetValue<long>(),
                ["indoor"] = request["indoor"]!.GetValue<long>(),
                ["humidity"] = 45.5 + i,
                ["temperature"] = 29.5 - (0.1 * i),
                ["label"] = 0,
            });
        }

        return new JsonObject { ["batchId"] = batchId, ["rows"] = rows };
    }

    internal static async Task<JsonObject> AppendAsync(HttpClient client, JsonObject body)
    {
        using var response = await Api.PostAsync(client, $"v1/pipelines/{RedisSensorStage.Pipeline}/tables/{RedisSensorStage.Table}/rows", body);
        return (await Api.OkJsonAsync(response)).AsObject();
    }
}
