using System.Globalization;
using Biathlon.Engine.Models.Import;
using Biathlon.Sampling.Errors;

namespace Biathlon.Experiments.Models;

/// <summary>
/// <c>export-onnx</c>: a LightGBM text model (<c>model.txt</c>) written as an ONNX model, for ONNX Runtime or any
/// other runtime, optionally with δ (<c>validation_mae</c>) in its metadata so that a spec can say
/// <c>"deltaMetadata": "validation_mae"</c>. The engine reads <c>model.txt</c> directly too; this is for the others.
/// </summary>
internal static class ExportOnnxCommand
{
    /// <summary>Exports <paramref name="lightGbmFile"/> to <paramref name="outFile"/>; the exit code.</summary>
    /// <param name="lightGbmFile">The LightGBM text model.</param>
    /// <param name="outFile">The ONNX file to write (default: beside the input, extension .onnx).</param>
    /// <param name="inputs">The ONNX input width D (default: the model's own feature count).</param>
    /// <param name="delta">δ to store as <c>validation_mae</c>, or null for none.</param>
    public static int Run(string lightGbmFile, string? outFile, int? inputs, double? delta)
    {
        if (!File.Exists(lightGbmFile))
        {
            throw new CliException($"LightGBM model file '{lightGbmFile}' (option --lightgbm) does not exist", 1);
        }

        if (delta is { } d && !(double.IsFinite(d) && d >= 0))
        {
            throw new CliException($"option --delta needs a finite number ≥ 0, not {d.ToString(CultureInfo.InvariantCulture)}", 2);
        }

        LightGbmTextModel model;
        try
        {
            model = LightGbmTextModel.Load(lightGbmFile);
        }
        catch (BiathlonException e)
        {
            throw new CliException(e.Message, 1);
        }

        var width = inputs ?? model.FeatureCount;
        if (width < model.FeatureCount)
        {
            throw new CliException($"option --inputs {width} is narrower than the model, which splits on feature index {model.FeatureCount - 1}", 2);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = "LightGBM text model " + Path.GetFileName(lightGbmFile),
            ["objective"] = model.Objective,
        };
        if (delta is { } mae)
        {
            metadata["validation_mae"] = mae.ToString("R", CultureInfo.InvariantCulture);
        }

        var target = outFile ?? Path.ChangeExtension(lightGbmFile, ".onnx");
        File.WriteAllBytes(target, model.ToOnnx(width, metadata));
        Console.WriteLine($"onnx: {target} ({model.Trees.Trees.Count} trees, {model.Task.ToString().ToLowerInvariant()}, {width} inputs{(delta is null ? "" : ", validation_mae " + delta.Value.ToString("R", CultureInfo.InvariantCulture))})");
        return 0;
    }
}
