using ILGPU;
using ILGPU.Runtime;

namespace Biathlon.Compute.Models;

/// <summary>
/// The tree-ensemble kernel: one thread per design row of a whole batch, looping over the trees in order and adding
/// each tree's leaf value in double, exactly as the CPU's fast-form traversal does (so the sums agree to rounding).
/// Fast form only: every split is <c>x ≤ threshold ? left : right</c>, a child c &lt; 0 is leaf ~c, which is exact for
/// inputs without NaN; the caller keeps NaN rows on the CPU's ONNX-semantics path.
/// </summary>
internal static class ForestKernel
{
    /// <summary>The compiled kernel for <paramref name="accelerator"/>, launched on its default stream (index = global row).</summary>
    public static Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<double>>
        Load(Accelerator accelerator) =>
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<double>>(Run);

    /// <summary>Σ over trees of the leaf row <paramref name="index"/> reaches, into <paramref name="sums"/>[row].</summary>
    public static void Run(
        Index1D index,
        ArrayView<float> inputs,
        ArrayView<int> rowStart,
        int blocks,
        int inputWidth,
        ArrayView<int> features,
        ArrayView<float> thresholds,
        ArrayView<int> left,
        ArrayView<int> right,
        ArrayView<float> leafValues,
        ArrayView<int> roots,
        ArrayView<double> sums)
    {
        int row = index;
        var block = BatchRows.BlockOf(rowStart, blocks, row);
        var start = rowStart[block];
        long rows = rowStart[block + 1] - start;
        var first = (long)start * inputWidth + (row - start);
        double sum = 0;
        for (var t = 0; t < (int)roots.Length; t++)
        {
            var node = roots[t];
            while (node >= 0)
            {
                var x = inputs[first + features[node] * rows];
                node = x <= thresholds[node] ? left[node] : right[node];
            }

            sum += leafValues[~node];
        }

        sums[row] = sum;
    }
}
