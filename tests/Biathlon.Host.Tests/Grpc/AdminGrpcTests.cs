using Biathlon.Host.Grpc.Contracts;
using Grpc.Core;

namespace Biathlon.Host.Tests.Grpc;

/// <summary>The gRPC Admin service reloads a pipeline as a new version, as the JSON API's reload does.</summary>
[Collection(KeyedServerCollection.Name)]
public sealed class AdminGrpcTests(KeyedServerFixture server)
{
    private static readonly Metadata s_admin = new() { { "authorization", "Bearer " + KeyedServerFixture.AdminKey } };

    [Fact]
    public async Task Reload_serves_a_new_version()
    {
        var before = await server.Scoring.DescribePipelineAsync(new DescribePipelineRequest { Pipeline = "sensor-anomaly" }, s_admin);

        var reloaded = await server.Admin.ReloadAsync(new ReloadRequest { Pipeline = "sensor-anomaly" }, s_admin);
        var after = await server.Scoring.DescribePipelineAsync(new DescribePipelineRequest { Pipeline = "sensor-anomaly" }, s_admin);
        var request = new PredictRequest { Pipeline = "sensor-anomaly" };
        Requests.Into(request.Request, Requests.Sensor());
        var prediction = await server.Scoring.PredictAsync(request, s_admin);

        Assert.Equal(before.Version + 1, reloaded.Version);
        Assert.Equal("sensor-anomaly", reloaded.Pipeline);
        Assert.True(reloaded.SelfTest.Passed);
        Assert.Equal(reloaded.Version, reloaded.SelfTest.Version);
        Assert.Equal(reloaded.Version, after.Version);
        Assert.Equal(reloaded.Version, prediction.Version);
    }

    [Fact]
    public async Task Reloading_an_unknown_pipeline_is_NotFound()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => server.Admin.ReloadAsync(new ReloadRequest { Pipeline = "no-such-pipeline" }, s_admin).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }
}
