using Biathlon.Engine.Models.Export;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Biathlon.MlNet;

/// <summary>
/// Trained ML.NET models as ONNX bytes the engine serves (and any ONNX runtime runs), written by the engine's own
/// <see cref="OnnxExporter"/>: one float input <c>input</c> [N, D]; regressors output <c>prediction</c> [N, 1];
/// binary classifiers output <c>label</c> (int64 [N]) and <c>probability</c> (P(class 1), [N, 1]). The metadata
/// entries become ONNX metadata properties: put δ there as <c>validation_mae</c> (see
/// <c>MlNetValidation.AddValidationMae</c>) for specs that say <c>"deltaMetadata": "validation_mae"</c>.
/// </summary>
public static class MlNetOnnx
{
    /// <summary>LightGBM regression (<c>mlContext.Regression.Trainers.LightGbm</c>): bias + the sum of the trees.</summary>
    /// <param name="model">The trained model (<c>transformer.Model</c>).</param>
    /// <param name="inputWidth">Width of the feature vector the model was trained on.</param>
    /// <param name="metadata">ONNX metadata properties, for example <c>validation_mae</c>.</param>
    public static byte[] Regressor(LightGbmRegressionModelParameters model, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.Regressor(MlNetModels.Trees(model.TrainedTreeEnsemble, TreeAggregation.Sum), inputWidth, metadata);
    }

    /// <summary>FastTree regression (<c>mlContext.Regression.Trainers.FastTree</c>): bias + the sum of the trees.</summary>
    /// <param name="model">The trained model (<c>transformer.Model</c>).</param>
    /// <param name="inputWidth">Width of the feature vector the model was trained on.</param>
    /// <param name="metadata">ONNX metadata properties, for example <c>validation_mae</c>.</param>
    public static byte[] Regressor(FastTreeRegressionModelParameters model, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.Regressor(MlNetModels.Trees(model.TrainedTreeEnsemble, TreeAggregation.Sum), inputWidth, metadata);
    }

    /// <summary>FastForest regression (<c>mlContext.Regression.Trainers.FastForest</c>): the average of the trees.</summary>
    /// <param name="model">The trained model (<c>transformer.Model</c>).</param>
    /// <param name="inputWidth">Width of the feature vector the model was trained on.</param>
    /// <param name="metadata">ONNX metadata properties, for example <c>validation_mae</c>.</param>
    public static byte[] Regressor(FastForestRegressionModelParameters model, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.Regressor(MlNetModels.Trees(model.TrainedTreeEnsemble, TreeAggregation.Average), inputWidth, metadata);
    }

    /// <summary>Linear regression (SDCA, online gradient descent): w · x + b; the input width is the number of weights.</summary>
    /// <param name="model">The trained model (<c>transformer.Model</c>).</param>
    /// <param name="metadata">ONNX metadata properties, for example <c>validation_mae</c>.</param>
    public static byte[] Regressor(LinearRegressionModelParameters model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.Regressor(MlNetModels.Linear(model), metadata);
    }

    /// <summary>LightGBM binary classification (<c>mlContext.BinaryClassification.Trainers.LightGbm</c>): the trees' score through its Platt calibrator.</summary>
    /// <param name="model">The trained, calibrated model (<c>transformer.Model</c>).</param>
    /// <param name="inputWidth">Width of the feature vector the model was trained on.</param>
    /// <param name="metadata">ONNX metadata properties.</param>
    public static byte[] BinaryClassifier(CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> model, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.BinaryClassifier(MlNetModels.Trees(model.SubModel.TrainedTreeEnsemble, TreeAggregation.Sum), MlNetModels.Platt(model.Calibrator), inputWidth, metadata);
    }

    /// <summary>FastTree binary classification (<c>mlContext.BinaryClassification.Trainers.FastTree</c>): the trees' score through its Platt calibrator.</summary>
    /// <param name="model">The trained, calibrated model (<c>transformer.Model</c>).</param>
    /// <param name="inputWidth">Width of the feature vector the model was trained on.</param>
    /// <param name="metadata">ONNX metadata properties.</param>
    public static byte[] BinaryClassifier(CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator> model, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.BinaryClassifier(MlNetModels.Trees(model.SubModel.TrainedTreeEnsemble, TreeAggregation.Sum), MlNetModels.Platt(model.Calibrator), inputWidth, metadata);
    }

    /// <summary>Linear binary classification (SDCA logistic regression, L-BFGS logistic regression): w · x + b through its Platt calibrator.</summary>
    /// <param name="model">The trained, calibrated model (<c>transformer.Model</c>).</param>
    /// <param name="metadata">ONNX metadata properties.</param>
    public static byte[] BinaryClassifier(CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator> model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxExporter.BinaryClassifier(MlNetModels.Linear(model.SubModel), MlNetModels.Platt(model.Calibrator), metadata);
    }
}
