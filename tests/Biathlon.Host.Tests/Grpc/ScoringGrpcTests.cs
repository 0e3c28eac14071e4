using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Metrics;
using Grpc.Core;

namespace Biathlon.Host.Tests.Grpc;

/// <summary>The gRPC Scoring service answers as the JSON API does, over the same engine, catalog and limits.</summary>
public sealed class ScoringGrpcTests(OpenServerFixture server) : IClassFixture<OpenServerFixture>
{
    // Long enough that no round is cut short on a busy machine: the engine is then deterministic per request.
    private const double DeadlineMs = 30_000;

    [Fact]
    public async Task Predict_returns_the_json_endpoints_value_seed_and_S1()
    {
        // An answer shaped by measured costs (the exact shortcut) may change as other tests' traffic moves the costs;
        // one that is not replays exactly. So compare a pair of answers neither of which depends on costs.
        var request = new PredictRequest { Pipeline = "flight-delay", DeadlineMs = DeadlineMs };
        Requests.Into(request.Request, Requests.Flight());
        JsonDocument json;
        Prediction grpc;
        var attempts = 0;
        while (true)
        {
            json = await PostJsonAsync("/v1/pipelines/flight-delay/predict", Requests.Flight());
            grpc = await server.Scoring.PredictAsync(request);
            if ((!json.RootElement.GetProperty("dependsOnMeasuredCosts").GetBoolean() && !grpc.DependsOnMeasuredCosts) || ++attempts == 10)
            {
                break;
            }

            json.Dispose();
        }

        using var _ = json;

        var expected = json.RootElement;
        Assert.Equal("flight-delay", grpc.Pipeline);
        Assert.Equal(expected.GetProperty("version").GetInt64(), grpc.Version);
        Assert.Equal(expected.GetProperty("seed").GetUInt64(), grpc.Seed);
        Assert.Equal(expected.GetProperty("value").GetDouble(), grpc.Value);
        Assert.Equal(expected.GetProperty("stopReason").GetString(), grpc.StopReason);
        Assert.Equal(expected.GetProperty("valueKind").GetString(), grpc.ValueKind);
        Assert.Equal(expected.GetProperty("rounds").GetInt32(), grpc.Rounds);
        Assert.Equal(
            expected.GetProperty("queries").EnumerateArray().Select(q => (q.GetProperty("name").GetString(), q.GetProperty("s1").GetDouble(), q.GetProperty("rowsScanned").GetInt64())),
            grpc.Queries.Select(q => ((string?)q.Name, q.S1, q.RowsScanned)));
        Assert.Equal(
            expected.GetProperty("features").EnumerateArray().Select(f => (f.GetProperty("name").GetString(), f.GetProperty("value").GetDouble(), f.GetProperty("error").GetString())),
            grpc.Features.Select(f => ((string?)f.Name, f.Value, (string?)f.Error)));
        Assert.Contains(grpc.Queries, q => q.S1 > 0);
        Assert.True(grpc.Timings.TotalMs > 0);
        var compute = expected.GetProperty("compute");
        Assert.Equal(compute.GetProperty("backend").GetString(), grpc.Compute.Backend);
        Assert.Equal(compute.GetProperty("aggregatesOnDevice").GetBoolean(), grpc.Compute.AggregatesOnDevice);
        Assert.Equal(compute.GetProperty("modelOnDevice").GetBoolean(), grpc.Compute.ModelOnDevice);
        Assert.Equal("", grpc.Compute.Fallback);
    }

    [Fact]
    public async Task PredictBatch_answers_every_request_in_order_as_Predict_does()
    {
        var batch = new PredictBatchRequest { Pipeline = "sensor-anomaly", DeadlineMs = DeadlineMs };
        long[] readings = [500, 900, 1300];
        foreach (var reading in readings)
        {
            var one = new Request();
            Requests.Into(one.Fields, Requests.Sensor(reading));
            batch.Requests.Add(one);
        }

        var response = await server.Scoring.PredictBatchAsync(batch);

        Assert.Equal("sensor-anomaly", response.Pipeline);
        Assert.Equal(readings.Length, response.Results.Count);
        for (var i = 0; i < readings.Length; i++)
        {
            var single = new PredictRequest { Pipeline = "sensor-anomaly", DeadlineMs = DeadlineMs };
            Requests.Into(single.Request, Requests.Sensor(readings[i]));
            var alone = await server.Scoring.PredictAsync(single);
            Assert.Equal(alone.Seed, response.Results[i].Seed);
            Assert.Equal(alone.Value, response.Results[i].Value);
            Assert.Equal(response.Version, response.Results[i].Version);
        }

        Assert.Equal(3, response.Results.Select(r => r.Seed).Distinct().Count());
    }

