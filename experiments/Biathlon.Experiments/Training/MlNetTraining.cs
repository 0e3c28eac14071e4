using Biathlon.Engine.Models.Export;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Biathlon.Experiments.Training;

/// <summary>
/// Trains ML.NET models on a feature matrix and converts them into the engine's model-neutral forms
/// (<see cref="TreeEnsembleModel"/>, <see cref="LinearModel"/>) for our ONNX writer. Seeded and single-threaded so a
/// run is reproducible.
/// </summary>
public static class MlNetTraining
{
    /// <summary>A trained model: ML.NET's own predictor (the reference), and the neutral form to export.</summary>
    public sealed record Trained<TNeutral>(ITransformer Predictor, TNeutral Model, PlattCalibration? Calibration, MLContext Context)
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
    public static Trained<TreeEnsembleModel> LightGbmRegression(float[][] rows, float[] labels, int trees = 100, int leaves = 31, int seed = 0)
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
        return new(model, Convert(model.Model.TrainedTreeEnsemble, TreeAggregation.Sum), null, ml);
    }

    /// <summary>FastTree boosted trees for a binary label (label &gt; 0.5 is class 1), Platt-calibrated.</summary>
    public static Trained<TreeEnsembleModel> FastTreeBinary(float[][] rows, float[] labels, int trees = 100, int leaves = 20, int seed = 0)
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
        return new(
            model,
            Convert(calibrated.SubModel.TrainedTreeEnsemble, TreeAggregation.Sum),
            // ML.NET's Platt calibrator computes 1 / (1 + exp(Slope · score + Offset)): the logit is −(Slope · score + Offset).
            new PlattCalibration(-calibrated.Calibrator.Slope, -calibrated.Calibrator.Offset),
            ml);
    }

    /// <summary>FastForest random-forest regression (averaged trees).</summary>
    public static Trained<TreeEnsembleModel> FastForestRegression(float[][] rows, float[] labels, int trees = 100, int leaves = 20, int seed = 0)
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
        return new(model, Convert(model.Model.TrainedTreeEnsemble, TreeAggregation.Average), null, ml);
    }

    /// <summary>Linear regression by SDCA.</summary>
    public static Trained<LinearModel> LinearRegression(float[][] rows, float[] labels, int seed = 0)
    {
        var ml = new MLContext(seed);
        var trainer = ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { NumberOfThreads = 1, MaximumNumberOfIterations = 50 });
        var model = trainer.Fit(ToDataView(ml, rows, labels, boolLabel: false));
        var weights = model.Model.Weights.Select(w => (double)w).ToArray();
        return new(model, new LinearModel(weights, model.Model.Bias), null, ml);
    }

    /// <summary>ML.NET's tree layout is already ours: internal nodes, negative children for leaves, ≤ goes left.</summary>
    public static TreeEnsembleModel Convert<TTree>(TreeEnsemble<TTree> ensemble, TreeAggregation aggregation)
        where TTree : RegressionTreeBase
    {
        var trees = new List<DecisionTree>(ensemble.Trees.Count);
        foreach (var tree in ensemble.Trees)
        {
            if (tree.CategoricalSplitFlags.Any(flag => flag))
            {
                throw new NotSupportedException("Categorical splits cannot be exported; train on numeric features.");
            }

            trees.Add(new DecisionTree(
                [.. tree.NumericalSplitFeatureIndexes],
                [.. tree.NumericalSplitThresholds],
                [.. tree.LeftChild],
                [.. tree.RightChild],
                [.. tree.LeafValues]));
        }

        return new TreeEnsembleModel(trees, [.. ensemble.TreeWeights], ensemble.Bias, aggregation);
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
