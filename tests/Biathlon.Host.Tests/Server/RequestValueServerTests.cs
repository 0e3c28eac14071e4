using System.Text.Json.Nodes;
using Biathlon.Engine.Models.Export;
using Biathlon.Host.Grpc;
using Biathlon.Host.Grpc.Contracts;
using Google.Protobuf.Collections;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// A server over two small hand-written pipelines that use what a request may now carry: <c>city-readings</c> has
/// fills (x = 1.5, city = "Seattle") and a one-hot city whose unseen values are refused; <c>city-tolerance</c> takes
/// each request's δ from its <c>tolerance</c> field.
/// </summary>
public sealed class RequestValuesServer : ServerFixture
{
    public const string Readings = "city-readings";
    public const string Tolerance = "city-tolerance";

    protected override IEnumerable<string> Arguments()
    {
        Write(Readings, bound: new JsonObject { ["delta"] = 1.0, ["tau"] = 0.9 });
        Write(Tolerance, bound: new JsonObject { ["deltaField"] = "tolerance", ["tau"] = 0.9 });
        return StageArguments();
    }

    private void Write(string name, JsonObject bound)
    {
        var folder = Stage.PathOf(name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "readings.csv"), """
            station,at,v
            a,2024-03-01T10:00:00,1
            a,2024-03-01T11:00:00,2
            a,2024-03-01T12:00:00,3
            a,2024-03-01T13:00:00,4
            a,2024-03-01T14:00:00,5
            b,2024-03-01T10:30:00,100
            """.Replace("            ", "", StringComparison.Ordinal));

        // x, city=Seattle, city=New York, recent_avg, recent_count.
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), OnnxExporter.Regressor(new LinearModel([2.0, 10, 20, 0.5, -1.0], 3.0)));
        var spec = new JsonObject
        {
            ["name"] = name,
            ["task"] = "regression",
            ["tables"] = new JsonArray(new JsonObject { ["name"] = "readings", ["source"] = "readings.csv", ["timeColumn"] = "at", ["partitions"] = 10 }),
            ["request"] = new JsonArray(
                new JsonObject { ["name"] = "station", ["type"] = "string" },
                new JsonObject { ["name"] = "when", ["type"] = "timestamp" },
                new JsonObject { ["name"] = "x", ["type"] = "number", ["fill"] = 1.5 },
                new JsonObject { ["name"] = "city", ["type"] = "string", ["fill"] = "Seattle" },
                new JsonObject { ["name"] = "tolerance", ["type"] = "number", ["fill"] = 2.0 }),
            ["requestFeatures"] = new JsonArray(
                new JsonObject { ["name"] = "x", ["field"] = "x" },
                new JsonObject { ["name"] = "city", ["field"] = "city", ["transform"] = "oneHot", ["categories"] = new JsonArray("Seattle", "New York") }),
            ["queries"] = new JsonArray(new JsonObject
            {
                ["name"] = "recent",
                ["table"] = "readings",
                ["keys"] = new JsonObject { ["station"] = "station" },
                ["window"] = new JsonObject { ["field"] = "when", ["from"] = "-3h", ["to"] = "0" },
                ["aggregates"] = new JsonArray(
                    new JsonObject { ["name"] = "recent_avg", ["op"] = "avg", ["column"] = "v" },
                    new JsonObject { ["name"] = "recent_count", ["op"] = "count" }),
            }),
            ["inputs"] = new JsonArray("x", "city", "recent_avg", "recent_count"),
            ["model"] = new JsonObject { ["file"] = "model.onnx" },
            ["bound"] = bound,
        };
        File.WriteAllText(Path.Combine(folder, "pipeline.json"), spec.ToJsonString());
    }
}

