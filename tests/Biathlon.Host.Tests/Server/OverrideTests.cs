using System.Text.Json.Nodes;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// Per-call δ, τ and deadline against the default limits (δ from 0.01 to 100 times the pipeline's, τ from 0.5 to 0.999,
/// deadline above 0 and at most 30,000 ms): within them a call is served as asked, outside a 400 names the field.
/// flight-delay is the pipeline here, since its δ (the model's validation MAE) is above 0.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class OverrideTests(MainServer server)
{
    private HttpClient Client => server.Client;

    [Theory]
    [InlineData(0.01)] // the lowest ratio the limits allow
    [InlineData(0.5)]
    [InlineData(2)]
    [InlineData(100)] // the highest
    public async Task Delta_within_the_limits_is_served_and_reported_as_requested(double ratio)
    {
        var delta = await FlightDeltaAsync() * ratio;
        var body = await Api.PredictAsync(Client, TestPipelines.Flight, TestPipelines.FlightBusyRoute, "predict", ("delta", delta));
        Assert.Equal(delta, body["requestedDelta"]!.GetValue<double>());
        Assert.Equal(delta, body["delta"]!.GetValue<double>());
    }

    [Theory]
    [InlineData(0.0099)] // below MinDeltaRatio
    [InlineData(101)] // above MaxDeltaRatio
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Delta_outside_the_limits_is_a_400_naming_delta(double ratio)
    {
        var delta = await FlightDeltaAsync() * ratio;
        using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Flight), Api.Body(TestPipelines.FlightBusyRoute, ("delta", delta)));
        var problem = await Api.AssertProblemAsync(response, 400, "delta");
        Assert.Contains("delta", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delta_on_a_batch_applies_to_every_request()
    {
        var delta = await FlightDeltaAsync() * 3;
        using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Flight, "predict-batch"),
            Api.BatchBody([TestPipelines.FlightBusyRoute, TestPipelines.FlightSelfTest], ("delta", delta)));
        var results = (await Api.OkJsonAsync(response))["results"]!.AsArray();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(delta, r!["requestedDelta"]!.GetValue<double>()));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0.999)]
    public async Task Tau_within_the_limits_is_served(double tau)
    {
        var body = await Api.PredictAsync(Client, TestPipelines.Sensor, TestPipelines.SensorSelfTest, "predict", ("tau", tau));
        Assert.Equal(tau, body["tau"]!.GetValue<double>());
    }

    [Theory]
    [InlineData(0.49)]
    [InlineData(0.9991)]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-0.95)]
    public async Task Tau_out_of_range_is_a_400_naming_tau(double tau)
    {
        using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor), Api.Body(TestPipelines.SensorSelfTest, ("tau", tau)));
        await Api.AssertProblemAsync(response, 400, "tau");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-5000)]
    [InlineData(0)]
    [InlineData(30_001)]
    [InlineData(1e12)]
    public async Task Deadline_not_positive_or_above_the_maximum_is_a_400_naming_deadlineMs(double deadline)
    {
        foreach (var endpoint in new[] { "predict", "predict-exact" })
        {
            using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor, endpoint), Api.Body(TestPipelines.SensorSelfTest, ("deadlineMs", deadline)));
            await Api.AssertProblemAsync(response, 400, "deadlineMs");
        }
    }

    [Theory]
    [InlineData(30_000)]
    [InlineData(250.5)]
    public async Task Deadline_within_the_limits_is_served(double deadline)
    {
        var body = await Api.PredictAsync(Client, TestPipelines.Sensor, TestPipelines.SensorSelfTest, "predict", ("deadlineMs", deadline));
        Assert.True(double.IsFinite(body["value"]!.GetValue<double>()));
    }

    [Theory]
    [InlineData("tau", 0.9)]
    [InlineData("delta", 1.0)]
    public async Task Exact_with_tau_or_delta_is_a_400_naming_it(string name, double value)
    {
        using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Flight, "predict-exact"),
            Api.Body(TestPipelines.FlightBusyRoute, (name, value)));
        await Api.AssertProblemAsync(response, 400, name);
    }

    [Theory]
    [InlineData("delta", "\"1\"")]
    [InlineData("tau", "true")]
    [InlineData("deadlineMs", "[100]")]
    [InlineData("deadlineMs", "null")]
    public async Task Override_that_is_not_a_number_is_a_400_naming_it(string name, string json)
    {
        var body = Api.Body(TestPipelines.SensorSelfTest);
        body[name] = JsonNode.Parse(json);
        using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor), body);
        await Api.AssertProblemAsync(response, 400, name);
    }

    private async Task<double> FlightDeltaAsync() =>
        (await Api.GetOkAsync(Client, $"v1/pipelines/{TestPipelines.Flight}"))["delta"]!.GetValue<double>();
}
