using System.Text.Json.Nodes;
using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Experiments.Baselines;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Propagation;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The exact ClickHouse baseline computes the engine's exact model inputs: on real Flight-Delay requests over the 3M
/// flights, and on a small CSV pipeline whose edge cases (nulls, filters, empty windows, one-row variances, min, max,
/// count distinct, interpolated percentiles) are checked against hand-computed values and against the engine.
/// </summary>
public sealed class ClickHouseExactTests(ClickHouseServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<ClickHouseServerFixture>, IDisposable
{
    private const double RelativeTolerance = 1e-6;

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Flight_delay_features_equal_the_engines_exact_features()
    {
        var parquet = RealData.Require("flights", "flights-3m.parquet");
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines", "flight-delay");
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory, LoadModel = false });
        var pipeline = await ClickHousePipeline.LoadAsync(fixture.Server, engine.Definition);
        var requests = (await FlightRequests.LoadAsync(parquet)).Sample(new DateTime(2001, 6, 1), new DateTime(2001, 7, 1), 30, seed: 5)
            .Select(f => (IReadOnlyDictionary<string, object?>)f.ToRequest())
            .ToArray();
        Assert.Equal(30, requests.Length);

        var exact = new ClickHouseExactFeatures(pipeline);
        var statements = exact.Statements(requests[0]);
        foreach (var sql in statements)
        {
            output.WriteLine(sql);
        }

        Assert.Equal(6, statements.Count);
        Assert.Contains(statements, s => s.Contains("`origin` = ", StringComparison.Ordinal) && s.Contains("`destination` = ", StringComparison.Ordinal));
        AssertSameFeatures(engine, exact, requests);
    }

    [Fact]
    public async Task Csv_pipeline_features_match_hand_computed_values_and_the_engine()
    {
        var folder = WriteCsvPipeline();
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { CacheDirectory = _dir.File("cache") });
        var pipeline = await ClickHousePipeline.LoadAsync(fixture.Server, engine.Definition);
        var exact = new ClickHouseExactFeatures(pipeline);
        var requests = new[]
        {
            Request("k1", new DateTime(2023, 5, 2, 12, 0, 0)),
            Request("k1", new DateTime(2023, 5, 1, 7, 30, 0)),
            Request("k2", new DateTime(2023, 5, 2, 12, 0, 0)),
            Request("k's", new DateTime(2023, 5, 2, 12, 0, 0)),
            Request("none", new DateTime(2023, 5, 2, 12, 0, 0)),
        };
        AssertSameFeatures(engine, exact, requests.Take(4).ToArray()); // "none" is a bad request to the engine (unknown key)

        var names = engine.InputNames.ToList();
        var features = new float[names.Count];
        float At(string name) => features[names.IndexOf(name)];

        // k1 at 2023-05-02 12:00, window [05-01 12:00, 05-02 12:00): rows at 13:00 (a 4, b 1.5), 18:00 (a 10, b null,
        // tag y), 05-02 06:00 (a null, b 3, tag x), 11:00 (a 7, b 0.5); the row at 12:00 on 05-02 is outside.
        exact.ComputeFeatures(requests[0], features);
        Assert.Equal(4, At("rows"));
        Assert.Equal(3, At("a_count"));
        Assert.Equal(7, At("a_avg"));
        Assert.Equal(9, At("a_var")); // (4, 10, 7): mean 7, squares 9 + 9 + 0, / 2
        Assert.Equal(21, At("a_sum"));
        Assert.Equal(0.5f, At("b_min"));
        Assert.Equal(3, At("b_max"));
        Assert.Equal(2, At("tags"));
        Assert.Equal(7.6f, At("a_p60")); // sorted 4, 7, 10: position 0.6 · 2 = 1.2 → 7 + 0.2 · (10 − 7)
        Assert.Equal(1.5f, At("b_median")); // 0.5, 1.5, 3
        Assert.Equal(2, At("x_rows")); // tag = 'x' rows: 13:00 and 05-02 06:00
        Assert.Equal(1, At("big_a")); // a > 7.5: only 10

        // k1 at 05-01 07:30: no rows in the window: fills, COUNT 0, SUM 0.
        exact.ComputeFeatures(requests[1], features);
        Assert.Equal(0, At("rows"));
        Assert.Equal(-1, At("a_avg"));
        Assert.Equal(-2, At("a_var"));
        Assert.Equal(0, At("a_sum"));
        Assert.Equal(-3, At("b_min"));
        Assert.Equal(-5, At("a_p60"));
        Assert.Equal(0, At("tags"));

        // k2: one row with a: VAR of one value takes its fill.
        exact.ComputeFeatures(requests[2], features);
        Assert.Equal(1, At("a_count"));
        Assert.Equal(-2, At("a_var"));
        Assert.Equal(12, At("hour"));

        // A key with a quote is escaped; an unknown key is an empty group here.
        exact.ComputeFeatures(requests[3], features);
        Assert.Equal(1, At("rows"));
        exact.ComputeFeatures(requests[4], features);
        Assert.Equal(0, At("rows"));

        using var model = OnnxModel.Load(engine.Definition.ModelFile, PredictionTask.Regression);
        foreach (var request in requests.Take(4))
        {
            Assert.Equal(engine.PredictExact(request).Value, exact.Predict(request, model), 4);
        }
    }

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, object?> Request(string key, DateTime at) => new() { ["key"] = key, ["at"] = at };

    private static void AssertSameFeatures(BiathlonEngine engine, ClickHouseExactFeatures exact, IReadOnlyList<IReadOnlyDictionary<string, object?>> requests)
    {
        var definition = engine.Definition;
        var expected = new float[definition.Inputs.Count];
        var actual = new float[definition.Inputs.Count];
        var mismatches = new List<string>();
        foreach (var request in requests)
        {
            new PipelineDiagnostics(engine).ComputeExactFeatures(request, expected);
            exact.ComputeFeatures(request, actual);
            for (var i = 0; i < expected.Length; i++)
            {
                if (!(Math.Abs(expected[i] - actual[i]) <= RelativeTolerance * Math.Max(1, Math.Abs(expected[i]))))
                {
                    mismatches.Add($"{definition.Inputs[i].Name} for {string.Join(", ", request.Select(kv => $"{kv.Key}={kv.Value}"))}: engine {expected[i]:R}, ClickHouse {actual[i]:R}");
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    private string WriteCsvPipeline()
    {
        File.WriteAllText(_dir.File("events.csv"), string.Join('\n',
            "key,at,a,b,tag",
            "k1,2023-05-01T08:00:00,100,9,x",
            "k1,2023-05-01T13:00:00,4,1.5,x",
            "k1,2023-05-01T18:00:00,10,NA,y",
            "k1,2023-05-02T06:00:00,,3,x",
            "k1,2023-05-02T11:00:00,7,0.5,",
            "k1,2023-05-02T12:00:00,50,50,x",
            "k2,2023-05-02T10:00:00,2,2,x",
            "k's,2023-05-02T10:00:00,1,1,z") + "\n");
        var spec = new JsonObject
        {
            ["name"] = "events",
            ["task"] = "regression",
            ["tables"] = new JsonArray(new JsonObject { ["name"] = "events", ["source"] = "events.csv", ["timeColumn"] = "at", ["partitions"] = 4 }),
            ["request"] = new JsonArray(
                new JsonObject { ["name"] = "key", ["type"] = "string" },
                new JsonObject { ["name"] = "at", ["type"] = "timestamp" }),
            ["requestFeatures"] = new JsonArray(new JsonObject { ["name"] = "hour", ["field"] = "at", ["transform"] = "hourOfDay" }),
            ["queries"] = new JsonArray(
                Query("day", null,
                    Aggregate("rows", "count", null), Aggregate("a_count", "count", "a"), Aggregate("a_avg", "avg", "a", -1),
                    Aggregate("a_var", "var", "a", -2), Aggregate("a_sum", "sum", "a", 9), Aggregate("b_min", "min", "b", -3),
                    Aggregate("b_max", "max", "b", -4), Aggregate("tags", "countDistinct", "tag"),
                    Aggregate("a_p60", "percentile", "a", -5, 0.6), Aggregate("b_median", "median", "b", -6)),
                Query("day_x", new JsonObject { ["column"] = "tag", ["op"] = "=", ["value"] = "x" }, Aggregate("x_rows", "count", null)),
                Query("day_big", new JsonObject { ["column"] = "a", ["op"] = ">", ["value"] = 7.5 }, Aggregate("big_a", "count", null))),
            ["inputs"] = new JsonArray("hour", "rows", "a_count", "a_avg", "a_var", "a_sum", "b_min", "b_max", "tags", "a_p60", "b_median", "x_rows", "big_a"),
            ["model"] = new JsonObject { ["file"] = "model.onnx" },
            ["bound"] = new JsonObject { ["delta"] = 1.0, ["tau"] = 0.9 },
        };
        File.WriteAllText(_dir.File("pipeline.json"), spec.ToJsonString());
        File.WriteAllBytes(_dir.File("model.onnx"), OnnxExporter.Regressor(new LinearModel([0.5, 1, 0.25, 0.5, 0.125, 0.0625, 1, 1, 2, 0.5, 1, 3, 4], 1.5)));
        return _dir.Path;
    }

    private static JsonObject Query(string name, JsonObject? filter, params JsonObject[] aggregates)
    {
        var query = new JsonObject
        {
            ["name"] = name,
            ["table"] = "events",
            ["keys"] = new JsonObject { ["key"] = "key" },
            ["window"] = new JsonObject { ["field"] = "at", ["from"] = "-1d", ["to"] = "0" },
            ["aggregates"] = new JsonArray(aggregates),
        };
        if (filter is not null)
        {
            query["filters"] = new JsonArray(filter);
        }

        return query;
    }

    private static JsonObject Aggregate(string name, string op, string? column, double? fill = null, double? quantile = null)
    {
        var aggregate = new JsonObject { ["name"] = name, ["op"] = op };
        if (column is not null)
        {
            aggregate["column"] = column;
        }

        if (fill is { } f)
        {
            aggregate["fill"] = f;
        }

        if (quantile is { } q)
        {
            aggregate["quantile"] = q;
        }

        return aggregate;
    }
}
