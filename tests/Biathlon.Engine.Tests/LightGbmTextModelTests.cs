using System.Text.Json.Nodes;
using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Import;
using Biathlon.Engine.Specs;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Tests;

/// <summary>
/// Hand-written LightGBM text models: what is read (thresholds as the largest float at most the double, single-leaf
/// trees, sigmoid), every refusal naming the file and the tree and line, and a pipeline serving a model.txt, whose
/// δ must come from the spec.
/// </summary>
public sealed class LightGbmTextModelTests : IDisposable
{
    private readonly TempDirectory _dir = new();


    private string Write(string text, string name = "model.txt")
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_hand_written_model_is_read_with_thresholds_that_send_floats_the_way_LightGBM_does()
    {
        var model = LightGbmTextModel.Load(Write(HandWrittenLightGbm.ModelText()));
        Assert.Equal(3, model.FeatureCount);
        Assert.Equal(2, model.Trees.Trees.Count);
        Assert.Equal(0, model.Trees.Trees[1].InternalNodes);

        // 0.1f is 0.100000001490116… > 0.1 (double): LightGBM compares in double and sends it right, and so do we.
        Assert.True((double)0.1f > 0.1);
        Assert.Equal(10 + 0.5, model.Trees.Score([0.1f, 0, 3]));
        Assert.Equal(1 + 0.5, model.Trees.Score([0.099999994f, 0, 3]));
        Assert.Equal(20 + 0.5, model.Trees.Score([0.5f, 0, 7]));
    }

