using ILGPU;
using ILGPU.Runtime;

namespace Biathlon.Compute.Models;

/// <summary>
/// The dense-layer kernel over a whole batch: <c>out[o, r] = act(bias[o] + Σ_j x[j, r] · W[j·width + o])</c>, with x
/// and out laid out per block (<see cref="BatchRows"/>). One thread per (output column, row), the row varying
/// fastest so neighbouring threads read neighbouring inputs. The sum runs over j in order from the bias and skips
/// zero weights, as the CPU's <c>DenseStep</c> does, so the two differ only by float rounding (and FMA contraction).
/// </summary>
internal static class DenseKernel
{
    /// <summary>log2(e): exp(x) = 2^(x·log2 e).</summary>
    private const float Log2E = 1.44269504088896341f;

    /// <summary>The compiled kernel for <paramref name="accelerator"/>, launched on its default stream (index = o · totalRows + row).</summary>
    public static Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, int, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>
        Load(Accelerator accelerator) =>
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int, int, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(Run);

    /// <summary>One output value of one row.</summary>
    public static void Run(
        Index1D index,
        ArrayView<float> inputs,
        ArrayView<int> rowStart,
        int blocks,
        int inputWidth,
        int width,
        ArrayView<float> weights,
        ArrayView<float> bias,
        int activation,
        ArrayView<float> outputs)
    {
        int i = index;
        var totalRows = rowStart[blocks];
        var o = i / totalRows;
        var row = i - o * totalRows;
        var block = BatchRows.BlockOf(rowStart, blocks, row);
        var start = rowStart[block];
        long rows = rowStart[block + 1] - start;
        var local = row - start;
        var first = (long)start * inputWidth + local;
        var sum = bias[o];
        for (var j = 0; j < inputWidth; j++)
        {
            var w = weights[j * width + o];
            if (w != 0)
            {
                sum += inputs[first + j * rows] * w;
            }
        }

        outputs[(long)start * width + o * rows + local] = Activate(sum, activation);
    }

    /// <summary>
    /// The activation, written with exp2 only: ILGPU maps <c>Exp2</c> to the GPU's native instruction on every
    /// backend without ILGPU.Algorithms, which this library does not reference.
    /// </summary>
    public static float Activate(float x, int activation)
    {
        switch ((DeviceActivation)activation)
        {
            case DeviceActivation.Relu:
                return x > 0 ? x : 0;
            case DeviceActivation.Sigmoid:
                return 1f / (1f + Exp(-x));
            case DeviceActivation.Tanh:
            {
                var a = x < 0 ? -x : x;
                float t;
                if (a < 0.125f)
                {
                    // Near 0, (1 − e^−2a)/(1 + e^−2a) loses digits to cancellation: the Taylor series is exact to float here.
                    var a2 = a * a;
                    t = a * (1f + a2 * (-1f / 3f + a2 * (2f / 15f + a2 * (-17f / 315f))));
                }
                else
                {
                    var e = Exp(-2f * a);
                    t = (1f - e) / (1f + e);
                }

                return x < 0 ? -t : t;
            }

            default:
                return x;
        }
    }

    private static float Exp(float x) => IntrinsicMath.CPUOnly.Exp2(x * Log2E);
}
