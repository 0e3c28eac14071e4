using System.Globalization;
using Biathlon.Experiments.Training;
using Biathlon.MlNet;

namespace Biathlon.Experiments.Pipelines;

/// <summary>Training and export steps the recipes share: fit, measure on the validation requests, export with the metric in the metadata.</summary>
internal static class RecipeTraining
{
    public static TrainedModel Regression(float[][] validation, float[] validationLabels, Func<float[][], float[]> predict, Func<Dictionary<string, string>, byte[]> export, Dictionary<string, string> metadata)
    {
        var predicted = predict(validation);
        var mae = MlNetValidation.AddValidationMae(validationLabels, predicted, metadata);
        metadata["validation_r2"] = Metrics.RSquared(validationLabels, predicted).ToString("R", CultureInfo.InvariantCulture);
        return new TrainedModel(export(metadata), "MAE", mae);
    }

    public static TrainedModel Binary(float[][] validation, float[] validationLabels, Func<float[][], float[]> probabilities, Func<Dictionary<string, string>, byte[]> export, Dictionary<string, string> metadata)
    {
        var predicted = probabilities(validation).Select(p => p > 0.5f ? 1f : 0f).ToArray();
        var f1 = Metrics.F1(validationLabels, predicted);
        metadata["validation_f1"] = f1.ToString("R", CultureInfo.InvariantCulture);
        metadata["validation_accuracy"] = Metrics.Accuracy(validationLabels, predicted).ToString("R", CultureInfo.InvariantCulture);
        return new TrainedModel(export(metadata), "F1", f1);
    }

    public static TrainedModel LightGbm(float[][] train, float[] labels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed)
    {
        var trained = MlNetTraining.LightGbmRegression(train, labels, seed: seed);
        return Regression(validation, validationLabels, trained.Predict, m => MlNetOnnx.Regressor(trained.Parameters, train[0].Length, m), metadata);
    }

    public static TrainedModel FastTreeBinary(float[][] train, float[] labels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed)
    {
        var trained = MlNetTraining.FastTreeBinary(train, labels, seed: seed);
        return Binary(validation, validationLabels, trained.Predict, m => MlNetOnnx.BinaryClassifier(trained.Parameters, train[0].Length, m), metadata);
    }
}
