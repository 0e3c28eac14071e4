using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests;

/// <summary>
/// <see cref="OnnxModel.Evaluate"/> reuses pooled input tensors by row count. Reuse must never mix calls: 4 threads
/// run 400 calls of 1, 7 and 256 rows of distinct inputs (a hand-set linear model, y = 2·x0 − x1 + 0.5·x2 + 3) on one
/// model, and every output equals the model computed directly.
/// </summary>
public sealed class OnnxInputPoolTests
{
    [Fact]
    public void Concurrent_calls_of_different_row_counts_each_get_their_own_inputs_back()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("linear.onnx"), OnnxExporter.Regressor(new LinearModel([2.0, -1.0, 0.5], 3.0)));
        using var model = OnnxModel.Load(dir.File("linear.onnx"), PredictionTask.Regression);
        int[] rowCounts = [1, 7, 256];
        var failures = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, call =>
        {
            var rows = rowCounts[call % rowCounts.Length];
            var inputs = new float[rows * 3]; // column-major
            for (var r = 0; r < rows; r++)
            {
                inputs[r] = call + r;
                inputs[rows + r] = -r;
                inputs[2 * rows + r] = call % 11;
            }

            var outputs = new float[rows];
            model.Evaluate(inputs, rows, outputs);
            for (var r = 0; r < rows; r++)
            {
                var expected = 2f * (call + r) + r + 0.5f * (call % 11) + 3f;
                if (Math.Abs(outputs[r] - expected) > 1e-3f * Math.Max(1f, Math.Abs(expected)))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
    }
}
