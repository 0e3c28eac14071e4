using Biathlon.Engine.Models.Export;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;

namespace Biathlon.MlNet;

/// <summary>
/// Trained ML.NET models in the engine's model-neutral forms (<see cref="TreeEnsembleModel"/>,
/// <see cref="LinearModel"/>, <see cref="PlattCalibration"/>), which <see cref="OnnxExporter"/> writes as ONNX.
/// <see cref="MlNetOnnx"/> does both steps for the common trainers.
/// </summary>
public static class MlNetModels
{
    /// <summary>
    /// An ML.NET tree ensemble (<c>model.TrainedTreeEnsemble</c>). ML.NET's tree layout is the neutral one: internal
    /// nodes, negative children for leaves, ≤ goes left; the tree weights and bias carry over. Throws
    /// <see cref="NotSupportedException"/> for categorical splits.
    /// </summary>
    /// <param name="ensemble">The trained trees.</param>
    /// <param name="aggregation">Sum for boosting (LightGBM, FastTree), average for FastForest.</param>
    public static TreeEnsembleModel Trees<TTree>(TreeEnsemble<TTree> ensemble, TreeAggregation aggregation)
        where TTree : RegressionTreeBase
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var trees = new List<DecisionTree>(ensemble.Trees.Count);
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            for (var n = 0; n < tree.CategoricalSplitFlags.Count; n++)
            {
                if (tree.CategoricalSplitFlags[n])
                {
                    throw new NotSupportedException($"Tree {t} node {n} is a categorical split, which cannot be exported; train on numeric features.");
                }
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

    /// <summary>The weights and bias of a linear model (SDCA, online gradient descent, logistic regression …).</summary>
    public static LinearModel Linear(LinearModelParameters model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = new double[model.Weights.Count];
        for (var j = 0; j < weights.Length; j++)
        {
            weights[j] = model.Weights[j];
        }

        return new LinearModel(weights, model.Bias);
    }

    /// <summary>
    /// ML.NET's Platt calibrator, P = 1 / (1 + exp(Slope · score + Offset)), as the neutral
    /// P = 1 / (1 + exp(−(slope · score + offset))): both signs flip.
    /// </summary>
    public static PlattCalibration Platt(PlattCalibrator calibrator)
    {
        ArgumentNullException.ThrowIfNull(calibrator);
        return new PlattCalibration(-calibrator.Slope, -calibrator.Offset);
    }
}
