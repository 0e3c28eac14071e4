using System.Globalization;
using Biathlon.Engine.Models;
using Biathlon.Planner.Propagation;
using Microsoft.ML;
using Microsoft.ML.Trainers.LightGbm;

namespace Biathlon.MlNet.Tests;

/// <summary>δ for a spec's <c>deltaMetadata</c>: the validation MAE measured on held-out real rows, stored in the exported model.</summary>
public sealed class MlNetValidationTests
{
    [Fact]
    public void The_validation_MAE_is_measured_stored_and_read_back_by_the_engine()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { NumberOfIterations = 40, NumberOfThreads = 1, Seed = 1 })
            .Fit(MlNetData.Regression(ml, FlightSample.Train, FlightSample.TrainDelays));
        var validation = MlNetData.Regression(ml, FlightSample.Test, FlightSample.TestDelays);

        var metadata = new Dictionary<string, string>();
        var mae = MlNetValidation.AddValidationMae(ml, model, validation, metadata);
        var predictions = MlNetData.Predict(ml, model, FlightSample.Test, "Score");
        var byHand = FlightSample.TestDelays.Select((y, i) => Math.Abs((double)y - predictions[i])).Average();
        Assert.Equal(byHand, mae, 1e-3);
        Assert.True(mae > 1, "a flight-delay model is not that good");
        Assert.Equal(mae, double.Parse(metadata[MlNetValidation.ValidationMaeKey], CultureInfo.InvariantCulture));

        var fromArrays = new Dictionary<string, string>();
        Assert.Equal(mae, MlNetValidation.AddValidationMae(FlightSample.TestDelays, predictions, fromArrays), 1e-3);
        Assert.Throws<ArgumentException>(() => MlNetValidation.AddValidationMae([1f, 2f], [1f], fromArrays));

        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("model.onnx"), MlNetOnnx.Regressor(model.Model, FlightSample.Width, metadata));
        using var loaded = LoadedModel.Load(dir.File("model.onnx"), PredictionTask.Regression, ModelRuntime.Auto, 1);
        Assert.Equal(metadata[MlNetValidation.ValidationMaeKey], loaded.Metadata["validation_mae"]);
    }
}
