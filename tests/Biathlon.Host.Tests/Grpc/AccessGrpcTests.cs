using Biathlon.Host.Grpc.Contracts;
using Grpc.Core;

namespace Biathlon.Host.Tests.Grpc;

/// <summary>gRPC calls present their API key as metadata, and the JSON API's roles and answers apply.</summary>
[Collection(KeyedServerCollection.Name)]
public sealed class AccessGrpcTests(KeyedServerFixture server)
{
    [Fact]
    public async Task A_call_without_a_key_is_Unauthenticated()
    {
        var predict = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(SensorRequest()).ResponseAsync);
        var list = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.ListPipelinesAsync(new ListPipelinesRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, predict.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, list.StatusCode);
    }

    [Fact]
    public async Task An_unknown_key_is_Unauthenticated()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            server.Scoring.PredictAsync(SensorRequest(), new Metadata { { "authorization", "Bearer not-a-key" } }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Theory]
    [InlineData("authorization", "Bearer " + KeyedServerFixture.PredictKey)]
    [InlineData("x-api-key", KeyedServerFixture.PredictKey)]
    public async Task A_predict_key_predicts_whichever_metadata_carries_it(string header, string value)
    {
        var prediction = await server.Scoring.PredictAsync(SensorRequest(), new Metadata { { header, value } });

        Assert.Equal("sensor-anomaly", prediction.Pipeline);
    }

    [Fact]
    public async Task A_predict_only_key_may_not_Reload()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            server.Admin.ReloadAsync(new ReloadRequest { Pipeline = "sensor-anomaly" }, new Metadata { { "x-api-key", KeyedServerFixture.PredictKey } }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    private static PredictRequest SensorRequest()
    {
        var request = new PredictRequest { Pipeline = "sensor-anomaly" };
        Requests.Into(request.Request, Requests.Sensor());
        return request;
    }
}
