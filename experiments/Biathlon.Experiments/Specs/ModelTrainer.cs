using Biathlon.Engine.Models.Export;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Training;
using MathNet.Numerics.Statistics;

namespace Biathlon.Experiments.Specs;

/// <summary>
/// Fits a <see cref="ModelKind"/> on exact features and exports it to ONNX with the validation metric in its metadata:
/// the one training path of <c>train</c>, of spec pipelines and of the built-in recipes that use a stock model.
/// </summary>
public static class ModelTrainer
{
    /// <summary>The default kind for a task: LightGBM for regression, FastTree for binary classification.</summary>
    public static ModelKind Default(bool binary) => binary ? ModelKind.FastTree : ModelKind.LightGbm;

    /// <summary>Parses a <c>--model</c> value (lightgbm, fasttree, fastforest, linear or mlp, any case); null when unknown.</summary>
    public static ModelKind? Parse(string text) => text.ToLowerInvariant() switch
    {
        "lightgbm" => ModelKind.LightGbm,
        "fasttree" => ModelKind.FastTree,
        "fastforest" => ModelKind.FastForest,
        "linear" => ModelKind.Linear,
        "mlp" => ModelKind.Mlp,
        _ => null,
    };

    /// <summary>The option value naming <paramref name="kind"/>.</summary>
    public static string Name(ModelKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The model, in words, for reports.</summary>
    public static string Describe(ModelKind kind, bool binary) => (kind, binary) switch
    {
        (ModelKind.FastTree, true) => "ML.NET FastTree binary classifier (100 trees, 20 leaves), Platt-calibrated",
        (ModelKind.LightGbm, false) => "ML.NET LightGBM regression (100 trees, 31 leaves)",
        (ModelKind.FastForest, false) => "ML.NET FastForest regression (100 trees, 20 leaves)",
        (ModelKind.Linear, false) => "ML.NET SDCA linear regression on standardised inputs",
        (ModelKind.Mlp, true) => "MLP (16 and 8 ReLU units, sigmoid), our Adam trainer, class-weighted",
        _ => $"{Name(kind)} ({(binary ? "binary" : "regression")})",
    };

    /// <summary>Throws a <see cref="CliException"/> (exit 2) when <paramref name="kind"/> cannot serve the task.</summary>
    public static void Check(ModelKind kind, bool binary)
    {
        if (binary && kind is not (ModelKind.FastTree or ModelKind.Mlp))
        {
            throw new CliException($"option --model {Name(kind)} cannot train a binary pipeline; use fasttree or mlp", 2);
        }

        if (!binary && kind is (ModelKind.FastTree or ModelKind.Mlp))
        {
            throw new CliException($"option --model {Name(kind)} trains binary pipelines only; for regression use lightgbm, fastforest or linear", 2);
        }
    }

    /// <summary>Trains <paramref name="kind"/> on the training rows, measures it on the validation rows and exports it with <paramref name="metadata"/>.</summary>
    public static TrainedModel Train(
        ModelKind kind, bool binary, float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels,
        Dictionary<string, string> metadata, int seed)
    {
        Check(kind, binary);
        metadata["model"] = Name(kind);
        switch (kind)
        {
            case ModelKind.FastTree:
                return RecipeTraining.FastTreeBinary(train, trainLabels, validation, validationLabels, metadata, seed);
            case ModelKind.Mlp:
                return Mlp(train, trainLabels, validation, validationLabels, metadata, seed);
            case ModelKind.LightGbm:
                return RecipeTraining.LightGbm(train, trainLabels, validation, validationLabels, metadata, seed);
            case ModelKind.FastForest:
            {
                var forest = MlNetTraining.FastForestRegression(train, trainLabels, seed: seed);
                return RecipeTraining.Regression(validation, validationLabels, forest.Predict, m => OnnxExporter.Regressor(forest.Model, train[0].Length, m), metadata);
            }

            default:
                return StandardisedLinear(train, trainLabels, validation, validationLabels, metadata, seed);
        }
    }

    /// <summary>Our MLP for a binary label, measured by validation F1 and exported with its standardisation folded in.</summary>
    private static TrainedModel Mlp(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed)
    {
        var network = MlpTrainer.TrainBinary(train, trainLabels, seed: seed);
        float[] Probabilities(float[][] rows)
        {
            var probabilities = new float[rows.Length];
            var output = new float[1];
            for (var i = 0; i < rows.Length; i++)
            {
                network.Predict(rows[i], output);
                probabilities[i] = output[0];
            }

            return probabilities;
        }

        return RecipeTraining.Binary(validation, validationLabels, Probabilities, m => OnnxExporter.Mlp(network, m), metadata);
    }

    /// <summary>
    /// SDCA linear regression on standardised inputs and a centred label, folded back so the exported model takes raw
    /// features: w_k / σ_k, bias = ȳ + b − Σ w_k μ_k / σ_k. (SDCA converges poorly on inputs of very different scales.)
    /// </summary>
    private static TrainedModel StandardisedLinear(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed)
    {
        var width = train[0].Length;
        var mean = Enumerable.Range(0, width).Select(k => train.Select(r => (double)r[k]).Mean()).ToArray();
        var scale = Enumerable.Range(0, width).Select(k => train.Select(r => (double)r[k]).PopulationStandardDeviation()).Select(s => s > 1e-12 ? s : 1).ToArray();
        var labelMean = trainLabels.Select(l => (double)l).Mean();
        float[] Standardise(float[] row) => row.Select((v, k) => (float)((v - mean[k]) / scale[k])).ToArray();
        var trained = MlNetTraining.LinearRegression(train.Select(Standardise).ToArray(), trainLabels.Select(l => (float)(l - labelMean)).ToArray(), seed);
        var weights = trained.Model.Weights.Select((w, k) => w / scale[k]).ToArray();
        var bias = labelMean + trained.Model.Bias - weights.Select((w, k) => w * mean[k]).Sum();
        var model = new LinearModel(weights, bias);
        return RecipeTraining.Regression(
            validation, validationLabels, rows => rows.Select(r => (float)model.Score(r)).ToArray(), m => OnnxExporter.Regressor(model, m), metadata);
    }
}
