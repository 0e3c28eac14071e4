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
    private static readonly string s_modelText = HandWrittenLightGbm.ModelText();

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_lightgbm_text_model_exports_to_onnx_that_onnx_runtime_evaluates_to_the_trees_values()
    {
        var source = _dir.File("model.txt");
        File.WriteAllText(source, s_modelText);
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
        File.WriteAllText(source, s_modelText);
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
