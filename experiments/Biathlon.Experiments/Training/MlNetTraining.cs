using Biathlon.Engine.Models.Export;
using Biathlon.MlNet;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Biathlon.Experiments.Training;

/// <summary>
/// Trains ML.NET models on a feature matrix, seeded and single-threaded so a run is reproducible. Conversion to ONNX
/// (and to the engine's model-neutral forms) is the Biathlon.MlNet package's: <see cref="MlNetOnnx"/>, <see cref="MlNetModels"/>.
/// </summary>
public static class MlNetTraining
{
    /// <summary>
    /// A trained model: ML.NET's own predictor (the reference), its model parameters (what <see cref="MlNetOnnx"/>
    /// exports), and their neutral form (<see cref="TreeEnsembleModel"/> or <see cref="LinearModel"/>, with the
    /// calibration of a binary model).
    /// </summary>
    public sealed record Trained<TParameters, TNeutral>(ITransformer Predictor, TParameters Parameters, TNeutral Model, PlattCalibration? Calibration, MLContext Context)
    {
        /// <summary>ML.NET's prediction for each row: the score (regression) or P(class 1) (binary).</summary>
        public float[] Predict(float[][] rows)
        {
            var output = Predictor.Transform(ToDataView(Context, rows, new float[rows.Length], boolLabel: false));
            var column = Calibration is null ? "Score" : "Probability";
            return [.. output.GetColumn<float>(column)];
        }
    }

    /// <summary>LightGBM gradient-boosted regression trees.</summary>
    public static Trained<LightGbmRegressionModelParameters, TreeEnsembleModel> LightGbmRegression(float[][] rows, float[] labels, int trees = 100, int leaves = 31, int seed = 0)
    {
        var ml = new MLContext(seed);
        var trainer = ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
        {
            NumberOfIterations = trees,
            NumberOfLeaves = leaves,
            MinimumExampleCountPerLeaf = 20,
            LearningRate = 0.1,
            Seed = seed,
            NumberOfThreads = 1,
            Verbose = false,
        });
        var model = trainer.Fit(ToDataView(ml, rows, labels, boolLabel: false));
        return new(model, model.Model, MlNetModels.Trees(model.Model.TrainedTreeEnsemble, TreeAggregation.Sum), null, ml);
    }

    /// <summary>FastTree boosted trees for a binary label (label &gt; 0.5 is class 1), Platt-calibrated.</summary>
    public static Trained<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>, TreeEnsembleModel> FastTreeBinary(float[][] rows, float[] labels, int trees = 100, int leaves = 20, int seed = 0)
    {
        var ml = new MLContext(seed);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = trees,
            NumberOfLeaves = leaves,
            MinimumExampleCountPerLeaf = 10,
            NumberOfThreads = 1,
        });
        var model = trainer.Fit(ToDataView(ml, rows, labels, boolLabel: true));
        var calibrated = model.Model;
        return new(model, calibrated, MlNetModels.Trees(calibrated.SubModel.TrainedTreeEnsemble, TreeAggregation.Sum), MlNetModels.Platt(calibrated.Calibrator), ml);
    }

    /// <summary>FastForest random-forest regression (averaged trees).</summary>
    public static Trained<FastForestRegressionModelParameters, TreeEnsembleModel> FastForestRegression(float[][] rows, float[] labels, int trees = 100, int leaves = 20, int seed = 0)
    {
        var ml = new MLContext(seed);
        var trainer = ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options
        {
            NumberOfTrees = trees,
            NumberOfLeaves = leaves,
            MinimumExampleCountPerLeaf = 10,
            NumberOfThreads = 1,
        });
        var model = trainer.Fit(ToDataView(ml, rows, labels, boolLabel: false));
        return new(model, model.Model, MlNetModels.Trees(model.Model.TrainedTreeEnsemble, TreeAggregation.Average), null, ml);
    }

    /// <summary>Linear regression by SDCA.</summary>
    public static Trained<LinearRegressionModelParameters, LinearModel> LinearRegression(float[][] rows, float[] labels, int seed = 0)
    {
        var ml = new MLContext(seed);
        var trainer = ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { NumberOfThreads = 1, MaximumNumberOfIterations = 50 });
        var model = trainer.Fit(ToDataView(ml, rows, labels, boolLabel: false));
        return new(model, model.Model, MlNetModels.Linear(model.Model), null, ml);
    }

    /// <summary>Rows of D floats and labels as an IDataView with a "Features" vector column of width D.</summary>
    internal static IDataView ToDataView(MLContext ml, float[][] rows, float[] labels, bool boolLabel)
    {
        var width = rows.Length > 0 ? rows[0].Length : 0;
        if (boolLabel)
        {
            var schema = SchemaDefinition.Create(typeof(BinaryRow));
            schema[nameof(BinaryRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
            return ml.Data.LoadFromEnumerable(rows.Select((r, i) => new BinaryRow { Features = r, Label = labels[i] > 0.5f }), schema);
        }

        var regression = SchemaDefinition.Create(typeof(RegressionRow));
        regression[nameof(RegressionRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return ml.Data.LoadFromEnumerable(rows.Select((r, i) => new RegressionRow { Features = r, Label = labels[i] }), regression);
    }

    private sealed class RegressionRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class BinaryRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
