using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Experiments.Training;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests;

/// <summary>
/// The native evaluator against ONNX Runtime on the same ONNX files: every model type our writer exports, trained on
/// 20,000 real flights rows and compared on 1,000 other real rows (within 1e-5 relative to max(1, |y|); classifiers'
/// labels equal), plus hand-written graphs for what the writer never emits (other node modes, missing values, a
/// multiclass TreeEnsembleClassifier). Then specialisation: on random Saltelli designs with random constant inputs, the
/// specialised evaluator equals the full model for every supported model type.
/// </summary>
public sealed class NativeModelTests
{
    public static TheoryData<string> ModelKinds => ["lightgbm", "fasttree-binary", "fastforest", "linear", "mlp-regression", "mlp-binary", "mlp-multiclass"];

    [Theory]
    [MemberData(nameof(ModelKinds))]
    public void Native_evaluator_agrees_with_ONNX_Runtime_on_real_rows(string kind)
    {
        var (onnx, task) = Build(kind);
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, onnx);
        using var runtime = OnnxModel.Load(path, task);
        var native = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task);
        var rows = FlightRows.TestFeatures;
        var inputs = ColumnMajor(rows);
        var expected = new float[rows.Length];
        runtime.Evaluate(inputs, rows.Length, expected);
        ForEveryKernel(kernel =>
        {
            var actual = new float[rows.Length];
            native.Evaluate(inputs, rows.Length, actual);
            AssertAgree(expected, actual, task, $"{kind}, {kernel} kernel");
        });

        // 997 rows: the last 5 are a partial block for the 8-row kernels.
        var few = rows[..997];
        var fewInputs = ColumnMajor(few);
        var fewExpected = new float[few.Length];
        runtime.Evaluate(fewInputs, few.Length, fewExpected);
        ForEveryKernel(kernel =>
        {
            var actual = new float[few.Length];
            native.Evaluate(fewInputs, few.Length, actual);
            AssertAgree(fewExpected, actual, task, $"{kind}, {kernel} kernel, 997 rows");
        });
    }

    [Fact]
    public void Missing_values_in_a_real_model_follow_ONNX_Runtime()
    {
        var (onnx, task) = Build("lightgbm");
        var rows = FlightRows.TestFeatures.Select(r => r.ToArray()).ToArray();
        for (var i = 0; i < 40; i++)
        {
            rows[i * 7][i % 4] = float.NaN;
        }

        ForEveryKernel(kernel => AssertSameAsRuntime(onnx, task, rows, $"lightgbm with NaN, {kernel} kernel"));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Every_node_mode_and_missing_values_follow_ONNX_Runtime(bool equality, bool missingValues)
    {
        // One tree per mode over feature 0 or 1, thresholds on the data's scale; NaN tracked true in half of them.
        // Without the equality modes the ensemble has a fast form, which every kernel evaluates (inputs without NaN).
        string[] modes = equality
            ? ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
            : ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_LT", "BRANCH_GTE"];
        var graph = new OnnxGraphBuilder();
        graph.FloatInput("input", 4);
        var node = graph.Node("TreeEnsembleRegressor", ["input"], ["prediction"], OnnxGraphBuilder.MlDomain);
        List<long> trees = [], ids = [], features = [], trueIds = [], falseIds = [], missing = [], targetTrees = [], targetNodes = [];
        List<string> nodeModes = [];
        List<float> values = [], weights = [];
        for (var t = 0; t < modes.Length; t++)
        {
            // node 0 splits; leaves 1 and 2
            trees.AddRange([t, t, t]);
            ids.AddRange([0, 1, 2]);
            features.AddRange([t % 2, 0, 0]);
            nodeModes.AddRange([modes[t], "LEAF", "LEAF"]);
            values.AddRange([t % 2 == 0 ? 700f : 12f, 0, 0]);
            trueIds.AddRange([1, 0, 0]);
            falseIds.AddRange([2, 0, 0]);
            missing.AddRange([t % 2, 0, 0]);
            targetTrees.AddRange([t, t]);
            targetNodes.AddRange([1, 2]);
            weights.AddRange([t + 1, -(t + 1) * 0.5f]);
        }

        node.Int("n_targets", 1).Ints("nodes_treeids", trees).Ints("nodes_nodeids", ids).Ints("nodes_featureids", features)
            .Strings("nodes_modes", nodeModes).Floats("nodes_values", values).Ints("nodes_truenodeids", trueIds)
            .Ints("nodes_falsenodeids", falseIds).Ints("nodes_missing_value_tracks_true", missing)
            .Ints("target_treeids", targetTrees).Ints("target_nodeids", targetNodes).Ints("target_ids", targetTrees.Select(_ => 0L))
            .Floats("target_weights", weights).Floats("base_values", [0.25f]).String("aggregate_function", "SUM").String("post_transform", "NONE");
        graph.Output("prediction", TensorProto.Types.DataType.Float, 1);
        var onnx = graph.Build(null, usesMlDomain: true);

        var rows = FlightRows.TestFeatures.Select(r => r.ToArray()).ToArray();
        rows[0][0] = 700; // equality cases
        rows[1][1] = 12;
        rows[4][0] = 700; // equality for the strict modes too
        rows[5][1] = 12;
        if (missingValues)
        {
            rows[2][0] = float.NaN;
            rows[3][1] = float.NaN;
        }

        ForEveryKernel(kernel => AssertSameAsRuntime(onnx, PredictionTask.Regression, rows, $"node modes, {kernel} kernel"));
        var ensemble = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), PredictionTask.Regression).Steps.OfType<TreeStep>().Single().Ensemble;
        Assert.Equal(!equality, ensemble.HasFastForm);
        if (!equality)
        {
            AssertSpecialisationEquivalent(onnx, PredictionTask.Regression, "node modes", seed: 5);
        }
    }

    [Fact]
    public void A_tree_with_more_than_64_leaves_is_traversed_beside_the_QuickScorer()
    {
        // Tree 0 is a comb of 80 splits on distance (81 leaves, too many for a 64-bit leaf vector); tree 1 splits hour.
        var graph = new OnnxGraphBuilder();
        graph.FloatInput("input", 4);
        var node = graph.Node("TreeEnsembleRegressor", ["input"], ["prediction"], OnnxGraphBuilder.MlDomain);
        List<long> trees = [], ids = [], features = [], trueIds = [], falseIds = [], targetTrees = [], targetNodes = [];
        List<string> modes = [];
        List<float> values = [], weights = [];
        const int splits = 80;
        for (var i = 0; i < splits; i++)
        {
            // split 2i: distance ≤ 40 (i + 1) ? leaf 2i + 1 : split 2i + 2 (the last split's right child is leaf 2 · splits)
            trees.AddRange([0, 0]);
            ids.AddRange([2 * i, 2 * i + 1]);
            features.AddRange([0, 0]);
            modes.AddRange(["BRANCH_LEQ", "LEAF"]);
            values.AddRange([40f * (i + 1), 0]);
            trueIds.AddRange([2 * i + 1, 0]);
            falseIds.AddRange([i == splits - 1 ? 2 * splits : 2 * i + 2, 0]);
            targetTrees.Add(0);
            targetNodes.Add(2 * i + 1);
            weights.Add(i * 0.5f);
        }

        trees.Add(0);
        ids.Add(2 * splits);
        features.Add(0);
        modes.Add("LEAF");
        values.Add(0);
        trueIds.Add(0);
        falseIds.Add(0);
        targetTrees.Add(0);
        targetNodes.Add(2 * splits);
        weights.Add(100);
        trees.AddRange([1, 1, 1]);
        ids.AddRange([0, 1, 2]);
        features.AddRange([1, 0, 0]);
        modes.AddRange(["BRANCH_LT", "LEAF", "LEAF"]);
        values.AddRange([12, 0, 0]);
        trueIds.AddRange([1, 0, 0]);
        falseIds.AddRange([2, 0, 0]);
        targetTrees.AddRange([1, 1]);
        targetNodes.AddRange([1, 2]);
        weights.AddRange([-3, 7]);
        node.Int("n_targets", 1).Ints("nodes_treeids", trees).Ints("nodes_nodeids", ids).Ints("nodes_featureids", features)
            .Strings("nodes_modes", modes).Floats("nodes_values", values).Ints("nodes_truenodeids", trueIds)
            .Ints("nodes_falsenodeids", falseIds).Ints("target_treeids", targetTrees).Ints("target_nodeids", targetNodes)
            .Ints("target_ids", targetTrees.Select(_ => 0L)).Floats("target_weights", weights);
        graph.Output("prediction", TensorProto.Types.DataType.Float, 1);
        var onnx = graph.Build(null, usesMlDomain: true);

        var ensemble = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), PredictionTask.Regression).Steps.OfType<TreeStep>().Single().Ensemble;
        var scorer = new QuickScorer(4, ensemble.InternalNodes, ensemble.Roots.Length);
        scorer.Build(new ForestArrays(ensemble.Features, ensemble.FastThresholds, ensemble.FastLeft, ensemble.FastRight, ensemble.LeafValues),
            ensemble.Roots, ensemble.NodesByFeature, []);
        Assert.Equal(1, scorer.Trees);
        Assert.Equal(1, scorer.FallbackRoots.Length);
        ForEveryKernel(kernel => AssertSameAsRuntime(onnx, PredictionTask.Regression, FlightRows.TestFeatures, $"81-leaf tree, {kernel} kernel"));
        AssertSpecialisationEquivalent(onnx, PredictionTask.Regression, "81-leaf tree", seed: 9);
    }

    [Fact]
    public void A_tree_with_a_cycle_is_refused_not_walked()
    {
        // node 0 → 1 → 2 → 1: every id exists and tree 0 has a root, but the walk would never reach a leaf.
        var graph = new OnnxGraphBuilder();
        graph.FloatInput("input", 4);
        graph.Node("TreeEnsembleRegressor", ["input"], ["prediction"], OnnxGraphBuilder.MlDomain)
            .Int("n_targets", 1).Ints("nodes_treeids", [0, 0, 0, 0]).Ints("nodes_nodeids", [0, 1, 2, 3]).Ints("nodes_featureids", [0, 1, 2, 0])
            .Strings("nodes_modes", ["BRANCH_LEQ", "BRANCH_LEQ", "BRANCH_LEQ", "LEAF"]).Floats("nodes_values", [1, 2, 3, 0])
            .Ints("nodes_truenodeids", [1, 2, 1, 0]).Ints("nodes_falsenodeids", [3, 3, 3, 0])
            .Ints("target_treeids", [0]).Ints("target_nodeids", [3]).Ints("target_ids", [0]).Floats("target_weights", [1f]);
        graph.Output("prediction", TensorProto.Types.DataType.Float, 1);
        var error = Assert.Throws<UnsupportedGraphException>(() =>
            NativeModel.Compile(ModelProto.Parser.ParseFrom(graph.Build(null, usesMlDomain: true)), PredictionTask.Regression));
        Assert.Contains("not a tree", error.Message);
    }

    [Theory]
    [InlineData("NONE")]
    [InlineData("SOFTMAX")]
    [InlineData("LOGISTIC")]
    public void A_multiclass_tree_classifier_follows_ONNX_Runtime_and_specialises_exactly(string transform)
    {
        // Three classes (labels 10, 20, 30), two trees per class over distance and hour.
        var graph = new OnnxGraphBuilder();
        graph.FloatInput("input", 4);
        var node = graph.Node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"], OnnxGraphBuilder.MlDomain);
        List<long> trees = [], ids = [], features = [], trueIds = [], falseIds = [], classTrees = [], classNodes = [], classIds = [];
        List<string> modes = [];
        List<float> values = [], weights = [];
        for (var t = 0; t < 6; t++)
        {
            trees.AddRange([t, t, t, t, t]);
            ids.AddRange([0, 1, 2, 3, 4]);
            features.AddRange([0, 1, 0, 0, 0]);
            modes.AddRange(["BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF"]);
            values.AddRange([400 + 150 * t, 8 + t, 0, 0, 0]);
            trueIds.AddRange([1, 2, 0, 0, 0]);
            falseIds.AddRange([4, 3, 0, 0, 0]);
            foreach (var leaf in new long[] { 2, 3, 4 })
            {
                classTrees.Add(t);
                classNodes.Add(leaf);
                classIds.Add(t % 3);
                // class t % 3 is favoured on short flights early in the day, penalised on long ones
                weights.Add(leaf == 2 ? 1.5f + t % 3 : leaf == 3 ? (t % 3 == 1 ? 2f : -0.5f) : (t % 3 == 2 ? 1f : -1f));
            }
        }

        node.Ints("nodes_treeids", trees).Ints("nodes_nodeids", ids).Ints("nodes_featureids", features).Strings("nodes_modes", modes)
            .Floats("nodes_values", values).Ints("nodes_truenodeids", trueIds).Ints("nodes_falsenodeids", falseIds)
            .Ints("class_treeids", classTrees).Ints("class_nodeids", classNodes).Ints("class_ids", classIds).Floats("class_weights", weights)
            .Ints("classlabels_int64s", [10, 20, 30]).String("post_transform", transform);
        graph.Output("label", TensorProto.Types.DataType.Int64, null);
        graph.Output("probabilities", TensorProto.Types.DataType.Float, 3);
        var onnx = graph.Build(null, usesMlDomain: true);
        AssertSameAsRuntime(onnx, PredictionTask.Classification, FlightRows.TestFeatures, $"classifier {transform}");
        AssertSpecialisationEquivalent(onnx, PredictionTask.Classification, $"classifier {transform}", transform.Length * 17);
    }

    [Theory]
    [MemberData(nameof(ModelKinds))]
    public void A_specialised_model_equals_the_full_model_on_random_designs(string kind)
    {
        var (onnx, task) = Build(kind);
        AssertSpecialisationEquivalent(onnx, task, kind, kind.Length * 31);
    }

    /// <summary>On 20 random Saltelli designs with random constants, the specialised evaluator equals the full model under every kernel.</summary>
    private static void AssertSpecialisationEquivalent(byte[] onnx, PredictionTask task, string kind, int seed)
    {
        var native = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task);
        var evaluator = native.CreateDesignEvaluator();
        var rng = new Random(seed);
        var real = FlightRows.TestFeatures;
        int[] groupOfInput = [0, 1, 1, 2]; // distance; hour and day of week as one query; minute
        const int n = 64;
        var seen = new HashSet<float>();
        for (var trial = 0; trial < 20; trial++)
        {
            // Random constants (at least one input free), a random subset of groups resampled in AB blocks.
            var constant = new bool[4];
            var values = new float[4];
            var anchor = real[rng.Next(real.Length)];
            for (var j = 0; j < 4; j++)
            {
                constant[j] = rng.NextDouble() < 0.5;
                values[j] = anchor[j];
            }

            constant[rng.Next(4)] = false;
            var blocks = Enumerable.Range(0, 3).Where(g => Enumerable.Range(0, 4).Any(j => groupOfInput[j] == g && !constant[j])).ToArray();
            var layout = new SaltelliLayout(n, blocks);
            var rows = layout.Rows;
            var inputs = new float[rows * 4];
            for (var j = 0; j < 4; j++)
            {
                var column = inputs.AsSpan(j * rows, rows);
                if (constant[j])
                {
                    column.Fill(values[j]);
                    continue;
                }

                for (var i = 0; i < 2 * n; i++)
                {
                    column[i] = real[rng.Next(real.Length)][j] * (float)(0.8 + 0.4 * rng.NextDouble());
                }

                for (var b = 0; b < blocks.Length; b++)
                {
                    column.Slice(blocks[b] == groupOfInput[j] ? n : 0, n).CopyTo(column.Slice(layout.BlockStart(b), n));
                }
            }

            var full = new float[rows];
            TreeKernels.Kernel = TreeKernel.Scalar;
            native.Evaluate(inputs, rows, full);
            TreeKernels.Kernel = s_defaultKernel;
            evaluator.Specialize(groupOfInput, constant, values);
            ForEveryKernel(kernel =>
            {
                var specialised = new float[rows];
                evaluator.Evaluate(inputs, new SaltelliLayout(n, blocks), specialised);
                AssertAgree(full, specialised, task, $"{kind} trial {trial}, {kernel} kernel", mustVary: false);
            });
            seen.UnionWith(full);
        }

        Assert.True(seen.Count > 1, $"{kind}: every design row of every trial gave one output, so the comparison tested little");
    }

    [Fact]
    public void A_tree_ensemble_pruned_on_constants_keeps_only_trees_that_read_free_inputs()
    {
        var (onnx, task) = Build("lightgbm");
        var native = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task);
        var evaluator = (NativeDesignEvaluator)native.CreateDesignEvaluator();
        var row = FlightRows.TestFeatures[0];
        evaluator.Specialize([0, 1, 2, 3], [false, false, false, false], row);
        var allTrees = evaluator.SpecializedTrees;
        evaluator.Specialize([0, 1, 2, 3], [false, true, true, true], row);
        Assert.Equal(100, allTrees);
        Assert.True(evaluator.SpecializedTrees < allTrees, $"{evaluator.SpecializedTrees} of {allTrees} trees left with three inputs constant");
        Assert.True(evaluator.SpecializedNodes > 0);
        evaluator.Specialize([0, 1, 2, 3], [true, true, true, true], row);
        Assert.Equal(0, evaluator.SpecializedTrees);
    }

    [Fact]
    public void Only_a_lone_dense_layer_is_affine()
    {
        foreach (var (kind, affine) in new[] { ("linear", true), ("mlp-regression", false), ("lightgbm", false), ("fasttree-binary", false) })
        {
            var (onnx, task) = Build(kind);
            var evaluator = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task).CreateDesignEvaluator();
            var row = FlightRows.TestFeatures[3];
            evaluator.Specialize([0, 1, 2, 3], [false, true, false, true], row);
            var weights = new double[4];
            Assert.Equal(affine, evaluator.TryGetAffine(weights, out var intercept));
            if (affine)
            {
                Assert.Equal(0, weights[1]);
                Assert.Equal(0, weights[3]);
                // intercept + w·x on the free inputs reproduces the model on the row
                var output = new float[1];
                NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task).Evaluate(row, 1, output);
                Assert.Equal(output[0], intercept + weights[0] * row[0] + weights[2] * row[2], 3);
            }
        }
    }

    [Fact]
    public void Auto_falls_back_to_ONNX_Runtime_with_the_reason_and_native_refuses()
    {
        var graph = new OnnxGraphBuilder();
        graph.FloatInput("input", 2);
        graph.Node("Sin", ["input"], ["s"]);
        graph.FloatInitializer("w", [2, 1], [1f, 1f]);
        graph.Node("MatMul", ["s", "w"], ["prediction"]);
        graph.Output("prediction", TensorProto.Types.DataType.Float, 1);
        using var dir = new TempDirectory();
        var path = dir.File("sin.onnx");
        File.WriteAllBytes(path, graph.Build(null, usesMlDomain: false));

        using var auto = LoadedModel.Load(path, PredictionTask.Regression, ModelRuntime.Auto, 1);
        Assert.Equal(ModelRuntime.OnnxRuntime, auto.Runtime);
        Assert.Contains("Sin", auto.Description);
        var error = Assert.Throws<UnsupportedGraphException>(() => LoadedModel.Load(path, PredictionTask.Regression, ModelRuntime.Native, 1));
        Assert.Contains("Sin", error.Message);

        var (onnx, _) = Build("lightgbm");
        var trees = dir.File("trees.onnx");
        File.WriteAllBytes(trees, onnx);
        using var native = LoadedModel.Load(trees, PredictionTask.Regression, ModelRuntime.Auto, 1);
        Assert.Equal(ModelRuntime.Native, native.Runtime);
        using var forced = LoadedModel.Load(trees, PredictionTask.Regression, ModelRuntime.OnnxRuntime, 1);
        Assert.Equal(ModelRuntime.OnnxRuntime, forced.Runtime);
        Assert.Equal(forced.Metadata, native.Metadata);
    }

    private static readonly TreeKernel s_defaultKernel = TreeKernels.Kernel;

    /// <summary>Runs <paramref name="check"/> once under each tree kernel, then restores the default.</summary>
    private static void ForEveryKernel(Action<TreeKernel> check)
    {
        try
        {
            foreach (var kernel in Enum.GetValues<TreeKernel>())
            {
                TreeKernels.Kernel = kernel;
                check(kernel);
            }
        }
        finally
        {
            TreeKernels.Kernel = s_defaultKernel;
        }
    }

    private static readonly Dictionary<string, (byte[], PredictionTask)> s_models = [];

    /// <summary>Each model type our writer exports, trained once on real flights rows.</summary>
    internal static (byte[] Onnx, PredictionTask Task) Build(string kind)
    {
        lock (s_models)
        {
            if (s_models.TryGetValue(kind, out var built))
            {
                return built;
            }

            var x = FlightRows.TrainFeatures;
            var y = FlightRows.TrainDelays;
            var late = y.Select(d => d > 15 ? 1f : 0f).ToArray();
            var metadata = new Dictionary<string, string> { ["validation_mae"] = "12.5" };
            built = kind switch
            {
                "lightgbm" => (OnnxExporter.Regressor(MlNetTraining.LightGbmRegression(x, y).Model, 4, metadata), PredictionTask.Regression),
                "fasttree-binary" => FastTreeBinary(x, late),
                "fastforest" => (OnnxExporter.Regressor(MlNetTraining.FastForestRegression(x, y, trees: 30).Model, 4), PredictionTask.Regression),
                "linear" => (OnnxExporter.Regressor(MlNetTraining.LinearRegression(x, y).Model), PredictionTask.Regression),
                "mlp-regression" => (OnnxExporter.Mlp(RandomMlp(1, Activation.Identity)), PredictionTask.Regression),
                "mlp-binary" => (OnnxExporter.Mlp(RandomMlp(1, Activation.Sigmoid)), PredictionTask.Classification),
                _ => (OnnxExporter.Mlp(RandomMlp(3, Activation.Softmax)), PredictionTask.Classification),
            };
            s_models[kind] = built;
            return built;
        }

        static (byte[], PredictionTask) FastTreeBinary(float[][] x, float[] late)
        {
            var trained = MlNetTraining.FastTreeBinary(x, late);
            return (OnnxExporter.BinaryClassifier(trained.Model, trained.Calibration!, 4), PredictionTask.Classification);
        }
    }

    /// <summary>A 4-16-8-k network whose first layer standardises the flights features (distance, hour, day, minute), so its outputs vary over real rows.</summary>
    private static MultilayerPerceptron RandomMlp(int outputs, Activation last)
    {
        var rng = new Random(outputs * 7 + (int)last);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        double[] means = [800, 13, 3, 30], scales = [600, 5, 2, 17];
        var first = new float[16 * 4];
        var firstBias = new float[16];
        for (var o = 0; o < 16; o++)
        {
            double shift = 0;
            for (var i = 0; i < 4; i++)
            {
                var w = Normal() / scales[i];
                first[o * 4 + i] = (float)w;
                shift += w * means[i];
            }

            firstBias[o] = (float)(Normal() * 0.3 - shift);
        }

        DenseLayer Layer(int inputs, int width, Activation activation) => new(
            inputs, width,
            Enumerable.Range(0, inputs * width).Select(_ => (float)(Normal() / Math.Sqrt(inputs) * 2)).ToArray(),
            Enumerable.Range(0, width).Select(_ => (float)(Normal() * 0.1)).ToArray(),
            activation);
        return new MultilayerPerceptron([new DenseLayer(4, 16, first, firstBias, Activation.Relu), Layer(16, 8, Activation.Relu), Layer(8, outputs, last)]);
    }

    private static void AssertSameAsRuntime(byte[] onnx, PredictionTask task, float[][] rows, string what)
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, onnx);
        using var runtime = OnnxModel.Load(path, task);
        var native = NativeModel.Compile(ModelProto.Parser.ParseFrom(onnx), task);
        var inputs = ColumnMajor(rows);
        var expected = new float[rows.Length];
        var actual = new float[rows.Length];
        runtime.Evaluate(inputs, rows.Length, expected);
        native.Evaluate(inputs, rows.Length, actual);
        AssertAgree(expected, actual, task, what);
    }

    internal static float[] ColumnMajor(float[][] rows)
    {
        var width = rows[0].Length;
        var inputs = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var j = 0; j < width; j++)
            {
                inputs[j * rows.Length + r] = rows[r][j];
            }
        }

        return inputs;
    }

    internal static void AssertAgree(float[] expected, float[] actual, PredictionTask task, string what, bool mustVary = true)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (task == PredictionTask.Classification)
        {
            var differ = Enumerable.Range(0, expected.Length).Where(i => expected[i] != actual[i]).ToArray();
            Assert.True(differ.Length == 0, $"{what}: {differ.Length} of {expected.Length} labels differ (first at row {differ.FirstOrDefault()})");
            Assert.True(!mustVary || expected.Distinct().Count() > 1, $"{what}: every row has the same label, so the comparison tests little");
            return;
        }

        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i])));
        }

        Assert.True(worst <= 1e-5, $"{what}: worst relative difference {worst:E2} over {expected.Length} rows");
        Assert.True(!mustVary || expected.Distinct().Count() > 3, $"{what}: the outputs barely vary, so the comparison tests little");
    }
}