    [Fact]
    public async Task PredictExact_reads_every_query_and_matches_the_json_endpoint()
    {
        var request = new PredictExactRequest { Pipeline = "flight-delay", DeadlineMs = DeadlineMs };
        Requests.Into(request.Request, Requests.Flight());

        var grpc = await server.Scoring.PredictExactAsync(request);
        using var json = await PostJsonAsync("/v1/pipelines/flight-delay/predict-exact", Requests.Flight());

        Assert.True(grpc.IsExact);
        Assert.True(grpc.MeetsBound);
        Assert.Equal("AllExact", grpc.StopReason);
        Assert.All(grpc.Queries, q => Assert.Equal(1.0, q.Fraction));
        Assert.Equal(json.RootElement.GetProperty("value").GetDouble(), grpc.Value);
    }

    [Fact]
    public async Task ListPipelines_and_DescribePipeline_match_the_json_api()
    {
        var list = await server.Scoring.ListPipelinesAsync(new ListPipelinesRequest());
        Assert.Equal(["flight-delay", "sensor-anomaly"], list.Pipelines.Select(p => p.Name));

        var described = await server.Scoring.DescribePipelineAsync(new DescribePipelineRequest { Pipeline = "sensor-anomaly" });
        using var json = JsonDocument.Parse(await server.Json.GetStringAsync(new Uri("/v1/pipelines/sensor-anomaly", UriKind.Relative)));
        var expected = json.RootElement;
        Assert.Equal("serving", described.State);
        Assert.Equal(expected.GetProperty("version").GetInt64(), described.Version);
        Assert.Equal(expected.GetProperty("task").GetString(), described.Task);
        Assert.Equal(expected.GetProperty("tau").GetDouble(), described.Tau);
        Assert.Equal(expected.GetProperty("model").GetString(), described.Model);
        Assert.Equal(
            expected.GetProperty("request").EnumerateArray().Select(f => (f.GetProperty("name").GetString(), f.GetProperty("type").GetString())),
            described.Request.Select(f => ((string?)f.Name, (string?)f.Type)));
        Assert.Equal(expected.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()), described.Inputs);
        Assert.Equal(expected.GetProperty("queries").GetArrayLength(), described.Queries.Count);
        Assert.True(described.SelfTest.Passed);
        Assert.False(described.HasError);
        Assert.Null(described.Shadow);
    }

    [Fact]
    public async Task An_unknown_pipeline_is_NotFound()
    {
        var request = new PredictRequest { Pipeline = "no-such-pipeline" };
        Requests.Into(request.Request, Requests.Sensor());

        var predict = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(request).ResponseAsync);
        var describe = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.DescribePipelineAsync(new DescribePipelineRequest { Pipeline = "no-such-pipeline" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, predict.StatusCode);
        Assert.Equal("pipeline", predict.Trailers.GetValue("field"));
        Assert.Equal(StatusCode.NotFound, describe.StatusCode);
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_InvalidArgument_naming_the_field()
    {
        var fields = Requests.Flight();
        fields["origin"] = 1L;
        var request = new PredictRequest { Pipeline = "flight-delay" };
        Requests.Into(request.Request, fields);

        var e = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("request.origin", e.Trailers.GetValue("field"));
        Assert.Contains("request.origin", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_field_inside_a_batch_is_named_by_its_index()
    {
        var batch = new PredictBatchRequest { Pipeline = "sensor-anomaly" };
        var good = new Request();
        Requests.Into(good.Fields, Requests.Sensor());
        var fields = Requests.Sensor();
        fields["mote"] = "one";
        var bad = new Request();
        Requests.Into(bad.Fields, fields);
        batch.Requests.Add(good);
        batch.Requests.Add(bad);

        var e = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictBatchAsync(batch).ResponseAsync);
        var empty = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictBatchAsync(new PredictBatchRequest { Pipeline = "sensor-anomaly" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("requests[1].mote", e.Trailers.GetValue("field"));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal("requests", empty.Trailers.GetValue("field"));
    }

    [Fact]
    public async Task The_servers_string_and_message_limits_apply()
    {
        var fields = Requests.Flight();
        fields["origin"] = new string('A', 300);
        var overLong = new PredictRequest { Pipeline = "flight-delay" };
        Requests.Into(overLong.Request, fields);
        fields["origin"] = new string('A', 2 << 20);
        var overLarge = new PredictRequest { Pipeline = "flight-delay" };
        Requests.Into(overLarge.Request, fields);

        var tooLong = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(overLong).ResponseAsync);
        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(overLarge).ResponseAsync);

        // 256 characters and 1 MiB by default (Biathlon:Limits:MaxStringLength and MaxBodyBytes); gRPC's own limit is 4 MiB.
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Equal("request.origin", tooLong.Trailers.GetValue("field"));
        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
    }

    [Theory]
    [InlineData(double.NaN, "tau")]
    [InlineData(0.2, "tau")]
    [InlineData(double.PositiveInfinity, "deadlineMs")]
    [InlineData(-1.0, "deadlineMs")]
    public async Task Out_of_range_overrides_are_InvalidArgument(double value, string field)
    {
        var request = new PredictRequest { Pipeline = "sensor-anomaly" };
        Requests.Into(request.Request, Requests.Sensor());
        if (field == "tau")
        {
            request.Tau = value;
        }
        else
        {
            request.DeadlineMs = value;
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, e.Trailers.GetValue("field"));
    }

    [Fact]
    public async Task A_gRPC_deadline_beyond_the_servers_maximum_is_capped_not_refused()
    {
        // deadline_ms above the maximum is refused; a gRPC deadline is the client's transport setting, so it is capped.
        var request = new PredictRequest { Pipeline = "sensor-anomaly" };
        Requests.Into(request.Request, Requests.Sensor());

        var prediction = await server.Scoring.PredictAsync(request, deadline: DateTime.UtcNow.AddMinutes(10));
        request.DeadlineMs = 600_000;
        var refused = await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(request).ResponseAsync);

        Assert.Equal("sensor-anomaly", prediction.Pipeline);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("deadlineMs", refused.Trailers.GetValue("field"));
    }

    [Fact]
    public async Task Predictions_record_the_request_metric_under_grpc_endpoints()
    {
        var recorded = new ConcurrentQueue<(string? Pipeline, string? Endpoint, int? Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ServerInstruments.MeterName && instrument.Name == "biathlon.server.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? pipeline = null, endpoint = null;
            int? status = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "pipeline":
                        pipeline = tag.Value as string;
                        break;
                    case "endpoint":
                        endpoint = tag.Value as string;
                        break;
                    case "status":
                        // The instruments tag status codes as cached strings (no boxing per call).
                        status = tag.Value switch { int code => code, string text => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture), _ => null };
                        break;
                }
            }

            recorded.Enqueue((pipeline, endpoint, status));
        });
        listener.Start();
        var exact = new PredictExactRequest { Pipeline = "sensor-anomaly", DeadlineMs = DeadlineMs };
        Requests.Into(exact.Request, Requests.Sensor());
        var unknown = new PredictRequest { Pipeline = "no-such-pipeline" };

        await server.Scoring.PredictExactAsync(exact);
        await Assert.ThrowsAsync<RpcException>(() => server.Scoring.PredictAsync(unknown).ResponseAsync);

        Assert.Contains(("sensor-anomaly", "grpc.predict-exact", 200), recorded);
        Assert.Contains(("unknown", "grpc.predict", 404), recorded);
    }

    private async Task<JsonDocument> PostJsonAsync(string path, Dictionary<string, object> fields)
    {
        using var response = await server.Json.PostAsync(new Uri(path, UriKind.Relative), Requests.Json(fields, DeadlineMs));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode}: {body}"));
        return JsonDocument.Parse(body);
    }
}
