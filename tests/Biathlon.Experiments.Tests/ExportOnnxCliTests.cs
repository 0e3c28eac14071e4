using Biathlon.Engine.Models;
using Biathlon.Planner.Propagation;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// <c>export-onnx</c> turns a LightGBM text model into an ONNX model that ONNX Runtime evaluates to the trees' own
/// values, with δ in the metadata; bad input is one error line with the right exit code. (Agreement of the reader with
/// the LightGBM library itself on real rows: tests/Biathlon.Engine.Tests/LightGbmAgreementTests.cs.)
/// </summary>
public sealed class ExportOnnxCliTests : IDisposable
{
    // Tree 0 over features a, b, c: a ≤ 0.1 → 1; else c ≤ 5 → 10, else 20. Tree 1: the single leaf 0.5.
    private const string ModelText = """
        tree
        version=v4
        num_class=1
        num_tree_per_iteration=1
        label_index=0
        max_feature_idx=2
        objective=regression
        feature_names=a b c
        feature_infos=[0:1] [0:1] [0:10]
        tree_sizes=300 100

        Tree=0
        num_leaves=3
        num_cat=0
        split_feature=0 2
        split_gain=10 5
        threshold=0.10000000000000001 5
        decision_type=2 2
        left_child=-1 -2
        right_child=1 -3
        leaf_value=1 10 20
        leaf_weight=1 1 1
        leaf_count=1 1 1
        internal_value=0 0
        internal_weight=0 0
        internal_count=3 2
        is_linear=0
        shrinkage=1


        Tree=1
        num_leaves=1
        num_cat=0
        split_feature=
        split_gain=
        threshold=
        decision_type=
        left_child=
        right_child=
        leaf_value=0.5
        leaf_weight=
        leaf_count=
        internal_value=
        internal_weight=
        internal_count=
        is_linear=0
        shrinkage=1


        end of trees
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_lightgbm_text_model_exports_to_onnx_that_onnx_runtime_evaluates_to_the_trees_values()
    {
        var source = _dir.File("model.txt");
        File.WriteAllText(source, ModelText);
        var target = _dir.File("exported.onnx");

        var (code, output, errors) = HarnessCli.Run("export-onnx", "--lightgbm", source, "--out", target, "--inputs", "4", "--delta", "1.25");

        Assert.True(code == 0, errors);
        Assert.Contains("2 trees", output, StringComparison.Ordinal);
        using var model = OnnxModel.Load(target, PredictionTask.Regression, new OnnxModelOptions());
        Assert.Equal(4, model.InputWidth);
        Assert.Equal("1.25", model.Metadata["validation_mae"]);
        // Column-major [D, N]: three rows over the 4 inputs (the fourth is unused by the trees).
        float[] a = [0.05f, 0.5f, 0.5f], b = [0, 0, 0], c = [0, 7, 3], d = [9, 9, 9];
        var columns = new float[12];
        a.CopyTo(columns, 0);
        b.CopyTo(columns, 3);
        c.CopyTo(columns, 6);
        d.CopyTo(columns, 9);
        var predictions = new float[3];
        model.Evaluate(columns, 3, predictions);
        Assert.Equal([1.5f, 20.5f, 10.5f], predictions);
    }

    [Fact]
    public void Bad_input_is_one_error_line_with_its_exit_code()
    {
        var missing = HarnessCli.Run("export-onnx", "--lightgbm", _dir.File("absent.txt"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("absent.txt", missing.Errors, StringComparison.Ordinal);

        var source = _dir.File("model.txt");
        File.WriteAllText(source, ModelText);
        var negative = HarnessCli.Run("export-onnx", "--lightgbm", source, "--delta", "-1");
        Assert.Equal(2, negative.ExitCode);
        Assert.Contains("--delta", negative.Errors, StringComparison.Ordinal);

        var narrow = HarnessCli.Run("export-onnx", "--lightgbm", source, "--inputs", "2");
        Assert.Equal(2, narrow.ExitCode);
        Assert.Contains("--inputs", narrow.Errors, StringComparison.Ordinal);

        File.WriteAllText(source, "not a model\n");
        var garbage = HarnessCli.Run("export-onnx", "--lightgbm", source, "--out", _dir.File("x.onnx"));
        Assert.Equal(1, garbage.ExitCode);
        Assert.False(File.Exists(_dir.File("x.onnx")));
    }
}
