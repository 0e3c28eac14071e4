using System.Text.Json.Nodes;
using Biathlon.Redis;

namespace Biathlon.Engine.Tests.Store;

/// <summary>
/// The real Flight-Delay pipeline served from Redis (single node and a 3-master cluster) against the same pipeline in
/// process: the table is uploaded by the bulk loader from the same source, seed and layouts, so the same sample must
/// give the same prediction, bit for bit: exact predictions, and predictions at a fixed fraction (the same partitions
/// of each request's own order). The full loop's plans may differ, since a remote server sizes windows from its
/// local index (segment time spans) instead of the rows themselves; its predictions must still meet the bound.
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class RedisFlightDelayTests(FlightDelayFixture pipeline)
{
    private const int Requests = 40;

    [Fact]
    public async Task SingleNodeServesThePredictionsOfTheInProcessStore()
    {
        await using var redis = await RedisServer.StartAsync();
        await AssertSamePredictionsAsync(redis.Endpoint);
    }

    [Fact]
    public async Task ThreeMasterClusterServesThePredictionsOfTheInProcessStore()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await AssertSamePredictionsAsync(cluster.ConnectionString);
    }

    private async Task AssertSamePredictionsAsync(string configuration)
    {
        using var folder = new TempDirectory();
        var options = WriteRedisVariant(folder, configuration);
        await StoreLoader.UploadAsync(folder.Path, options);
        using var remote = await BiathlonEngine.LoadAsync(folder.Path, options);

        long sampledBytes = 0, exactBytes = 0;
        var meetsLocal = 0;
        var meetsRemote = 0;
        for (var i = 0; i < Requests; i++)
        {
            var request = pipeline.Test[i].Fields;
            foreach (var fraction in new[] { 0.03, 0.1, 0.37 })
            {
                var fixedFraction = new PredictOptions { FixedFraction = fraction };
                var local = pipeline.Engine.Predict(request, fixedFraction);
                var stored = await remote.PredictAsync(request, fixedFraction);
                Assert.Equal(local.Value, stored.Value);
                for (var f = 0; f < local.Features.Count; f++)
                {
                    Assert.Equal(local.Features[f].Value, stored.Features[f].Value);
                    Assert.Equal(local.Features[f].StdError, stored.Features[f].StdError);
                }

                for (var q = 0; q < local.Queries.Count; q++)
                {
                    Assert.Equal(local.Queries[q].RowsScanned, stored.Queries[q].RowsScanned);
                }

                Assert.NotNull(stored.Store.Store);
                Assert.True(stored.Store.Values + stored.Store.CacheHits > 0, "a remote prediction fetches segments");
                sampledBytes += fraction == 0.1 ? stored.Store.Bytes : 0;
            }

            var localExact = pipeline.Engine.PredictExact(request);
            var storedExact = await remote.PredictExactAsync(request);
            Assert.Equal(localExact.Value, storedExact.Value);
            exactBytes += storedExact.Store.Bytes;

            var loop = new PredictOptions { ExactShortcut = false };
            meetsLocal += pipeline.Engine.Predict(request, loop).MeetsBound ? 1 : 0;
            var approximate = await remote.PredictAsync(request, loop);
            meetsRemote += approximate.MeetsBound ? 1 : 0;
            Assert.True(Math.Abs(approximate.Value - localExact.Value) < 20 * approximate.Delta, $"request {i}: {approximate.Value} against exact {localExact.Value}, δ = {approximate.Delta}");
        }

        // Exact serving reads every partition of every query: a 10% sample must fetch far fewer bytes.
        Assert.True(exactBytes > 3 * sampledBytes, $"exact fetched {exactBytes} bytes, a 10% sample {sampledBytes}");
        Assert.Equal(meetsLocal, meetsRemote);
    }

    /// <summary>The fixture's spec with its table in Redis; the options name the store.</summary>
    private EngineOptions WriteRedisVariant(TempDirectory folder, string configuration)
    {
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipeline.Folder, "pipeline.json")))!.AsObject();
        spec["model"] = new JsonObject { ["file"] = pipeline.Engine.Definition.ModelFile };
        spec["tables"]![0]!["store"] = "redis";
        File.WriteAllText(folder.File("pipeline.json"), spec.ToJsonString());
        return new EngineOptions
        {
            DataDirectory = RealData.Directory,
            CacheDirectory = Path.Combine(pipeline.Folder, ".cache"),
            Redis = new RedisStoreOptions { Configuration = configuration, OperationTimeout = TimeSpan.FromSeconds(5), KeyPrefix = "t" + Guid.NewGuid().ToString("n")[..8] },
        };
    }
}
