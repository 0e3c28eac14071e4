using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Tests;

/// <summary>
/// Our writer's MLPs and hand-built trees, run by ONNX Runtime, match their own forward pass within 1e-5 (relative
/// to max(1, |y|)) on 1,000 real flights rows (features: distance, hour, day of week, minute). ML.NET models are the
/// Biathlon.MlNet package's, tested in tests/Biathlon.MlNet.Tests.
/// </summary>
public sealed class OnnxExportTests
{
    private static float[] RunOnnx(byte[] onnx, PredictionTask task, float[][] rows, bool probability = false)
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, onnx);
        using var model = OnnxModel.Load(path, task);
        var width = rows[0].Length;
        var flat = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r].CopyTo(flat, r * width);
        }

        var outputs = new float[rows.Length];
        if (probability)
        {
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
            using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(flat, [rows.Length, width]);
            using var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["input"], [input], ["probability"]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }

        model.EvaluateRowMajor(flat, rows.Length, outputs);
        return outputs;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i])));
        }

        Assert.True(worst <= 1e-5, $"{what}: worst relative difference {worst:E2} over {expected.Length} rows");
    }

    [Theory]
    [InlineData(1, Activation.Identity)]
    [InlineData(1, Activation.Sigmoid)]
    [InlineData(3, Activation.Softmax)]
    public void Mlp_exported_to_onnx_matches_its_forward_pass(int outputs, Activation last)
    {
        var rng = new Random(outputs * 7 + (int)last);
        DenseLayer Layer(int inputs, int width, Activation activation) => new(
            inputs, width,
            Enumerable.Range(0, inputs * width).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.05f).ToArray(),
            Enumerable.Range(0, width).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(),
            activation);
        var network = new MultilayerPerceptron([Layer(4, 16, Activation.Relu), Layer(16, 8, Activation.Relu), Layer(8, outputs, last)]);
        var onnx = OnnxExporter.Mlp(network);
        var rows = FlightRows.TestFeatures;
        var expected = new float[rows.Length];
        var buffer = new float[outputs];
        for (var r = 0; r < rows.Length; r++)
        {
            network.Predict(rows[r], buffer);
            expected[r] = last switch
            {
                Activation.Identity => buffer[0],
                Activation.Sigmoid => buffer[0],
                _ => Array.IndexOf(buffer, buffer.Max()),
            };
        }

        if (last == Activation.Softmax)
        {
            Assert.Equal(expected, RunOnnx(onnx, PredictionTask.Classification, rows));
        }
        else
        {
            AssertClose(expected, RunOnnx(onnx, last == Activation.Identity ? PredictionTask.Regression : PredictionTask.Classification, rows, probability: last == Activation.Sigmoid), $"MLP {last}");
        }
    }

    [Fact]
    public void A_single_leaf_tree_and_metadata_survive_export()
    {
        var stump = new DecisionTree([], [], [], [], [2.5]);
        var split = new DecisionTree([1], [12f], [~0], [~1], [-1, 1]);
        var model = new TreeEnsembleModel([stump, split], [1, 2], 0.5, TreeAggregation.Sum);
        var onnx = OnnxExporter.Regressor(model, 4, new Dictionary<string, string> { ["validation_mae"] = "17.25" });
        var rows = FlightRows.TestFeatures;
        AssertClose(rows.Select(r => (float)model.Score(r)).ToArray(), RunOnnx(onnx, PredictionTask.Regression, rows), "hand-built trees");

        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("m.onnx"), onnx);
        using var loaded = OnnxModel.Load(dir.File("m.onnx"), PredictionTask.Regression);
        Assert.Equal("17.25", loaded.Metadata["validation_mae"]);
        Assert.Equal(4, loaded.InputWidth);
    }

    [Fact]
    public void Missing_and_corrupt_model_files_are_named()
    {
        using var dir = new TempDirectory();
        var missing = dir.File("none.onnx");
        Assert.Equal(missing, Assert.Throws<DataSourceException>(() => OnnxModel.Load(missing, PredictionTask.Regression)).SourceName);
        var corrupt = dir.File("corrupt.onnx");
        File.WriteAllText(corrupt, "this is not a protobuf");
        Assert.Equal(corrupt, Assert.Throws<DataSourceException>(() => OnnxModel.Load(corrupt, PredictionTask.Regression)).SourceName);
        var classifierAsRegressor = dir.File("label-only.onnx");
        var late = FlightRows.TrainDelays.Select(d => d > 15 ? 1f : 0f).ToArray();
        File.WriteAllBytes(classifierAsRegressor, OnnxExporter.BinaryClassifier(new LinearModel([0.01, 0, 0, 0], -1), PlattCalibration.Logit));
        using var asClassifier = OnnxModel.Load(classifierAsRegressor, PredictionTask.Classification);
        Assert.Equal(4, asClassifier.InputWidth);
        Assert.NotEmpty(late);
    }
}
