using System.Text.Json.Nodes;
using Biathlon.Engine.Diagnostics;
using Biathlon.Redis;

namespace Biathlon.Engine.Tests.Store;

/// <summary>
/// The real Flight-Delay pipeline served from Redis (single node and a 3-master cluster) against the same pipeline in
/// process: the table is uploaded by the bulk loader from the same source, seed and layouts, so every prediction must
/// be the same, bit for bit: exact ones, ones at a fixed fraction (the same partitions of each request's own order),
/// and the full loop's (the local index keeps row times, so queries are sized exactly and plans agree). The exact
/// shortcut is off: it weighs measured costs, which differ between stores by design.
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

        // The layout without keys is one group of all 3 million rows (about 100 MB): more than one slot should hold,
        // so its partitions are spread over several hash tags, which the cluster places on different nodes.
        // The index-age gauge reports the remote table while the engine is loaded (its index was read just now).
        Assert.InRange(IndexAgeGauge(remote.Definition.Name) ?? double.NaN, 0, 60);

        var all = new PipelineDiagnostics(remote).GetTable("flights").GetLayout("all").RemoteIndex!;
        Assert.True(all.Splits(0) > 1, $"the 'all' group spans {all.Splits(0)} tag(s)");

        long sampledBytes = 0, exactBytes = 0;
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
            var localLoop = pipeline.Engine.Predict(request, loop);
            var storedLoop = await remote.PredictAsync(request, loop);
            Assert.Equal(localLoop.Value, storedLoop.Value);
            Assert.Equal(localLoop.Rounds, storedLoop.Rounds);
            Assert.Equal(localLoop.Confidence, storedLoop.Confidence);
            for (var q = 0; q < localLoop.Queries.Count; q++)
            {
                Assert.Equal(localLoop.Queries[q].EstimatedRows, storedLoop.Queries[q].EstimatedRows);
                Assert.Equal(localLoop.Queries[q].RowsScanned, storedLoop.Queries[q].RowsScanned);
            }
        }

        // Exact serving reads every partition of every query: a 10% sample must fetch far fewer bytes.
        Assert.True(exactBytes > 3 * sampledBytes, $"exact fetched {exactBytes} bytes, a 10% sample {sampledBytes}");

        remote.Dispose();
        Assert.Null(IndexAgeGauge(remote.Definition.Name));
    }

    /// <summary>What <c>biathlon.engine.store.index_age</c> reports now for the pipeline's table "flights"; null when nothing.</summary>
    private static double? IndexAgeGauge(string pipelineName)
    {
        double? age = null;
        using var listener = EngineMeterListener.Listen<double>("biathlon.engine.store.index_age", (value, tags) =>
        {
            if (tags.GetValueOrDefault("pipeline") == pipelineName && tags.GetValueOrDefault("table") == "flights")
            {
                age = value;
            }
        });
        listener.RecordObservableInstruments();
        return age;
    }

    /// <summary>The fixture's spec with its table in Redis; the options name the store.</summary>
    private EngineOptions WriteRedisVariant(TempDirectory folder, string configuration)
    {
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipeline.Folder, "pipeline.json")))!.AsObject();
        spec["model"] = new JsonObject { ["file"] = pipeline.Engine.Definition.ModelFile };
        spec["tables"]![0]!["store"] = "redis";
        File.WriteAllText(folder.File("pipeline.json"), spec.ToJsonString());

        // A cost profile (the harness writes one) sets the planner's priorities: both engines must plan from the same.
        var profile = Path.Combine(pipeline.Folder, Runtime.CostProfile.FileName);
        if (File.Exists(profile))
        {
            File.Copy(profile, folder.File(Runtime.CostProfile.FileName));
        }

        return new EngineOptions
        {
            DataDirectory = RealData.Directory,
            CacheDirectory = Path.Combine(pipeline.Folder, ".cache"),
            Redis = new RedisStoreOptions { Configuration = configuration, OperationTimeout = TimeSpan.FromSeconds(5), KeyPrefix = "t" + Guid.NewGuid().ToString("n")[..8] },
        };
    }
}