/// <summary>
/// The server accepts what the engine accepts: a field with a fill may be missing or null, a categorical field is a
/// string, and the engine's refusals (an unseen category, an unknown key, a bad δ) are 400 problems naming the field.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class RequestValueServerTests(RequestValuesServer server) : IClassFixture<RequestValuesServer>
{
    private const string Readings = RequestValuesServer.Readings;

    private static JsonObject Request(string city = "New York") => new()
    {
        ["station"] = "a",
        ["when"] = "2024-03-01T14:30:00",
        ["x"] = 1.5,
        ["city"] = city,
    };

    [Fact]
    public async Task A_field_with_a_fill_may_be_missing_or_null()
    {
        var given = await Api.PredictAsync(server.Client, Readings, Request(), "predict-exact");

        // [11:30, 14:30): v = 3, 4, 5; x = 1.5, city = New York → 2·1.5 + 20 + 0.5·4 − 3 + 3.
        Assert.Equal(2 * 1.5 + 20 + 0.5 * 4 - 3 + 3, given["value"]!.GetValue<double>(), 5);

        var missing = Request();
        missing.Remove("x");
        var filled = await Api.PredictAsync(server.Client, Readings, missing, "predict-exact");
        Assert.Equal(given["value"]!.GetValue<double>(), filled["value"]!.GetValue<double>());

        var nulled = Request();
        nulled["x"] = null;
        nulled["city"] = null; // city's fill is Seattle
        var seattle = await Api.PredictAsync(server.Client, Readings, nulled, "predict-exact");
        Assert.Equal(2 * 1.5 + 10 + 0.5 * 4 - 3 + 3, seattle["value"]!.GetValue<double>(), 5);

        var approximate = await Api.PredictAsync(server.Client, Readings, missing);
        Assert.Equal(["x", "city=Seattle", "city=New York", "recent_avg", "recent_count"],
            approximate["features"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_unseen_category_is_a_400_naming_the_field()
    {
        using var response = await Api.PostAsync(server.Client, Api.PredictPath(Readings), Api.Body(Request(city: "Paris")));
        var problem = await Api.AssertProblemAsync(response, 400, "request.city");
        Assert.Contains("'Paris'", problem["detail"]!.GetValue<string>());

        using var batch = await Api.PostAsync(server.Client, Api.PredictPath(Readings, "predict-batch"), Api.BatchBody([Request(), Request(city: "Lyon")]));
        await Api.AssertProblemAsync(batch, 400, "requests[1].city");
    }

    [Fact]
    public async Task An_unknown_key_and_a_window_past_the_timestamps_are_400s_naming_the_field()
    {
        var unknown = Request();
        unknown["station"] = "zzz";
        using (var response = await Api.PostAsync(server.Client, Api.PredictPath(Readings), Api.Body(unknown)))
        {
            var problem = await Api.AssertProblemAsync(response, 400, "request.station");
            Assert.Contains("recent", problem["detail"]!.GetValue<string>());
        }

        var early = Request();
        early["when"] = "0001-01-01T01:00:00";
        using var tooEarly = await Api.PostAsync(server.Client, Api.PredictPath(Readings, "predict-exact"), Api.Body(early));
        await Api.AssertProblemAsync(tooEarly, 400, "request.when");
    }

    [Fact]
    public async Task Delta_per_request_is_reported_refused_by_name_when_bad_and_not_overridden_by_the_call()
    {
        var tolerance = Request();
        tolerance["tolerance"] = 4.0;
        var result = await Api.PredictAsync(server.Client, RequestValuesServer.Tolerance, tolerance);
        Assert.Equal(4.0, result["requestedDelta"]!.GetValue<double>());
        var filled = await Api.PredictAsync(server.Client, RequestValuesServer.Tolerance, Request());
        Assert.Equal(2.0, filled["requestedDelta"]!.GetValue<double>());

        tolerance["tolerance"] = -1.0;
        using (var response = await Api.PostAsync(server.Client, Api.PredictPath(RequestValuesServer.Tolerance), Api.Body(tolerance)))
        {
            await Api.AssertProblemAsync(response, 400, "request.tolerance");
        }

        using (var response = await Api.PostAsync(server.Client, Api.PredictPath(RequestValuesServer.Tolerance), Api.Body(Request(), ("delta", 3.0))))
        {
            await Api.AssertProblemAsync(response, 400, "delta");
        }

        // The pipeline has no δ of its own to describe.
        var described = await Api.GetOkAsync(server.Client, $"v1/pipelines/{RequestValuesServer.Tolerance}");
        Assert.Null(described["delta"]);
        Assert.Equal(1.0, (await Api.GetOkAsync(server.Client, $"v1/pipelines/{Readings}"))["delta"]!.GetValue<double>());
    }

    /// <summary>gRPC can carry NaN, which JSON cannot: it reaches the engine, which takes the field's fill or refuses it by name.</summary>
    [Fact]
    public void A_grpc_nan_reaches_the_engine()
    {
        var map = new MapField<string, Value> { ["x"] = new Value { DoubleValue = double.NaN }, ["y"] = new Value { DoubleValue = double.PositiveInfinity } };
        var fields = RequestConverter.ToFields(map, "request", 64);
        Assert.True(double.IsNaN((double)fields["x"]!));
        Assert.True(double.IsPositiveInfinity((double)fields["y"]!));
        Assert.Equal("delta", Assert.Throws<Serving.ServeException>(() => RequestConverter.Optional(true, double.NaN, "delta")).Field);
    }
}