    [Fact]
    public void The_binary_sigmoid_becomes_Platt_scaling_and_the_content_is_sniffed_without_the_extension()
    {
        var path = Write(HandWrittenLightGbm.ModelText(objective: "binary sigmoid:2"), "model.bin");
        Assert.True(LightGbmTextModel.IsLightGbmText(path));
        var model = LightGbmTextModel.Load(path);
        Assert.Equal(PredictionTask.Classification, model.Task);
        Assert.Equal(1 / (1 + Math.Exp(-2 * 1.5)), model.Calibration!.Probability(model.Trees.Score([0f, 0, 0])), 12);

        using var loaded = LoadedModel.Load(path, PredictionTask.Classification, ModelRuntime.Auto, 1);
        Assert.Equal(ModelRuntime.Native, loaded.Runtime);
        Assert.Contains("LightGBM text model", loaded.Description);
        Assert.Equal(3, loaded.Model.InputWidth);

        var onnxFile = _dir.File("model.onnx");
        File.WriteAllBytes(onnxFile, Models.Export.OnnxExporter.Regressor(model.Trees, 3));
        Assert.False(LightGbmTextModel.IsLightGbmText(onnxFile));
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { HandWrittenLightGbm.ModelText(header: "num_class=3\nnum_tree_per_iteration=3"), "line 3", "multiclass" },
        { HandWrittenLightGbm.ModelText(objective: "multiclass num_class:3"), "line 7", "multiclass" },
        { HandWrittenLightGbm.ModelText(decision: "1"), "tree 0 (line 12)", "categorical" },
        { HandWrittenLightGbm.ModelText(extraTree0: "num_cat=1\n"), "tree 0 (line 12)", "categorical" },
        { HandWrittenLightGbm.ModelText(decision: "6"), "tree 0 (line 12)", "missing_type Zero" },
        { HandWrittenLightGbm.ModelText(extraTree0: "is_linear=1\n"), "tree 0 (line 12)", "linear trees" },
        { HandWrittenLightGbm.ModelText(objective: "poisson"), "line 7", "objective 'poisson' is not supported" },
        { HandWrittenLightGbm.ModelText().Replace("leaf_value=1 10 20", "leaf_value=1 10", StringComparison.Ordinal), "tree 0 (line 12)", "leaf_value has 2 values; expected 3" },
        { "{ \"not\": \"a model\" }", "", "first line is not 'tree'" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Unsupported_models_are_refused_naming_the_file_and_where(string text, string where, string message)
    {
        var path = Write(text);
        var e = Assert.Throws<DataSourceException>(() => LightGbmTextModel.Load(path));
        Assert.Equal(path, e.SourceName);
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(message, e.Message);
        Assert.Equal(path, Assert.Throws<DataSourceException>(() => LoadedModel.Load(path, PredictionTask.Regression, ModelRuntime.Auto, 1)).SourceName);
    }

    [Fact]
    public void A_split_on_an_input_the_pipeline_lacks_is_refused_naming_the_tree()
    {
        var path = Write(HandWrittenLightGbm.ModelText(feature: 1));
        var model = LightGbmTextModel.Load(path);
        var e = Assert.Throws<DataSourceException>(() => model.ToOnnx(2));
        Assert.Contains("tree 0 (line 12)", e.Message);
        Assert.Contains("feature 2", e.Message);
        Assert.Contains("2 inputs", e.Message);
        Assert.Equal(path, Assert.Throws<DataSourceException>(() => LoadedModel.Load(path, PredictionTask.Regression, ModelRuntime.Native, 1, inputWidth: 2)).SourceName);

        // Wider than the trees need is fine: the extra inputs are never read.
        using var wide = LoadedModel.Load(path, PredictionTask.Regression, ModelRuntime.OnnxRuntime, 1, inputWidth: 5);
        Assert.Equal(5, wide.Model.InputWidth);
    }

    [Fact]
    public void A_model_for_the_other_task_is_refused()
    {
        var path = Write(HandWrittenLightGbm.ModelText(objective: "binary sigmoid:1"));
        var e = Assert.Throws<DataSourceException>(() => LoadedModel.Load(path, PredictionTask.Regression, ModelRuntime.Auto, 1));
        Assert.Contains("binary classification LightGBM model", e.Message);
    }

    [Fact]
    public async Task A_pipeline_serves_a_LightGBM_text_model_and_its_delta_must_come_from_the_spec()
    {
        File.WriteAllText(_dir.File("readings.csv"), "station,at,v\na,2024-03-01T10:00:00,1\na,2024-03-01T11:00:00,2\na,2024-03-01T12:00:00,9\n");
        Write(HandWrittenLightGbm.ModelText());
        var spec = JsonNode.Parse("""
            {
              "name": "readings", "task": "regression",
              "tables": [ { "name": "readings", "source": "readings.csv", "timeColumn": "at", "partitions": 3 } ],
              "request": [ { "name": "station", "type": "string" }, { "name": "when", "type": "timestamp" }, { "name": "x", "type": "number" } ],
              "requestFeatures": [ { "name": "x", "field": "x" } ],
              "queries": [ {
                "name": "recent", "table": "readings", "keys": { "station": "station" },
                "window": { "field": "when", "from": "-3h", "to": "0" },
                "aggregates": [ { "name": "recent_count", "op": "count" }, { "name": "recent_max", "op": "max", "column": "v" } ]
              } ],
              "inputs": [ "x", "recent_count", "recent_max" ],
              "model": { "file": "model.txt" },
              "bound": { "deltaMetadata": "validation_mae", "tau": 0.9 }
            }
            """)!.AsObject();
        File.WriteAllText(_dir.File("pipeline.json"), spec.ToJsonString());
        var options = new EngineOptions { CacheDirectory = _dir.File("cache") };
        var e = await Assert.ThrowsAsync<PipelineSpecException>(() => BiathlonEngine.LoadAsync(_dir.Path, options));
        Assert.Equal("$.bound.deltaMetadata", e.JsonPath);
        Assert.Contains("LightGBM text model", e.Message);
        Assert.Contains("bound.delta", e.Message);

        spec["bound"] = new JsonObject { ["delta"] = 0.5, ["tau"] = 0.9 };
        File.WriteAllText(_dir.File("pipeline.json"), spec.ToJsonString());
        using var engine = await BiathlonEngine.LoadAsync(_dir.Path, options);
        Assert.Contains("LightGBM text model", engine.ModelDescription);
        // At 12:30 the window [09:30, 12:30) holds 3 readings, max 9: x = 0.5 > 0.1 → node 1; 9 > 5 → 20; plus 0.5.
        var exact = engine.PredictExact(new Dictionary<string, object?> { ["station"] = "a", ["when"] = new DateTime(2024, 3, 1, 12, 30, 0), ["x"] = 0.5 });
        Assert.Equal(20.5, exact.Value, 5);
    }

    public void Dispose() => _dir.Dispose();
}
