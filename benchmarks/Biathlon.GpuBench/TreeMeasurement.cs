using Biathlon.Compute.Devices;
using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Gpu;
using Biathlon.Engine.Models.Native;
using Biathlon.Planner.Propagation;

namespace Biathlon.GpuBench;

// Tree-ensemble rows/s: the pipeline's model (flight-delay: 100 trees) over one design of 2^20 rows (toy size on the
// simulator), by the device program (one launch; the CPU remainder of the program included), the native CPU
// evaluator (QuickScorer) and ONNX Runtime on the CPU. Inputs are drawn uniformly between each feature's smallest and
// largest split threshold, so rows take realistic paths through the trees.
internal static class TreeMeasurement
{
    public sealed record Row(string Evaluator, int Trees, int Rows, double Milliseconds, double RowsPerSecond);

    public static List<Row> Run(ComputeDevice device, string modelPath, bool quick, TextWriter log)
    {
        var loaded = LoadedModel.Load(modelPath, PredictionTask.Regression, ModelRuntime.Native, threads: 0);
        var native = (NativeModel)loaded.Model;
        var tree = native.Steps.OfType<TreeStep>().First();
        var trees = tree.Ensemble.Roots.Length;
        var rows = quick ? 1 << 12 : 1 << 20;
        var inputs = Design(tree.Ensemble, native.InputWidth, rows);
        var outputs = new float[rows];
        using var program = GpuModelProgram.TryCompile(native, device, out var reason)
            ?? throw new InvalidOperationException($"The model has no device program: {reason}");
        using var onnx = OnnxModel.Load(modelPath, PredictionTask.Regression);
        var results = new List<Row>();
        void Measure(string name, Action run)
        {
            var ms = Timing.MedianMilliseconds(run, quick ? 2 : 10);
            results.Add(new Row(name, trees, rows, ms, rows / (ms / 1000)));
            log.WriteLine($"  {name}: {ms:F3} ms, {rows / (ms / 1000):E2} rows/s");
        }

        Measure("device (forest kernel + CPU remainder)", () => program.EvaluateBatch([new DesignBlock(inputs, rows, outputs)]));
        Measure("native CPU evaluator", () => native.Evaluate(inputs, rows, outputs));
        Measure("ONNX Runtime (CPU)", () => onnx.Evaluate(inputs, rows, outputs));
        return results;
    }

    private static float[] Design(TreeEnsemble ensemble, int width, int rows)
    {
        var low = new float[width];
        var high = new float[width];
        Array.Fill(low, float.MaxValue);
        Array.Fill(high, float.MinValue);
        for (var n = 0; n < ensemble.Features.Length; n++)
        {
            var f = ensemble.Features[n];
            low[f] = Math.Min(low[f], ensemble.Thresholds[n]);
            high[f] = Math.Max(high[f], ensemble.Thresholds[n]);
        }

        var random = new Random(3);
        var inputs = new float[width * rows];
        for (var j = 0; j < width; j++)
        {
            var (a, b) = low[j] <= high[j] ? (low[j], high[j]) : (0f, 1f);
            for (var r = 0; r < rows; r++)
            {
                inputs[j * rows + r] = a + (b - a) * (float)random.NextDouble();
            }
        }

        return inputs;
    }
}
