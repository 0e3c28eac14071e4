using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Biathlon.Engine.Models.Native;

/// <summary>
/// Traverses one tree in "fast form" (x ≤ threshold ? left : right; leaf ~l) for a run of rows of a column-major
/// design and writes each row's leaf value. Three traversals, measured against each other and against the
/// <see cref="QuickScorer"/> in ModelRoundBenchmarks: a scalar loop (one row at a time: every step waits on the
/// previous load), an interleaved scalar loop (four rows in lock-step, branch-free, so their load chains overlap), and
/// an AVX2 loop that walks 8 rows at once with gathers. Traversal is latency bound: over flight-delay's 100-tree model
/// (1,024 rows, one loaded run on the 2-core AVX-512 VM) scalar took 2.65 ms, AVX2 gathers 3.23, interleaved 4.85,
/// ONNX Runtime 3.28, and the QuickScorer, which replaces the chains by independent ANDs, 0.89 ms. So
/// <see cref="TreeKernel.QuickScorer"/> is the default (whole forests go to it; a tree it cannot take, and any
/// per-tree call here, runs the scalar loop); the others stay for that comparison.
/// </summary>
internal static class TreeKernels
{
    /// <summary>The tree kernel (benchmarks and tests switch it): forests go to the QuickScorer when it is chosen, else each tree to <see cref="LeafValues"/>'s traversal.</summary>
    public static TreeKernel Kernel { get; set; } = TreeKernel.QuickScorer;

    /// <summary>
    /// leaves[i] = the leaf value row <paramref name="first"/> + i reaches, for i &lt; <paramref name="count"/>.
    /// Inputs are column-major with <paramref name="stride"/> rows per column; they must hold no NaN.
    /// </summary>
    public static void LeafValues(
        in ForestArrays forest, int root, ReadOnlySpan<float> inputs, int stride, int first, int count, Span<float> leaves)
    {
        if (root < 0)
        {
            leaves[..count].Fill(forest.Leaves[~root]);
            return;
        }

        var done = Kernel switch
        {
            TreeKernel.Avx2 when Avx2.IsSupported && count >= 8 => LeafValuesAvx2(forest, root, inputs, stride, first, count, leaves),
            TreeKernel.Interleaved when count >= 4 => LeafValuesInterleaved(forest, root, inputs, stride, first, count, leaves),
            _ => 0,
        };
        LeafValuesScalar(forest, root, inputs, stride, first + done, count - done, leaves[done..]);
    }

    /// <summary>Four rows per pass; a row at a leaf (node &lt; 0) stays there while the others walk on. Returns the rows done.</summary>
    private static int LeafValuesInterleaved(
        in ForestArrays forest, int root, ReadOnlySpan<float> inputs, int stride, int first, int count, Span<float> leaves)
    {
        ref var features = ref MemoryMarshal.GetArrayDataReference(forest.Features);
        ref var thresholds = ref MemoryMarshal.GetArrayDataReference(forest.Thresholds);
        ref var left = ref MemoryMarshal.GetArrayDataReference(forest.Left);
        ref var right = ref MemoryMarshal.GetArrayDataReference(forest.Right);
        ref var x = ref MemoryMarshal.GetReference(inputs);
        var values = forest.Leaves;
        var blocks = count / 4 * 4;
        for (var i = 0; i < blocks; i += 4)
        {
            var row = first + i;
            int n0 = root, n1 = root, n2 = root, n3 = root;
            while ((n0 & n1 & n2 & n3) >= 0)
            {
                n0 = Step(n0, row, ref x, stride, ref features, ref thresholds, ref left, ref right);
                n1 = Step(n1, row + 1, ref x, stride, ref features, ref thresholds, ref left, ref right);
                n2 = Step(n2, row + 2, ref x, stride, ref features, ref thresholds, ref left, ref right);
                n3 = Step(n3, row + 3, ref x, stride, ref features, ref thresholds, ref left, ref right);
            }

            leaves[i] = values[~n0];
            leaves[i + 1] = values[~n1];
            leaves[i + 2] = values[~n2];
            leaves[i + 3] = values[~n3];
        }

        return blocks;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static int Step(int node, int r, ref float x, int stride, ref int features, ref float thresholds, ref int left, ref int right)
        {
            var safe = node & ~(node >> 31); // a finished lane reads node 0 and keeps its leaf
            var value = Unsafe.Add(ref x, Unsafe.Add(ref features, safe) * stride + r);
            var next = value <= Unsafe.Add(ref thresholds, safe) ? Unsafe.Add(ref left, safe) : Unsafe.Add(ref right, safe);
            return node < 0 ? node : next;
        }
    }

