using Biathlon.Engine.Models.Export;
using Biathlon.Engine.Models.Gpu;
using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// Small models built in the test through our ONNX writer (no trained files needed) and random design blocks for them.
/// Inputs are uniform on [0, 1) per column; the trees split at uniform thresholds, so every leaf is reached.
/// </summary>
internal static class GpuTestModels
{
    public const int Width = 5;

    public static NativeModel Compile(byte[] onnx, PredictionTask task) => NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task);

    /// <summary>A random forest of complete trees, depth 1 to 5, with random weights and a bias.</summary>
    public static TreeEnsembleModel Forest(int seed, int trees, TreeAggregation aggregation = TreeAggregation.Sum)
    {
        var rng = new Random(seed);
        var list = new List<DecisionTree>();
        var weights = new List<double>();
        for (var t = 0; t < trees; t++)
        {
            var depth = 1 + rng.Next(5);
            var internals = (1 << depth) - 1;
            var features = new int[internals];
            var thresholds = new float[internals];
            var left = new int[internals];
            var right = new int[internals];
            for (var n = 0; n < internals; n++)
            {
                features[n] = rng.Next(Width);
                thresholds[n] = (float)rng.NextDouble();
                left[n] = Child(2 * n + 1, internals);
                right[n] = Child(2 * n + 2, internals);
            }

            var leaves = Enumerable.Range(0, internals + 1).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
            list.Add(new DecisionTree(features, thresholds, left, right, leaves));
            weights.Add(0.5 + rng.NextDouble());
        }

        return new TreeEnsembleModel(list, weights, 0.75, aggregation);

        // Heap numbering: children of n are 2n+1 and 2n+2; past the internal nodes they are leaves, in order.
        static int Child(int index, int internals) => index < internals ? index : ~(index - internals);
    }

    public static NativeModel ForestRegressor(int seed, int trees = 24, TreeAggregation aggregation = TreeAggregation.Sum) =>
        Compile(OnnxExporter.Regressor(Forest(seed, trees, aggregation), Width), PredictionTask.Regression);

    /// <summary>A calibrated binary forest whose offset puts P(class 1) = 0.5 at the median score of <paramref name="rows"/>, so both labels occur.</summary>
    public static NativeModel ForestClassifier(int seed, float[][] rows)
    {
        var forest = Forest(seed, 16);
        var median = rows.Select(r => forest.Score(r)).Order().ElementAt(rows.Length / 2);
        return Compile(OnnxExporter.BinaryClassifier(forest, new PlattCalibration(1.5, -1.5 * median), Width), PredictionTask.Classification);
    }

    public static LinearModel Linear(int seed)
    {
        var rng = new Random(seed);
        var weights = Enumerable.Range(0, Width).Select(j => j == 2 ? 0 : rng.NextDouble() * 6 - 3).ToArray(); // a zero weight: skipped alike
        return new LinearModel(weights, 1.25);
    }

    public static NativeModel LinearRegressor(int seed) => Compile(OnnxExporter.Regressor(Linear(seed)), PredictionTask.Regression);

    public static NativeModel LinearClassifier(int seed, float[][] rows)
    {
        var linear = Linear(seed);
        var median = rows.Select(r => linear.Score(r)).Order().ElementAt(rows.Length / 2);
        return Compile(OnnxExporter.BinaryClassifier(linear, new PlattCalibration(2, -2 * median)), PredictionTask.Classification);
    }

    /// <summary>A 5-12-8-k network (ReLU hidden layers), some weights exactly 0.</summary>
    public static MultilayerPerceptron Mlp(int seed, int outputs, Activation last)
    {
        var rng = new Random(seed);
        DenseLayer Layer(int inputs, int width, Activation activation) => new(
            inputs, width,
            Enumerable.Range(0, inputs * width).Select(i => i % 7 == 3 ? 0f : (float)((rng.NextDouble() * 2 - 1) * 2 / Math.Sqrt(inputs))).ToArray(),
            Enumerable.Range(0, width).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(),
            activation);
        return new MultilayerPerceptron([Layer(Width, 12, Activation.Relu), Layer(12, 8, Activation.Relu), Layer(8, outputs, last)]);
    }

    public static NativeModel MlpRegressor(int seed) => Compile(OnnxExporter.Mlp(Mlp(seed, 1, Activation.Identity)), PredictionTask.Regression);

    /// <summary>A binary MLP whose output bias is moved so that P(class 1) = 0.5 at the median logit of <paramref name="rows"/>.</summary>
    public static NativeModel MlpClassifier(int seed, float[][] rows)
    {
        var network = Mlp(seed, 1, Activation.Sigmoid);
        var p = new float[1];
        var logits = rows.Select(r =>
        {
            network.Predict(r, p);
            return Math.Log(p[0] / (1 - p[0]));
        }).Order().ToArray();
        var last = network.Layers[^1];
        last.Bias[0] -= (float)logits[rows.Length / 2];
        return Compile(OnnxExporter.Mlp(network), PredictionTask.Classification);
    }

    /// <summary>A 3-class MLP whose output biases are moved so each class's mean log-probability over <paramref name="rows"/> is equal: every class wins somewhere.</summary>
    public static NativeModel MlpMulticlass(int seed, float[][] rows)
    {
        var network = Mlp(seed, 3, Activation.Softmax);
        var p = new float[3];
        var mean = new double[3];
        foreach (var row in rows)
        {
            network.Predict(row, p);
            for (var c = 0; c < 3; c++)
            {
                mean[c] += Math.Log(p[c]) / rows.Length;
            }
        }

        var bias = network.Layers[^1].Bias;
        for (var c = 0; c < 3; c++)
        {
            bias[c] -= (float)mean[c];
        }

        return Compile(OnnxExporter.Mlp(network), PredictionTask.Classification);
    }

    /// <summary>
    /// x → tanh(x·W0 + b0) → ·W1 + b1, written by hand (our MLP writer has no tanh). With <paramref name="skip"/> the
    /// output layer reads tanh(h) + h, so the affine value h is read twice: the device then runs the first dense layer
    /// alone and the CPU applies tanh, the sum and the last layer.
    /// </summary>
    public static NativeModel TanhNetwork(int seed, bool skip)
    {
        var rng = new Random(seed);
        const int hidden = 6;
        float[] Random(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        var graph = new OnnxGraphBuilder();
        graph.FloatInput(OnnxExporter.InputName, Width);
        graph.FloatInitializer("W0", [Width, hidden], Random(Width * hidden, 1.5));
        graph.FloatInitializer("b0", [hidden], Random(hidden, 1));
        graph.FloatInitializer("W1", [hidden, 1], Random(hidden, 1));
        graph.FloatInitializer("b1", [1], Random(1, 1));
        graph.Node("MatMul", [OnnxExporter.InputName, "W0"], ["h_mul"]);
        graph.Node("Add", ["h_mul", "b0"], ["h"]);
        graph.Node("Tanh", ["h"], ["t"]);
        var last = "t";
        if (skip)
        {
            graph.Node("Add", ["t", "h"], ["s"]);
            last = "s";
        }

        graph.Node("MatMul", [last, "W1"], ["y_mul"]);
        graph.Node("Add", ["y_mul", "b1"], [OnnxExporter.PredictionName]);
        graph.Output(OnnxExporter.PredictionName, TensorProto.Types.DataType.Float, 1);
        return Compile(graph.Build(null, usesMlDomain: false), PredictionTask.Regression);
    }

    /// <summary><paramref name="count"/> random rows of <see cref="Width"/> uniform inputs.</summary>
    public static float[][] Rows(int seed, int count)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, Width).Select(_ => (float)rng.NextDouble()).ToArray())];
    }

    /// <summary>One block per entry of <paramref name="rows"/> (as from different requests), with random inputs; <paramref name="nanBlocks"/> get a NaN.</summary>
    public static DesignBlock[] Blocks(int seed, int[] rows, params int[] nanBlocks)
    {
        var blocks = new DesignBlock[rows.Length];
        for (var b = 0; b < rows.Length; b++)
        {
            var inputs = ColumnMajor.From(rows[b] == 0 ? [new float[Width]] : Rows(seed * 31 + b, rows[b]));
            if (nanBlocks.Contains(b))
            {
                inputs[(b % Width) * rows[b] + rows[b] / 2] = float.NaN;
            }

            // Outputs pre-filled with a sentinel, so a row left unwritten shows.
            blocks[b] = new DesignBlock(inputs.AsMemory(0, rows[b] * Width), rows[b], Enumerable.Repeat(-12345f, rows[b]).ToArray());
        }

        return blocks;
    }

    /// <summary>
    /// Evaluates <paramref name="blocks"/> on <paramref name="backend"/> and compares every block with
    /// <see cref="NativeModel.Evaluate"/> on that block alone: labels equal; values within 1e-5 relative to max(1, |y|).
    /// </summary>
    public static void AssertAgrees(ModelBackend backend, NativeModel model, PredictionTask task, DesignBlock[] blocks, string what, bool mustVary = true)
    {
        var expected = new float[blocks.Length][];
        for (var b = 0; b < blocks.Length; b++)
        {
            expected[b] = new float[blocks[b].Rows];
            model.Evaluate(blocks[b].Inputs.Span, blocks[b].Rows, expected[b]);
        }

        backend.EvaluateBatch(model, blocks);
        var all = new List<float>();
        for (var b = 0; b < blocks.Length; b++)
        {
            var actual = blocks[b].Outputs.Span;
            for (var r = 0; r < blocks[b].Rows; r++)
            {
                var (e, a) = (expected[b][r], actual[r]);
                var ok = task == PredictionTask.Classification || float.IsNaN(e) ? e.Equals(a) : Math.Abs(e - a) <= 1e-5 * Math.Max(1, Math.Abs(e));
                Assert.True(ok, $"{what} on {backend.Name}: block {b} row {r}: expected {e}, got {a}");
                all.Add(e);
            }
        }

        var distinct = all.Distinct().Count();
        Assert.True(!mustVary || distinct > (task == PredictionTask.Classification ? 1 : 3), $"{what}: the expected outputs barely vary ({distinct} distinct), so the comparison tests little");
    }
}
