using System.Text.Json.Nodes;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models.Export;
using Biathlon.Engine.Specs;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests;

/// <summary>
/// Pipeline specs over a small hand-written CSV table: a valid one serves exact predictions equal to the model applied
/// by hand, and every kind of bad reference fails with one error naming the spec file and the JSON path.
/// </summary>
public sealed class PipelineSpecTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public PipelineSpecTests()
    {
        // Station "a" has readings at 10:00, 11:00, ... of 2024-03-01 with v = 1..6; "b" has two readings.
        File.WriteAllText(_dir.File("readings.csv"), """
            station,at,v,n
            a,2024-03-01T10:00:00,1,10
            a,2024-03-01T11:00:00,2,20
            a,2024-03-01T12:00:00,3,30
            a,2024-03-01T13:00:00,4,40
            a,2024-03-01T14:00:00,5,50
            a,2024-03-01T15:00:00,6,60
            b,2024-03-01T10:30:00,100,1
            b,2024-03-01T11:30:00,200,2
            """.Replace("            ", "", StringComparison.Ordinal));
        File.WriteAllBytes(_dir.File("model.onnx"), OnnxExporter.Regressor(new LinearModel([2.0, 0.5, -1.0], 3.0)));
        File.WriteAllBytes(_dir.File("narrow.onnx"), OnnxExporter.Regressor(new LinearModel([2.0, 0.5], 3.0)));
        File.WriteAllBytes(_dir.File("sin.onnx"), SinModel());
    }

    private static JsonObject ValidSpec() => JsonNode.Parse("""
        {
          "name": "readings",
          "task": "regression",
          "tables": [ { "name": "readings", "source": "readings.csv", "timeColumn": "at", "partitions": 10 } ],
          "request": [ { "name": "station", "type": "string" }, { "name": "when", "type": "timestamp" }, { "name": "x", "type": "number" } ],
          "requestFeatures": [ { "name": "x", "field": "x" } ],
          "queries": [
            {
              "name": "recent", "table": "readings", "keys": { "station": "station" },
              "window": { "field": "when", "from": "-3h", "to": "0" },
              "aggregates": [ { "name": "recent_avg", "op": "avg", "column": "v" }, { "name": "recent_count", "op": "count" } ]
            }
          ],
          "inputs": [ "x", "recent_avg", "recent_count" ],
          "model": { "file": "model.onnx" },
          "bound": { "delta": 1.0, "tau": 0.9 }
        }
        """)!.AsObject();

    private string Write(JsonObject spec)
    {
        File.WriteAllText(_dir.File("pipeline.json"), spec.ToJsonString());
        return _dir.Path;
    }

    private PipelineSpecException LoadFails(Action<JsonObject> edit)
    {
        var spec = ValidSpec();
        edit(spec);
        var folder = Write(spec);
        var e = Assert.ThrowsAny<PipelineSpecException>(() => BiathlonEngine.LoadAsync(folder, new EngineOptions { CacheDirectory = _dir.File("cache") }).GetAwaiter().GetResult());
        Assert.Equal(_dir.File("pipeline.json"), e.File);
        Assert.Contains(e.JsonPath, e.Message);
        return e;
    }

    [Fact]
    public async Task A_valid_spec_serves_the_model_applied_to_exact_features()
    {
        using var engine = await BiathlonEngine.LoadAsync(Write(ValidSpec()), new EngineOptions { CacheDirectory = _dir.File("cache") });
        var request = new Dictionary<string, object?> { ["station"] = "a", ["when"] = new DateTime(2024, 3, 1, 14, 30, 0), ["x"] = 2.0 };
        var exact = engine.PredictExact(request);

        // Window [11:30, 14:30) holds v = 3, 4, 5: avg 4, count 3 → 2·2 + 0.5·4 − 1·3 + 3.
        Assert.Equal(2 * 2 + 0.5 * 4 - 3 + 3, exact.Value, 5);
        Assert.Equal(["x", "recent_avg", "recent_count"], engine.InputNames);
        Assert.Equal(1.0, engine.Delta);

        // An empty window: AVG is undefined and takes its fill value 0, COUNT is 0.
        var empty = engine.PredictExact(new Dictionary<string, object?> { ["station"] = "b", ["when"] = new DateTime(2024, 3, 2), ["x"] = 1.0 });
        Assert.Equal(2 * 1 + 3, empty.Value, 5);
        Assert.Equal(0, empty.Features[1].Value);

        var approximate = engine.Predict(request);
        Assert.True(approximate.MeetsBound);
        Assert.True(Math.Abs(approximate.Value - exact.Value) <= 1.0 || approximate.IsExact);
    }

    [Fact]
    public void Unknown_table_column_field_and_input_are_named_by_json_path()
    {
        Assert.Equal("$.queries[0].table", LoadFails(s => s["queries"]![0]!["table"] = "nope").JsonPath);
        Assert.Equal("$.queries[0].keys.nope", LoadFails(s => s["queries"]![0]!["keys"] = new JsonObject { ["nope"] = "station" }).JsonPath);
        Assert.Equal("$.queries[0].keys.station", LoadFails(s => s["queries"]![0]!["keys"] = new JsonObject { ["station"] = "missing_field" }).JsonPath);
        Assert.Equal("$.queries[0].aggregates[0].column", LoadFails(s => s["queries"]![0]!["aggregates"]![0]!["column"] = "w").JsonPath);
        Assert.Equal("$.queries[0].window.field", LoadFails(s => s["queries"]![0]!["window"]!["field"] = "then").JsonPath);
        Assert.Equal("$.inputs[1]", LoadFails(s => s["inputs"]![1] = "recent_max").JsonPath);
        Assert.Equal("$.tables[0].timeColumn", LoadFails(s => s["tables"]![0]!["timeColumn"] = "clock").JsonPath);
    }

    [Fact]
    public void Type_mismatches_are_named_by_json_path()
    {
        Assert.Equal("$.queries[0].keys.station", LoadFails(s => s["queries"]![0]!["keys"] = new JsonObject { ["station"] = "x" }).JsonPath);
        Assert.Equal("$.queries[0].aggregates[0].column", LoadFails(s => s["queries"]![0]!["aggregates"]![0]!["column"] = "station").JsonPath);
        Assert.Equal("$.requestFeatures[0].field", LoadFails(s => s["requestFeatures"]![0]!["field"] = "station").JsonPath);
        Assert.Equal("$.queries[0].window.from", LoadFails(s => s["queries"]![0]!["window"]!["from"] = "-3").JsonPath);
    }

    [Fact]
    public void A_window_that_starts_after_it_ends_is_named()
    {
        var e = LoadFails(s => s["queries"]![0]!["window"]!["from"] = "1h");
        Assert.Equal("$.queries[0].window.from", e.JsonPath);
        Assert.Contains("starts after it ends", e.Message);
    }

    [Fact]
    public void A_missing_model_and_a_model_of_the_wrong_width_are_named()
    {
        Assert.Equal("$.model.file", LoadFails(s => s["model"]!["file"] = "absent.onnx").JsonPath);
        var narrow = LoadFails(s => s["model"]!["file"] = "narrow.onnx");
        Assert.Equal("$.inputs", narrow.JsonPath);
        Assert.Contains("takes 2 inputs but the spec lists 3", narrow.Message);
    }

    [Fact]
    public void A_bad_runtime_and_a_native_runtime_for_an_unsupported_graph_are_named()
    {
        var bad = LoadFails(s => s["model"]!["runtime"] = "gpu");
        Assert.Equal("$.model.runtime", bad.JsonPath);
        Assert.Contains("\"auto\", \"native\" or \"onnxruntime\"", bad.Message);
        var unsupported = LoadFails(s =>
        {
            s["model"]!["file"] = "sin.onnx";
            s["model"]!["runtime"] = "native";
        });
        Assert.Equal("$.model.runtime", unsupported.JsonPath);
        Assert.Contains("operator Sin", unsupported.Message);
    }

    [Theory]
    [InlineData("auto", "sin.onnx", Models.ModelRuntime.OnnxRuntime)]
    [InlineData("auto", "model.onnx", Models.ModelRuntime.Native)]
    [InlineData("onnxruntime", "model.onnx", Models.ModelRuntime.OnnxRuntime)]
    [InlineData("native", "model.onnx", Models.ModelRuntime.Native)]
    public async Task The_runtime_choice_is_reported(string runtime, string model, Models.ModelRuntime expected)
    {
        var spec = ValidSpec();
        spec["model"]!["file"] = model;
        spec["model"]!["runtime"] = runtime;
        var lines = new List<string>();
        using var engine = await BiathlonEngine.LoadAsync(Write(spec), new EngineOptions { CacheDirectory = _dir.File("cache"), Progress = new SyncProgress(lines) });
        Assert.Equal(expected, engine.ModelRuntime);
        Assert.Contains(lines, l => l.StartsWith("model: ", StringComparison.Ordinal) && l.Contains(expected == Models.ModelRuntime.Native ? "native" : "ONNX Runtime"));
        if (model == "sin.onnx")
        {
            Assert.Contains("Sin", engine.ModelDescription);
        }
    }

    /// <summary>sin(x)·w: an operator the native evaluator does not implement.</summary>
    private static byte[] SinModel()
    {
        var graph = new OnnxGraphBuilder();
        graph.FloatInput("input", 3);
        graph.Node("Sin", ["input"], ["s"]);
        graph.FloatInitializer("w", [3, 1], [1f, 1f, 1f]);
        graph.Node("MatMul", ["s", "w"], ["prediction"]);
        graph.Output("prediction", Models.Onnx.TensorProto.Types.DataType.Float, 1);
        return graph.Build(null, usesMlDomain: false);
    }

    private sealed class SyncProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }

    [Fact]
    public void Bad_bounds_tasks_and_planner_settings_are_named()
    {
        Assert.Equal("$.bound.delta", LoadFails(s => s["bound"]!["delta"] = -1).JsonPath);
        Assert.Equal("$.bound.tau", LoadFails(s => s["bound"]!["tau"] = 1).JsonPath);
        Assert.Equal("$.bound.tau", LoadFails(s => s["bound"]!["tau"] = 0).JsonPath);
        Assert.Equal("$.task", LoadFails(s => s["task"] = "ranking").JsonPath);
        Assert.Equal("$.planner.baseSamples", LoadFails(s => s["planner"] = new JsonObject { ["baseSamples"] = 100 }).JsonPath);
        Assert.Equal("$.planner.initialFraction", LoadFails(s => s["planner"] = new JsonObject { ["initialFraction"] = 0 }).JsonPath);
        Assert.Equal("$.planner.initialRows", LoadFails(s => s["planner"] = new JsonObject { ["initialRows"] = -1 }).JsonPath);
        Assert.Equal("$.bound.deltaMetadata", LoadFails(s =>
        {
            s["bound"] = new JsonObject { ["deltaMetadata"] = "validation_mae", ["tau"] = 0.9 };
        }).JsonPath);
    }

    [Fact]
    public void Bad_census_settings_are_named_by_json_path()
    {
        Assert.Equal("$.tables[0].census.fence", LoadFails(s => s["tables"]![0]!["census"] = new JsonObject { ["fence"] = -1 }).JsonPath);
        Assert.Equal("$.tables[0].census.maxShare", LoadFails(s => s["tables"]![0]!["census"] = new JsonObject { ["maxShare"] = 0.5 }).JsonPath);
        Assert.Equal("$.tables[0].census.columns[0]", LoadFails(s => s["tables"]![0]!["census"] = new JsonObject { ["columns"] = new JsonArray("") }).JsonPath);

        // Columns are checked against the data: a string column has no tail to fence, an absent one is named too.
        Assert.Equal("$.tables[0].census.columns", LoadFails(s => s["tables"]![0]!["census"] = new JsonObject { ["columns"] = new JsonArray("station") }).JsonPath);
        Assert.Equal("$.tables[0].census.columns", LoadFails(s => s["tables"]![0]!["census"] = new JsonObject { ["columns"] = new JsonArray("nope") }).JsonPath);
        Assert.Equal("$.planner.bootstrapResamples", LoadFails(s => s["planner"] = new JsonObject { ["bootstrapResamples"] = 100 }).JsonPath);
    }

    [Fact]
    public async Task The_census_defaults_to_the_columns_the_queries_average_and_can_be_turned_off()
    {
        using (var engine = await BiathlonEngine.LoadAsync(Write(ValidSpec()), new EngineOptions { CacheDirectory = _dir.File("cache-on") }))
        {
            var census = new PipelineDiagnostics(engine).GetTable("readings").Census;
            Assert.NotNull(census);
            Assert.Equal(["v"], census.Columns.Select(c => c.Name));
        }

        var off = ValidSpec();
        off["tables"]![0]!["census"] = new JsonObject { ["enabled"] = false };
        using (var engine = await BiathlonEngine.LoadAsync(Write(off), new EngineOptions { CacheDirectory = _dir.File("cache-off") }))
        {
            Assert.Null(new PipelineDiagnostics(engine).GetTable("readings").Census);
        }
    }

    [Fact]
    public void Malformed_json_and_unknown_properties_are_named()
    {
        Assert.Equal("$.modle", LoadFails(s => s["modle"] = new JsonObject()).JsonPath);
        File.WriteAllText(_dir.File("pipeline.json"), "{ \"name\": \"x\", \"tables\": [ { \"partitions\": \"many\" } ] }");
        var e = Assert.Throws<PipelineSpecException>(() => PipelineSpecLoader.Load(_dir.Path));
        Assert.Equal("$.tables[0].partitions", e.JsonPath);
    }

    [Fact]
    public void A_missing_data_file_is_named()
    {
        var spec = ValidSpec();
        spec["tables"]![0]!["source"] = "nowhere.csv";
        var folder = Write(spec);
        var e = Assert.ThrowsAny<Sampling.Errors.DataSourceException>(() => BiathlonEngine.LoadAsync(folder, new EngineOptions { CacheDirectory = _dir.File("cache") }).GetAwaiter().GetResult());
        Assert.EndsWith("nowhere.csv", e.SourceName);
    }

    [Fact]
    public void Offsets_parse_with_units()
    {
        Assert.True(PipelineSpecLoader.TryParseOffset("-30d", out var d, out var unit) && unit);
        Assert.Equal(-30 * Sampling.Schema.TimeValue.MicrosPerDay, d);
        Assert.True(PipelineSpecLoader.TryParseOffset("-720", out var raw, out var none) && !none);
        Assert.Equal(-720, raw);
        Assert.False(PipelineSpecLoader.TryParseOffset("soon", out _, out _));
        Assert.Equal(PredictionTask.Regression, PipelineSpecLoader.Load(Write(ValidSpec())).Task);
    }

    public void Dispose() => _dir.Dispose();
}
