using Biathlon.Engine.Models.Onnx;

namespace Biathlon.Engine.Models.Export;

/// <summary>
/// Writes models as ONNX, with our own writer (no converter package): tree ensembles as ai.onnx.ml
/// TreeEnsembleRegressor, linear models as MatMul + Add, MLPs as MatMul/Add/Relu/Sigmoid/Softmax. Every model takes
/// one float input <c>input</c> of shape [N, D]. Regressors output <c>prediction</c> [N, 1]; binary classifiers output
/// <c>label</c> (int64 [N]) and <c>probability</c> (P(class 1), float [N, 1]); multiclass MLPs output <c>label</c> and
/// <c>probabilities</c> [N, C]. Metadata entries become ONNX metadata properties.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Name of the single input.</summary>
    public const string InputName = "input";

    /// <summary>Name of a regressor's output.</summary>
    public const string PredictionName = "prediction";

    /// <summary>Name of a classifier's label output.</summary>
    public const string LabelName = "label";

    /// <summary>A tree ensemble's score as a regression.</summary>
    public static byte[] Regressor(TreeEnsembleModel model, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = Start(inputWidth);
        TreeScore(graph, model, inputWidth, PredictionName);
        graph.Output(PredictionName, TensorProto.Types.DataType.Float, 1);
        return graph.Build(metadata, usesMlDomain: true);
    }

    /// <summary>A tree ensemble's score, calibrated to P(class 1), as a binary classifier (label = P &gt; 0.5).</summary>
    public static byte[] BinaryClassifier(TreeEnsembleModel model, PlattCalibration calibration, int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = Start(inputWidth);
        TreeScore(graph, model, inputWidth, "score");
        Calibrate(graph, "score", calibration);
        return graph.Build(metadata, usesMlDomain: true);
    }

    /// <summary>A linear score as a regression.</summary>
    public static byte[] Regressor(LinearModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = Start(model.Weights.Count);
        LinearScore(graph, model, PredictionName);
        graph.Output(PredictionName, TensorProto.Types.DataType.Float, 1);
        return graph.Build(metadata, usesMlDomain: false);
    }

    /// <summary>A linear score, calibrated to P(class 1), as a binary classifier.</summary>
    public static byte[] BinaryClassifier(LinearModel model, PlattCalibration calibration, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = Start(model.Weights.Count);
        LinearScore(graph, model, "score");
        Calibrate(graph, "score", calibration);
        return graph.Build(metadata, usesMlDomain: false);
    }

    /// <summary>
    /// An MLP. One output without activation: regression. One sigmoid output: binary classifier (P(class 1)).
    /// Several softmax outputs: multiclass classifier.
    /// </summary>
    public static byte[] Mlp(MultilayerPerceptron network, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = Start(network.InputWidth);
        var current = InputName;
        for (var l = 0; l < network.Layers.Count; l++)
        {
            var layer = network.Layers[l];
            // Stored [out × in] row-major; MatMul needs [in × out].
            var transposed = new float[layer.Inputs * layer.Outputs];
            for (var o = 0; o < layer.Outputs; o++)
            {
                for (var i = 0; i < layer.Inputs; i++)
                {
                    transposed[i * layer.Outputs + o] = layer.Weights[o * layer.Inputs + i];
                }
            }

            graph.FloatInitializer($"W{l}", [layer.Inputs, layer.Outputs], transposed);
            graph.FloatInitializer($"b{l}", [layer.Outputs], layer.Bias);
            graph.Node("MatMul", [current, $"W{l}"], [$"h{l}_mul"]);
            var last = l == network.Layers.Count - 1;
            var affine = layer.Activation == Activation.Identity && last && network.OutputWidth == 1 ? PredictionName : $"h{l}_affine";
            graph.Node("Add", [$"h{l}_mul", $"b{l}"], [affine]);
            current = affine;
            if (layer.Activation == Activation.Identity)
            {
                continue;
            }

            var activated = $"h{l}";
            switch (layer.Activation)
            {
                case Activation.Relu:
                    graph.Node("Relu", [current], [activated]);
                    break;
                case Activation.Sigmoid:
                    graph.Node("Sigmoid", [current], [activated]);
                    break;
                default:
                    graph.Node("Softmax", [current], [activated]).Int("axis", -1);
                    break;
            }

            current = activated;
        }

        var output = network.Layers[^1];
        if (output.Outputs == 1 && output.Activation == Activation.Identity)
        {
            graph.Output(PredictionName, TensorProto.Types.DataType.Float, 1);
        }
        else if (output.Outputs == 1 && output.Activation == Activation.Sigmoid)
        {
            Threshold(graph, current);
        }
        else if (output.Activation == Activation.Softmax)
        {
            graph.Node("Identity", [current], ["probabilities"]);
            graph.Node("ArgMax", [current], [LabelName]).Int("axis", 1).Int("keepdims", 0);
            graph.Output(LabelName, TensorProto.Types.DataType.Int64, null);
            graph.Output("probabilities", TensorProto.Types.DataType.Float, output.Outputs);
        }
        else
        {
            throw new ArgumentException("The last layer must be one identity output (regression), one sigmoid output (binary) or softmax outputs (multiclass).", nameof(network));
        }

        return graph.Build(metadata, usesMlDomain: false);
    }

    private static OnnxGraphBuilder Start(int inputWidth)
    {
        if (inputWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(inputWidth), inputWidth, "A model needs at least one input feature.");
        }

        var graph = new OnnxGraphBuilder();
        graph.FloatInput(InputName, inputWidth);
        return graph;
    }

    private static void TreeScore(OnnxGraphBuilder graph, TreeEnsembleModel model, int inputWidth, string output)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var features = new List<long>();
        var modes = new List<string>();
        var values = new List<float>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var missingTrue = new List<long>();
        var targetTrees = new List<long>();
        var targetNodes = new List<long>();
        var targetWeights = new List<float>();
        for (var t = 0; t < model.Trees.Count; t++)
        {
            var tree = model.Trees[t];
            var internalNodes = tree.InternalNodes;
            long Id(int child) => child >= 0 ? child : internalNodes + ~child;   // leaves follow the internal nodes
            for (var n = 0; n < internalNodes; n++)
            {
                if (tree.SplitFeatures[n] >= inputWidth || tree.SplitFeatures[n] < 0)
                {
                    throw new ArgumentException($"Tree {t} node {n} splits on feature {tree.SplitFeatures[n]}, outside the {inputWidth} inputs.", nameof(model));
                }

                treeIds.Add(t);
                nodeIds.Add(n);
                features.Add(tree.SplitFeatures[n]);
                modes.Add("BRANCH_LEQ");
                values.Add(tree.Thresholds[n]);
                trueIds.Add(Id(tree.LeftChildren[n]));
                falseIds.Add(Id(tree.RightChildren[n]));
                missingTrue.Add(0);
            }

            for (var leaf = 0; leaf < tree.LeafValues.Count; leaf++)
            {
                var id = internalNodes + leaf;
                treeIds.Add(t);
                nodeIds.Add(id);
                features.Add(0);
                modes.Add("LEAF");
                values.Add(0);
                trueIds.Add(0);
                falseIds.Add(0);
                missingTrue.Add(0);
                targetTrees.Add(t);
                targetNodes.Add(id);
                targetWeights.Add((float)(model.TreeWeights[t] * tree.LeafValues[leaf]));
            }
        }

        graph.Node("TreeEnsembleRegressor", [InputName], [output], OnnxGraphBuilder.MlDomain)
            .Int("n_targets", 1)
            .Ints("nodes_treeids", treeIds)
            .Ints("nodes_nodeids", nodeIds)
            .Ints("nodes_featureids", features)
            .Strings("nodes_modes", modes)
            .Floats("nodes_values", values)
            .Ints("nodes_truenodeids", trueIds)
            .Ints("nodes_falsenodeids", falseIds)
            .Ints("nodes_missing_value_tracks_true", missingTrue)
            .Ints("target_treeids", targetTrees)
            .Ints("target_nodeids", targetNodes)
            .Ints("target_ids", targetNodes.Select(_ => 0L))
            .Floats("target_weights", targetWeights)
            .Floats("base_values", [(float)model.Bias])
            .String("aggregate_function", model.Aggregation == TreeAggregation.Average ? "AVERAGE" : "SUM")
            .String("post_transform", "NONE");
    }

    private static void LinearScore(OnnxGraphBuilder graph, LinearModel model, string output)
    {
        graph.FloatInitializer("W", [model.Weights.Count, 1], model.Weights.Select(w => (float)w).ToArray());
        graph.FloatInitializer("b", [1], [(float)model.Bias]);
        graph.Node("MatMul", [InputName, "W"], ["score_mul"]);
        graph.Node("Add", ["score_mul", "b"], [output]);
    }

    /// <summary>probability = sigmoid(slope · score + offset); label = probability &gt; 0.5.</summary>
    private static void Calibrate(OnnxGraphBuilder graph, string score, PlattCalibration calibration)
    {
        graph.FloatInitializer("platt_slope", [1], [(float)calibration.Slope]);
        graph.FloatInitializer("platt_offset", [1], [(float)calibration.Offset]);
        graph.Node("Mul", [score, "platt_slope"], ["logit_scaled"]);
        graph.Node("Add", ["logit_scaled", "platt_offset"], ["logit"]);
        graph.Node("Sigmoid", ["logit"], ["p1"]);
        Threshold(graph, "p1");
    }

    /// <summary>Outputs <c>probability</c> (a copy of <paramref name="probability"/>) and <c>label</c> = probability &gt; 0.5 as int64 [N].</summary>
    private static void Threshold(OnnxGraphBuilder graph, string probability)
    {
        graph.Node("Identity", [probability], ["probability"]);
        graph.FloatInitializer("half", [1], [0.5f]);
        graph.Node("Greater", [probability, "half"], ["above"]);
        graph.Node("Cast", ["above"], ["label_column"]).Int("to", (long)TensorProto.Types.DataType.Int64);
        graph.Int64Initializer("label_shape", [1], [-1]);
        graph.Node("Reshape", ["label_column", "label_shape"], [LabelName]);
        graph.Output(LabelName, TensorProto.Types.DataType.Int64, null);
        graph.Output("probability", TensorProto.Types.DataType.Float, 1);
    }
}
