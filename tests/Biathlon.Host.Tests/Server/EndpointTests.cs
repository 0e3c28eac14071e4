using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Biathlon.Host.Tests.Server;

/// <summary>Every endpoint of the scoring server, over Kestrel on loopback, with the shapes and values its clients rely on.</summary>
[Collection(ServerCollection.Name)]
public sealed class EndpointTests(MainServer server)
{
    private static readonly string[] s_sensorQueries = ["mote_5min", "mote_hour", "mote_10min", "location_5min"];

    private static readonly string[] s_sensorInputs =
    [
        "temperature", "humidity", "mote_5min_avg_temperature", "mote_5min_avg_humidity", "mote_hour_std_temperature",
        "mote_hour_median_humidity", "mote_10min_max_temperature", "mote_10min_min_temperature", "location_5min_avg_temperature",
    ];

    private HttpClient Client => server.Client;

    [Fact]
    public async Task Predict_returns_the_whole_prediction_and_the_serving_version()
    {
        var request = TestPipelines.SensorRequests(1, seed: 11)[0];
        using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor), Api.Body(request));
        var body = (await Api.OkJsonAsync(response)).AsObject();

        var version = Assert.Single(response.Headers.GetValues("X-Pipeline-Version"));
        Assert.Equal(body["version"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture), version);
        Assert.Equal(TestPipelines.Sensor, body["pipeline"]!.GetValue<string>());
        Assert.True(double.IsFinite(body["value"]!.GetValue<double>()));
        Assert.Contains(body["value"]!.GetValue<double>(), new[] { 0.0, 1.0 }); // a binary classifier's label
        Assert.False(string.IsNullOrEmpty(body["boundKind"]!.GetValue<string>()));
        Assert.Equal(0.0, body["delta"]!.GetValue<double>()); // a classifier's bound: the exact label
        Assert.Equal(0.95, body["tau"]!.GetValue<double>());
        Assert.InRange(body["confidence"]!.GetValue<double>(), 0, 1);
        Assert.True(body["rounds"]!.GetValue<int>() >= 1);
        Assert.False(string.IsNullOrEmpty(body["stopReason"]!.GetValue<string>()));
        Assert.False(body["dependsOnMeasuredCosts"]!.GetValue<bool>());

        // Where it ran: this server's backend is auto, so the CPU unless the machine has a CUDA device.
        var compute = body["compute"]!.AsObject();
        Assert.Contains(compute["backend"]!.GetValue<string>(), new[] { "cpu", "cuda" });
        if (compute["backend"]!.GetValue<string>() == "cpu")
        {
            Assert.False(compute["aggregatesOnDevice"]!.GetValue<bool>());
            Assert.False(compute["modelOnDevice"]!.GetValue<bool>());
        }

        Assert.Null(compute["fallback"]);

        var queries = body["queries"]!.AsArray();
        Assert.Equal(s_sensorQueries, queries.Select(q => q!["name"]!.GetValue<string>()));
        foreach (var query in queries)
        {
            Assert.InRange(query!["fraction"]!.GetValue<double>(), double.Epsilon, 1);
            Assert.InRange(query["s1"]!.GetValue<double>(), 0, 1);
            Assert.True(query["rowsScanned"]!.GetValue<long>() >= 0);
        }

        // Without the exact shortcut the planner samples: at least one query is read in part.
        Assert.Contains(queries, q => q!["fraction"]!.GetValue<double>() < 1);

        var features = body["features"]!.AsArray();
        Assert.Equal(s_sensorInputs, features.Select(f => f!["name"]!.GetValue<string>()));
        Assert.Equal(request["temperature"]!.GetValue<double>(), features[0]!["value"]!.GetValue<double>());
        Assert.Equal(request["humidity"]!.GetValue<double>(), features[1]!["value"]!.GetValue<double>());
        foreach (var feature in features)
        {
            Assert.True(feature!["low"]!.GetValue<double>() <= feature["high"]!.GetValue<double>());
        }

        var timings = body["timings"]!.AsObject();
        foreach (var stage in new[] { "samplingMs", "propagationMs", "planningMs", "totalMs" })
        {
            Assert.True(timings[stage]!.GetValue<double>() >= 0, stage);
        }
    }

    [Fact]
    public async Task Predict_serves_the_large_pipeline_too()
    {
        var body = await Api.PredictAsync(Client, TestPipelines.Flight, TestPipelines.FlightSelfTest);
        Assert.Equal(TestPipelines.Flight, body["pipeline"]!.GetValue<string>());
        Assert.Equal(6, body["queries"]!.AsArray().Count);
        Assert.Equal(12, body["features"]!.AsArray().Count);
        Assert.True(body["delta"]!.GetValue<double>() > 0); // the regression's δ: its validation MAE
        Assert.True(double.IsFinite(body["value"]!.GetValue<double>()));
    }

    [Fact]
    public async Task Predict_batch_keeps_the_order_and_equals_single_predictions()
    {
        var requests = TestPipelines.SensorRequests(12, seed: 12);
        var singles = new List<JsonObject>();
        foreach (var request in requests)
        {
            singles.Add(await Api.PredictAsync(Client, TestPipelines.Sensor, request));
        }

        // The requests differ, so their answers do (at least in their request features): order is visible.
        Assert.Equal(requests.Length, singles.Select(s => s["features"]!.ToJsonString()).Distinct().Count());

        foreach (var order in new[] { requests, requests.Reverse().ToArray() })
        {
            using var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor, "predict-batch"), Api.BatchBody(order));
            var batch = (await Api.OkJsonAsync(response)).AsObject();
            Assert.Equal(TestPipelines.Sensor, batch["pipeline"]!.GetValue<string>());
            Assert.Equal(batch["version"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("X-Pipeline-Version")));
            var results = batch["results"]!.AsArray();
            Assert.Equal(order.Length, results.Count);
            for (var i = 0; i < order.Length; i++)
            {
                var single = singles[Array.IndexOf(requests, order[i])];
                Api.AssertSamePrediction(single, results[i]!, $"batch result {i}");
            }
        }
    }

    [Theory]
    [InlineData(TestPipelines.Sensor)]
    [InlineData(TestPipelines.Flight)]
    public async Task Predict_exact_reads_every_query_completely(string pipeline)
    {
        var request = pipeline == TestPipelines.Sensor ? TestPipelines.SensorRequests(1, seed: 13)[0] : TestPipelines.FlightBusyRoute;
        var body = await Api.PredictAsync(Client, pipeline, request, "predict-exact");
        Assert.True(body["isExact"]!.GetValue<bool>());
        Assert.Equal("AllExact", body["stopReason"]!.GetValue<string>());
        Assert.All(body["queries"]!.AsArray(), q => Assert.Equal(1.0, q!["fraction"]!.GetValue<double>()));
        Assert.All(body["features"]!.AsArray(), f => Assert.Equal(f!["low"]!.GetValue<double>(), f["high"]!.GetValue<double>()));

        // The exact answer does not depend on the approximate one: a second call gives the same.
        Api.AssertSamePrediction(body, await Api.PredictAsync(Client, pipeline, request, "predict-exact"));
    }

    [Fact]
    public async Task List_shows_every_pipeline_with_version_bound_inputs_and_queries()
    {
        var list = await Api.GetOkAsync(Client, "v1/pipelines");
        var pipelines = list["pipelines"]!.AsArray();
        Assert.Equal([TestPipelines.Flight, TestPipelines.Sensor], pipelines.Select(p => p!["name"]!.GetValue<string>()));
        foreach (var pipeline in pipelines)
        {
            Assert.Equal("serving", pipeline!["state"]!.GetValue<string>());
            Assert.True(pipeline["version"]!.GetValue<long>() >= 1);
            Assert.Equal(0.95, pipeline["tau"]!.GetValue<double>());
            Assert.True(pipeline["delta"]!.GetValue<double>() >= 0);
            Assert.NotEmpty(pipeline["inputs"]!.AsArray());
            Assert.NotEmpty(pipeline["request"]!.AsArray());
            Assert.True(pipeline["selfTest"]!["passed"]!.GetValue<bool>());
        }

        var sensor = pipelines.Single(p => p!["name"]!.GetValue<string>() == TestPipelines.Sensor)!;
        Assert.Equal(s_sensorInputs, sensor["inputs"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(s_sensorQueries, sensor["queries"]!.AsArray().Select(q => q!["name"]!.GetValue<string>()));
        Assert.Equal(["mote", "indoor", "reading", "temperature", "humidity"], sensor["request"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Equal("readings", sensor["queries"]![0]!["table"]!.GetValue<string>());
        var flight = pipelines.Single(p => p!["name"]!.GetValue<string>() == TestPipelines.Flight)!;
        Assert.True(flight["delta"]!.GetValue<double>() > 0);
        Assert.Equal(6, flight["queries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Describe_shows_one_pipeline_as_the_list_does_and_404s_an_unknown_one()
    {
        var list = await Api.GetOkAsync(Client, "v1/pipelines");
        var listed = list["pipelines"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == TestPipelines.Sensor)!;
        var described = await Api.GetOkAsync(Client, $"v1/pipelines/{TestPipelines.Sensor}");
        Assert.True(JsonNode.DeepEquals(listed, described), $"list: {listed.ToJsonString()}\ndescribe: {described.ToJsonString()}");

        using var unknown = await Client.GetAsync(new Uri("v1/pipelines/no-such-pipeline", UriKind.Relative));
        await Api.AssertProblemAsync(unknown, 404, "pipeline");
    }

    [Fact]
    public async Task Reload_serves_a_new_version_that_describe_and_predict_show()
    {
        var request = TestPipelines.SensorRequests(1, seed: 14)[0];
        var before = await server.ReferenceAsync(request);
        var version = (await Api.GetOkAsync(Client, $"v1/pipelines/{TestPipelines.Sensor}"))["version"]!.GetValue<long>();

        using var reload = await Client.PostAsync(new Uri($"v1/admin/pipelines/{TestPipelines.Sensor}/reload", UriKind.Relative), null);
        var reloaded = await Api.OkJsonAsync(reload);
        Assert.Equal(TestPipelines.Sensor, reloaded["pipeline"]!.GetValue<string>());
        Assert.Equal(version + 1, reloaded["version"]!.GetValue<long>());
        Assert.True(reloaded["selfTest"]!["passed"]!.GetValue<bool>());
        Assert.Equal(version + 1, reloaded["selfTest"]!["version"]!.GetValue<long>());

        var described = await Api.GetOkAsync(Client, $"v1/pipelines/{TestPipelines.Sensor}");
        Assert.Equal(version + 1, described["version"]!.GetValue<long>());
        var after = await server.ReferenceAsync(request);
        Assert.Equal(version + 1, after["version"]!.GetValue<long>());
        Api.AssertSamePrediction(before, after, "the same folder reloaded answers the same");

        using var unknown = await Client.PostAsync(new Uri("v1/admin/pipelines/no-such-pipeline/reload", UriKind.Relative), null);
        await Api.AssertProblemAsync(unknown, 404, "pipeline");
    }

    [Fact]
    public async Task Healthz_answers_ok()
    {
        using var response = await Client.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_is_200_with_every_pipeline_serving_and_self_tested()
    {
        var ready = await Api.GetOkAsync(Client, "readyz");
        Assert.True(ready["ready"]!.GetValue<bool>());
        Assert.Equal("ready", ready["status"]!.GetValue<string>());
        var pipelines = ready["pipelines"]!.AsArray();
        Assert.Equal([TestPipelines.Flight, TestPipelines.Sensor], pipelines.Select(p => p!["name"]!.GetValue<string>()));
        Assert.All(pipelines, p =>
        {
            Assert.Equal("serving", p!["state"]!.GetValue<string>());
            Assert.True(p["selfTestPassed"]!.GetValue<bool>());
            Assert.True(p["version"]!.GetValue<long>() >= 1);
            Assert.Contains("selftest.json", p["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Matches("^(cpu \\(auto: .+\\)|cuda on CUDA .+)$", p["compute"]!.GetValue<string>()); // the backend chosen at load, and why
        });
    }

    [Fact]
    public async Task OpenApi_document_is_json_listing_every_endpoint()
    {
        var document = await Api.GetOkAsync(Client, "openapi/v1.json");
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[]
        {
            "/v1/pipelines/{name}/predict", "/v1/pipelines/{name}/predict-batch", "/v1/pipelines/{name}/predict-exact",
            "/v1/pipelines", "/v1/pipelines/{name}", "/v1/admin/pipelines/{name}/reload", "/healthz", "/readyz",
        })
        {
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI paths: {string.Join(", ", paths.Select(p => p.Key))}");
        }

        Assert.NotNull(paths["/v1/pipelines/{name}/predict"]!["post"]);
        Assert.NotNull(paths["/v1/pipelines/{name}/predict"]!["post"]!["requestBody"]);
    }
}
