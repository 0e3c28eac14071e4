using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Planner.Propagation;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Biathlon.MlNet.Tests;

/// <summary>
/// Every model kind <see cref="MlNetOnnx"/> converts, trained by ML.NET on 10,000 real flights rows (seeded, one
/// thread), predicts on the next 1,000 what ML.NET predicts: regressors within 1e-5 relative to max(1, |y|) through
/// both the engine's native evaluator and ONNX Runtime; binary classifiers the same P(class 1) (ONNX Runtime on the
/// <c>probability</c> output) and the same label (P &gt; 0.5) on both runtimes.
/// </summary>
public sealed class MlNetOnnxAgreementTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Regressors => new() { "lightgbm", "fasttree", "fastforest", "sdca" };

    public static TheoryData<string> Classifiers => new() { "lightgbm", "fasttree", "sdca-logistic", "lbfgs-logistic" };

    [Theory]
    [MemberData(nameof(Regressors))]
    public void A_regressor_predicts_what_MLNET_predicts_on_both_runtimes(string kind)
    {
        var ml = new MLContext(seed: 1);
        var train = MlNetData.Regression(ml, FlightSample.Train, FlightSample.TrainDelays);
        var width = FlightSample.Width;
        (ITransformer model, byte[] onnx) = kind switch
        {
            "lightgbm" => Fit(ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { NumberOfIterations = 60, NumberOfThreads = 1, Seed = 1 }), train,
                t => MlNetOnnx.Regressor(t.Model, width)),
            "fasttree" => Fit(ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options { NumberOfTrees = 60, NumberOfThreads = 1 }), train,
                t => MlNetOnnx.Regressor(t.Model, width)),
            "fastforest" => Fit(ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options { NumberOfTrees = 40, NumberOfThreads = 1 }), train,
                t => MlNetOnnx.Regressor(t.Model, width)),
            _ => Fit(ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { NumberOfThreads = 1, MaximumNumberOfIterations = 50 }), train,
                t => MlNetOnnx.Regressor(t.Model)),
        };

        var expected = MlNetData.Predict(ml, model, FlightSample.Test, "Score");
        Assert.True(expected.Distinct().Count() > 20, $"{kind}: ML.NET's predictions should vary over real rows");
        var path = Save(onnx);
        foreach (var runtime in new[] { ModelRuntime.Native, ModelRuntime.OnnxRuntime })
        {
            using var loaded = LoadedModel.Load(path, PredictionTask.Regression, runtime, 1);
            Assert.Equal(runtime, loaded.Runtime);
            Assert.Equal(width, loaded.Model.InputWidth);
            AssertClose(expected, Evaluate(loaded.Model, FlightSample.Test), $"{kind} on {runtime}");
        }
    }

    [Theory]
    [MemberData(nameof(Classifiers))]
    public void A_binary_classifier_gives_MLNETs_probabilities_and_labels_on_both_runtimes(string kind)
    {
        var ml = new MLContext(seed: 1);
        var train = MlNetData.Binary(ml, FlightSample.Train, FlightSample.TrainLate);
        var width = FlightSample.Width;
        (ITransformer model, byte[] onnx) = kind switch
        {
            "lightgbm" => Fit(ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options { NumberOfIterations = 60, NumberOfThreads = 1, Seed = 1 }), train,
                t => MlNetOnnx.BinaryClassifier(t.Model, width)),
            "fasttree" => Fit(ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options { NumberOfTrees = 60, NumberOfThreads = 1 }), train,
                t => MlNetOnnx.BinaryClassifier(t.Model, width)),
            "sdca-logistic" => Fit(ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options { NumberOfThreads = 1, MaximumNumberOfIterations = 30 }), train,
                t => MlNetOnnx.BinaryClassifier(t.Model)),
            _ => Fit(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options { NumberOfThreads = 1 }), train,
                t => MlNetOnnx.BinaryClassifier(t.Model)),
        };

        var test = FlightSample.Test;
        var expected = MlNetData.Predict(ml, model, test, "Probability");
        Assert.True(expected.Distinct().Count() > 20, $"{kind}: ML.NET's probabilities should vary over real rows");

        using (var session = new InferenceSession(onnx))
        {
            using var input = OrtValue.CreateTensorValueFromMemory(test.SelectMany(r => r).ToArray(), [test.Length, width]);
            using var results = session.Run(new RunOptions(), [OnnxExporter.InputName], [input], ["probability"]);
            AssertClose(expected, results[0].GetTensorDataAsSpan<float>().ToArray(), $"{kind} probability");
        }

        var path = Save(onnx);
        foreach (var runtime in new[] { ModelRuntime.Native, ModelRuntime.OnnxRuntime })
        {
            using var loaded = LoadedModel.Load(path, PredictionTask.Classification, runtime, 1);
            Assert.Equal(runtime, loaded.Runtime);
            var labels = Evaluate(loaded.Model, test);
            for (var r = 0; r < test.Length; r++)
            {
                if (Math.Abs(expected[r] - 0.5) > 1e-5)
                {
                    Assert.True((expected[r] > 0.5 ? 1 : 0) == labels[r], $"{kind} on {runtime}: row {r} has P = {expected[r]} but label {labels[r]}");
                }
            }
        }
    }

    public void Dispose() => _dir.Dispose();

    private static (ITransformer, byte[]) Fit<TTransformer>(IEstimator<TTransformer> trainer, IDataView train, Func<TTransformer, byte[]> export)
        where TTransformer : ITransformer
    {
        var model = trainer.Fit(train);
        return (model, export(model));
    }

    private string Save(byte[] onnx)
    {
        var path = _dir.File($"model-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, onnx);
        return path;
    }

    internal static float[] Evaluate(IBatchModel model, float[][] rows)
    {
        var outputs = new float[rows.Length];
        model.Evaluate(ColumnMajor.From(rows), rows.Length, outputs);
        return outputs;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i])));
        }

        Assert.True(worst <= Tolerance, $"{what}: worst relative difference {worst:E2} over {expected.Length} rows");
    }
}
