using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Engine.Models.Import;
using Biathlon.Planner.Propagation;
using Microsoft.ML.OnnxRuntime;

namespace Biathlon.Engine.Tests;

/// <summary>
/// LightGBM text models written by LightGBM itself (its C API, trained on 20,000 real flights rows: distance, hour,
/// day of week, minute → arrival delay, or delay &gt; 15 min) are read by <see cref="LightGbmTextModel"/> and predict,
/// row by row on the next 1,000 flights, what LightGBM predicts: through <see cref="TreeEnsembleModel.Score"/>, the
/// engine's native evaluator and ONNX Runtime, within 1e-5 relative to max(1, |y|).
/// </summary>
public sealed class LightGbmAgreementTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> RegressionParameters => new()
    {
        "objective=regression num_leaves=31 learning_rate=0.1 min_data_in_leaf=20",
        "objective=regression num_leaves=15 use_missing=false",
        "objective=regression_l1 num_leaves=31",
        "objective=huber alpha=20 num_leaves=31",
        "objective=quantile alpha=0.9 num_leaves=31",
        "boosting=rf bagging_freq=1 bagging_fraction=0.7 feature_fraction=0.75 num_leaves=31",
    };

    [Theory]
    [MemberData(nameof(RegressionParameters))]
    public void A_regression_model_predicts_what_LightGBM_predicts_on_every_runtime(string parameters)
    {
        var test = FlightRows.TestFeatures;
        using var booster = LightGbmBooster.Train(FlightRows.TrainFeatures, FlightRows.TrainDelays, parameters, iterations: 60);
        var path = _dir.File("model.txt");
        booster.Save(path);
        var expected = booster.Predict(test, rawScore: false);

        var model = LightGbmTextModel.Load(path);
        Assert.Equal(PredictionTask.Regression, model.Task);
        Assert.Null(model.Calibration);
        Assert.Equal(4, model.FeatureCount);
        Assert.Equal(60, model.Trees.Trees.Count);
        Assert.Equal(parameters.StartsWith("boosting=rf", StringComparison.Ordinal) ? TreeAggregation.Average : TreeAggregation.Sum, model.Trees.Aggregation);
        Assert.True(expected.Distinct().Count() > 50, "the model should vary over real rows");

        AssertClose(expected, test.Select(r => model.Trees.Score(r)).ToArray(), "TreeEnsembleModel.Score");
        foreach (var runtime in new[] { ModelRuntime.Native, ModelRuntime.OnnxRuntime })
        {
            using var loaded = LoadedModel.Load(path, PredictionTask.Regression, runtime, 1, inputWidth: 4);
            Assert.Equal(runtime, loaded.Runtime);
            Assert.Contains("LightGBM text model", loaded.Description);
            Assert.Empty(loaded.Metadata);
            AssertClose(expected, Evaluate(loaded.Model, test), $"{runtime}");
        }
    }

    [Fact]
    public void A_binary_model_gives_LightGBMs_probabilities_and_labels()
    {
        var test = FlightRows.TestFeatures;
        var late = FlightRows.TrainDelays.Select(d => d > 15 ? 1f : 0f).ToArray();
        using var booster = LightGbmBooster.Train(FlightRows.TrainFeatures, late, "objective=binary sigmoid=1.5 num_leaves=31 learning_rate=0.1", iterations: 80);
        var path = _dir.File("late.txt");
        booster.Save(path);
        var probabilities = booster.Predict(test, rawScore: false);
        var raw = booster.Predict(test, rawScore: true);

        var model = LightGbmTextModel.Load(path);
        Assert.Equal(PredictionTask.Classification, model.Task);
        Assert.Equal(new PlattCalibration(1.5, 0), model.Calibration);
        Assert.StartsWith("binary", model.Objective);
        AssertClose(raw, test.Select(r => model.Trees.Score(r)).ToArray(), "raw score");
        AssertClose(probabilities, test.Select(r => model.Calibration!.Probability(model.Trees.Score(r))).ToArray(), "calibrated score");

        // The exported ONNX, run by ONNX Runtime directly: its probability output.
        using var session = new InferenceSession(model.ToOnnx(4, new Dictionary<string, string> { ["source"] = "lightgbm" }));
        Assert.Equal("lightgbm", session.ModelMetadata.CustomMetadataMap["source"]);
        var flat = test.SelectMany(r => r).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [test.Length, 4]);
        using var results = session.Run(new RunOptions(), [OnnxExporter.InputName], [input], ["probability"]);
        AssertClose(probabilities, results[0].GetTensorDataAsSpan<float>().ToArray().Select(p => (double)p).ToArray(), "ONNX probability");

        // Labels through the engine on both runtimes: P > 0.5 (rows within 1e-5 of 0.5 are left out).
        var expectedLabels = probabilities.Select(p => p > 0.5 ? 1f : 0f).ToArray();
        Assert.Contains(1f, expectedLabels);
        Assert.Contains(0f, expectedLabels);
        foreach (var runtime in new[] { ModelRuntime.Native, ModelRuntime.OnnxRuntime })
        {
            using var loaded = LoadedModel.Load(path, PredictionTask.Classification, runtime, 1, inputWidth: 4);
            var labels = Evaluate(loaded.Model, test);
            for (var r = 0; r < test.Length; r++)
            {
                if (Math.Abs(probabilities[r] - 0.5) > 1e-5)
                {
                    Assert.True(expectedLabels[r] == labels[r], $"{runtime}: row {r} has P = {probabilities[r]} but label {labels[r]}");
                }
            }
        }
    }

    /// <summary>
    /// What docs/models.md states about NaN, checked against LightGBM: at a split whose missing type is NaN, NaN goes
    /// the default_left way; at one whose missing type is None, NaN is compared as 0. (Our trees send NaN right, but the
    /// engine never passes NaN.)
    /// </summary>
    [Fact]
    public void LightGBM_sends_NaN_the_default_left_way_where_missing_type_is_NaN()
    {
        var train = FlightRows.TrainFeatures.Select((r, i) => i % 7 == 0 ? [float.NaN, r[1], r[2], r[3]] : r).ToArray();
        using var booster = LightGbmBooster.Train(train, FlightRows.TrainDelays, "objective=regression num_leaves=31", iterations: 30);
        var path = _dir.File("nan.txt");
        booster.Save(path);
        var model = LightGbmTextModel.Load(path);
        var decisions = File.ReadAllLines(path).Where(l => l.StartsWith("decision_type=", StringComparison.Ordinal))
            .Select(l => l["decision_type=".Length..].Split(' ').Select(int.Parse).ToArray()).ToArray();
        Assert.Equal(model.Trees.Trees.Count, decisions.Length);
        Assert.Contains(decisions, d => d.Any(t => ((t >> 2) & 3) == 2));

        var rows = FlightRows.TestFeatures.Take(200).Select(r => new[] { float.NaN, r[1], r[2], r[3] }).ToArray();
        var expected = booster.Predict(rows, rawScore: false);
        var actual = rows.Select(row => model.Trees.Trees.Select((tree, t) => WalkLikeLightGbm(tree, decisions[t], row)).Sum()).ToArray();
        AssertClose(expected, actual, "NaN routed by default_left");
    }

    public void Dispose() => _dir.Dispose();

    private static double WalkLikeLightGbm(DecisionTree tree, int[] decisionTypes, float[] row)
    {
        if (tree.InternalNodes == 0)
        {
            return tree.LeafValues[0];
        }

        var node = 0;
        while (node >= 0)
        {
            var value = row[tree.SplitFeatures[node]];
            var missingType = (decisionTypes[node] >> 2) & 3;
            bool left;
            if (float.IsNaN(value) && missingType == 2)
            {
                left = (decisionTypes[node] & 2) != 0;
            }
            else
            {
                left = (float.IsNaN(value) ? 0 : value) <= tree.Thresholds[node];
            }

            node = left ? tree.LeftChildren[node] : tree.RightChildren[node];
        }

        return tree.LeafValues[~node];
    }

    private static float[] Evaluate(IBatchModel model, float[][] rows)
    {
        var outputs = new float[rows.Length];
        model.Evaluate(ColumnMajor.From(rows), rows.Length, outputs);
        return outputs;
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i])));
        }

        Assert.True(worst <= Tolerance, $"{what}: worst relative difference {worst:E2} over {expected.Length} rows");
    }

    private static void AssertClose(double[] expected, float[] actual, string what) => AssertClose(expected, actual.Select(a => (double)a).ToArray(), what);
}
