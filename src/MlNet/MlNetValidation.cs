using System.Globalization;
using Microsoft.ML;

namespace Biathlon.MlNet;

/// <summary>
/// Measures a regressor's error on held-out rows and stores it as the model's δ: the metadata entry
/// <see cref="ValidationMaeKey"/>, which a spec names with <c>"bound": { "deltaMetadata": "validation_mae" }</c>.
/// </summary>
public static class MlNetValidation
{
    /// <summary>The metadata key of the validation mean absolute error.</summary>
    public const string ValidationMaeKey = "validation_mae";

    /// <summary>
    /// The mean absolute error of <paramref name="model"/> on <paramref name="validation"/> (ML.NET's regression
    /// evaluator), written into <paramref name="metadata"/> under <see cref="ValidationMaeKey"/> and returned.
    /// </summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="model">The trained regression transformer (or pipeline).</param>
    /// <param name="validation">Held-out rows, not used in training.</param>
    /// <param name="metadata">The metadata to export with the model.</param>
    /// <param name="labelColumnName">The label column of <paramref name="validation"/>.</param>
    /// <param name="scoreColumnName">The score column the model writes.</param>
    public static double AddValidationMae(MLContext context, ITransformer model, IDataView validation, IDictionary<string, string> metadata,
        string labelColumnName = "Label", string scoreColumnName = "Score")
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        var metrics = context.Regression.Evaluate(model.Transform(validation), labelColumnName, scoreColumnName);
        return Store(metrics.MeanAbsoluteError, metadata);
    }

    /// <summary>
    /// The mean absolute error of <paramref name="predictions"/> against <paramref name="labels"/> (one per held-out
    /// row), written into <paramref name="metadata"/> under <see cref="ValidationMaeKey"/> and returned.
    /// </summary>
    public static double AddValidationMae(IReadOnlyList<float> labels, IReadOnlyList<float> predictions, IDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(metadata);
        if (labels.Count != predictions.Count || labels.Count == 0)
        {
            throw new ArgumentException($"Need one prediction per label and at least one row; got {labels.Count} labels and {predictions.Count} predictions.", nameof(predictions));
        }

        double sum = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            sum += Math.Abs(labels[i] - predictions[i]);
        }

        return Store(sum / labels.Count, metadata);
    }

    private static double Store(double mae, IDictionary<string, string> metadata)
    {
        metadata[ValidationMaeKey] = mae.ToString("R", CultureInfo.InvariantCulture);
        return mae;
    }
}