    private static void LeafValuesScalar(
        in ForestArrays forest, int root, ReadOnlySpan<float> inputs, int stride, int first, int count, Span<float> leaves)
    {
        ref var features = ref MemoryMarshal.GetArrayDataReference(forest.Features);
        ref var thresholds = ref MemoryMarshal.GetArrayDataReference(forest.Thresholds);
        ref var left = ref MemoryMarshal.GetArrayDataReference(forest.Left);
        ref var right = ref MemoryMarshal.GetArrayDataReference(forest.Right);
        ref var x = ref MemoryMarshal.GetReference(inputs);
        var values = forest.Leaves;
        for (var i = 0; i < count; i++)
        {
            var node = root;
            var row = first + i;
            do
            {
                var value = Unsafe.Add(ref x, Unsafe.Add(ref features, node) * stride + row);
                node = value <= Unsafe.Add(ref thresholds, node) ? Unsafe.Add(ref left, node) : Unsafe.Add(ref right, node);
            }
            while (node >= 0);

            leaves[i] = values[~node];
        }
    }

    /// <summary>8 rows per step: gather each lane's node, its feature's value, compare, gather the child; stop when all lanes are at leaves.</summary>
    private static unsafe int LeafValuesAvx2(
        in ForestArrays forest, int root, ReadOnlySpan<float> inputs, int stride, int first, int count, Span<float> leaves)
    {
        var blocks = count / 8 * 8;
        fixed (int* features = forest.Features)
        fixed (float* thresholds = forest.Thresholds)
        fixed (int* left = forest.Left)
        fixed (int* right = forest.Right)
        fixed (float* values = forest.Leaves)
        fixed (float* x = inputs)
        fixed (float* output = leaves)
        {
            var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            var strides = Vector256.Create(stride);
            var start = Vector256.Create(root);
            for (var i = 0; i < blocks; i += 8)
            {
                var rows = Vector256.Create(first + i) + lanes;
                var node = start;
                while (true)
                {
                    var active = Avx2.CompareGreaterThan(node, Vector256<int>.AllBitsSet); // node ≥ 0
                    if (Avx.TestZ(active, active))
                    {
                        break;
                    }

                    var safe = Avx2.Max(node, Vector256<int>.Zero);
                    var feature = Avx2.GatherVector256(features, safe, 4);
                    var threshold = Avx2.GatherVector256(thresholds, safe, 4);
                    var value = Avx2.GatherVector256(x, Avx2.MultiplyLow(feature, strides) + rows, 4);
                    var goLeft = Avx.Compare(value, threshold, FloatComparisonMode.OrderedLessThanOrEqualNonSignaling).AsInt32();
                    var next = Avx2.BlendVariable(Avx2.GatherVector256(right, safe, 4), Avx2.GatherVector256(left, safe, 4), goLeft);
                    node = Avx2.BlendVariable(node, next, active);
                }

                var leaf = Avx2.GatherVector256(values, ~node, 4);
                leaf.Store(output + i);
            }
        }

        return blocks;
    }
}

/// <summary>Which tree traversal <see cref="TreeKernels"/> runs.</summary>
internal enum TreeKernel
{
    Scalar,
    Interleaved,
    Avx2,

    /// <summary>Whole forests by <see cref="QuickScorer"/> (trees it cannot take by <see cref="Scalar"/>); per-tree calls run <see cref="Scalar"/>.</summary>
    QuickScorer,
}

/// <summary>A forest in fast form: flat arrays indexed by internal node, and leaf values (single output).</summary>
internal readonly record struct ForestArrays(int[] Features, float[] Thresholds, int[] Left, int[] Right, float[] Leaves);
