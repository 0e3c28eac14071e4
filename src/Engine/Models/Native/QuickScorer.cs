using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Biathlon.Engine.Models.Native;

/// <summary>
/// A QuickScorer evaluator (after Lucchese et al., SIGIR 2015) for a forest in fast form (x ≤ θ ? left : right).
/// Each tree's leaves are numbered left to right and a row keeps one 64-bit vector of still reachable leaves per tree.
/// The splits are stored per feature in increasing threshold order; for each feature a row scans the splits whose
/// test is false (θ &lt; x, a prefix of that order) and clears, in its tree's vector, the leaves of the left subtree
/// it skips. The lowest set bit is then the exit leaf. The work is a stream of independent loads and ANDs instead of
/// traversal's chain of dependent loads. Rows go 8 at a time: one 8-lane compare per split over a column of the
/// column-major design, the scan of a feature stopping at the first threshold no row exceeds; the 8 rows' vectors of
/// a tree lie side by side, one 512-bit word. Trees with more than 64 leaves do not fit a word and are left to the
/// traversal kernel (<see cref="FallbackRoots"/>). Inputs must hold no NaN (the fast form's condition).
/// Splits can be kept apart by input group (<see cref="Build"/>'s slots): a Saltelli design's AB_k rows are A's rows
/// with B's values in group k, so their vectors are A's per-group vectors with group k's taken from B, and
/// <see cref="ScoreSaltelli"/> scores every AB block without scanning it. Built once per forest (or per request's
/// specialised forest) into arrays sized at construction; scoring allocates nothing and is thread-safe.
/// </summary>
internal sealed class QuickScorer
{
    /// <summary>Rows scored together: one 512-bit word of leaf vectors per tree.</summary>
    public const int Lanes = 8;

    private const int MaxLeaves = 64;

    private readonly int _width;
    private readonly float[] _thresholds;
    private readonly int[] _targets;
    private readonly ulong[] _clear;
    private readonly int[] _featureStart;
    private readonly int[] _featureOffset;
    private readonly int[] _leafBase;
    private readonly float[] _leaves;
    private readonly ulong[] _treeSlots;
    private readonly int[] _fallback;
    private readonly int[] _treeOf;
    private readonly ulong[] _nodeClear;
    private int _fallbacks;

    /// <param name="inputWidth">Input columns.</param>
    /// <param name="nodes">Most internal nodes a forest built into it may have.</param>
    /// <param name="trees">Most trees.</param>
    public QuickScorer(int inputWidth, int nodes, int trees)
    {
        nodes = Math.Max(1, nodes);
        _width = inputWidth;
        _thresholds = new float[nodes];
        _targets = new int[nodes];
        _clear = new ulong[nodes];
        _featureStart = new int[inputWidth + 1];
        _featureOffset = new int[inputWidth];
        _leafBase = new int[trees];
        _leaves = new float[nodes + trees];
        _treeSlots = new ulong[trees];
        _fallback = new int[trees];
        _treeOf = new int[nodes];
        _nodeClear = new ulong[nodes];
    }

    /// <summary>Trees scored here (at most 64 leaves each).</summary>
    public int Trees { get; private set; }

    /// <summary>Group slots the splits are kept apart by (1 when built without slots).</summary>
    public int Slots { get; private set; }

    /// <summary>Roots of the trees with more than 64 leaves, which the caller evaluates by traversal.</summary>
    public ReadOnlySpan<int> FallbackRoots => _fallback.AsSpan(0, _fallbacks);

    /// <summary>Leaf-vector words one 8-row block needs for <see cref="Score"/> (per design half in <see cref="ScoreSaltelli"/>).</summary>
    public int BitsLength => Math.Max(1, Slots * Trees * Lanes);

    /// <summary>
    /// Builds the structure for the trees at <paramref name="roots"/>. <paramref name="order"/> lists every internal
    /// node of those trees by feature, then fast-form threshold. <paramref name="slotOfFeature"/> gives each input's
    /// group slot (&lt; 64; empty: all in slot 0).
    /// </summary>
    public void Build(in ForestArrays forest, ReadOnlySpan<int> roots, ReadOnlySpan<int> order, ReadOnlySpan<int> slotOfFeature)
    {
        Trees = 0;
        _fallbacks = 0;
        var leafCount = 0;
        foreach (var root in roots)
        {
            var next = 0;
            Number(forest, root, Trees, leafCount, ref next);
            if (next > MaxLeaves)
            {
                Exclude(forest, root);
                _fallback[_fallbacks++] = root;
                continue;
            }

            _leafBase[Trees] = leafCount;
            _treeSlots[Trees] = 0;
            leafCount += next;
            Trees++;
        }

        var slots = 1;
        foreach (var s in slotOfFeature)
        {
            slots = Math.Max(slots, s + 1);
        }

        Slots = slots;
        for (var f = 0; f < _width; f++)
        {
            _featureOffset[f] = (slotOfFeature.IsEmpty ? 0 : slotOfFeature[f]) * Trees * Lanes;
        }

        // Entries in the given (feature, threshold) order; per-feature starts by counting.
        _featureStart.AsSpan().Clear();
        var entries = 0;
        foreach (var node in order)
        {
            var tree = _treeOf[node];
            if (tree < 0)
            {
                continue;
            }

            var feature = forest.Features[node];
            _thresholds[entries] = forest.Thresholds[node];
            _targets[entries] = tree * Lanes;
            _clear[entries] = _nodeClear[node];
            _treeSlots[tree] |= 1UL << (slotOfFeature.IsEmpty ? 0 : slotOfFeature[feature]);
            _featureStart[feature + 1]++;
            entries++;
        }

        for (var f = 0; f < _width; f++)
        {
            _featureStart[f + 1] += _featureStart[f];
        }
    }

    /// <summary>Numbers the leaves under <paramref name="node"/> left to right; records each split's tree and left-subtree leaves.</summary>
    private void Number(in ForestArrays forest, int node, int tree, int leafBase, ref int next)
    {
        if (node < 0)
        {
            if (next < MaxLeaves)
            {
                _leaves[leafBase + next] = forest.Leaves[~node];
            }

            next++;
            return;
        }

        _treeOf[node] = tree;
        if (float.IsNaN(forest.Thresholds[node]))
        {
            next += MaxLeaves + 1; // x ≤ NaN is false but so is x > NaN: a scan cannot tell, so the tree is traversed
        }

        var low = next;
        Number(forest, forest.Left[node], tree, leafBase, ref next);
        var high = next;
        _nodeClear[node] = high > MaxLeaves ? 0 : (high - low == MaxLeaves ? ulong.MaxValue : ((1UL << (high - low)) - 1) << low);
        Number(forest, forest.Right[node], tree, leafBase, ref next);
    }

    private void Exclude(in ForestArrays forest, int node)
    {
        if (node >= 0)
        {
            _treeOf[node] = -1;
            Exclude(forest, forest.Left[node]);
            Exclude(forest, forest.Right[node]);
        }
    }

    /// <summary>
    /// Adds to sums[i] the leaf values of this structure's trees for row <paramref name="first"/> + i, i &lt;
    /// <paramref name="count"/>, of column-major <paramref name="inputs"/> (<paramref name="stride"/> rows per column).
    /// <paramref name="bits"/> is scratch of <see cref="BitsLength"/> words.
    /// </summary>
    public void Score(ReadOnlySpan<float> inputs, int stride, int first, int count, Span<double> sums, Span<ulong> bits)
    {
        bits = bits[..BitsLength];
        ref var x = ref MemoryMarshal.GetReference(inputs);
        var blocks = count / Lanes * Lanes;
        for (var i = 0; i < blocks; i += Lanes)
        {
            bits.Fill(ulong.MaxValue);
            Scan(ref x, stride, first + i, bits);
            var sum = sums.Slice(i, Lanes);
            for (var t = 0; t < Trees; t++)
            {
                AddLeaves(t, bits.Slice(t * Lanes, Lanes), sum);
            }
        }

        if (blocks == count)
        {
            return;
        }

        // The last rows: copied into an 8-row tile (the last row repeated) and scored as one block.
        Span<float> tile = stackalloc float[_width * Lanes];
        var tail = count - blocks;
        for (var f = 0; f < _width; f++)
        {
            var column = tile.Slice(f * Lanes, Lanes);
            inputs.Slice(f * stride + first + blocks, tail).CopyTo(column);
            column[tail..].Fill(column[tail - 1]);
        }

        bits.Fill(ulong.MaxValue);
        Scan(ref MemoryMarshal.GetReference(tile), Lanes, 0, bits);
        Span<double> tileSum = stackalloc double[Lanes];
        for (var t = 0; t < Trees; t++)
        {
            AddLeaves(t, bits.Slice(t * Lanes, Lanes), tileSum);
        }

        for (var i = 0; i < tail; i++)
        {
            sums[blocks + i] += tileSum[i];
        }
    }

    /// <summary>
    /// Adds each row's leaf values of this structure's trees to <paramref name="sums"/> over a whole Saltelli design
    /// (A, B, then AB blocks of <paramref name="n"/> rows each; <paramref name="n"/> a multiple of 8), scanning only A
    /// and B. <paramref name="blockSlots"/> gives each AB block's group slot (−1: a group no split reads, so the block
    /// equals A). Needs a build with slots; <paramref name="bitsA"/> and <paramref name="bitsB"/> hold
    /// <see cref="BitsLength"/> words, <paramref name="leafA"/> Trees · 8 floats.
    /// </summary>
    public void ScoreSaltelli(
        ReadOnlySpan<float> inputs, int n, ReadOnlySpan<int> blockSlots, Span<double> sums, Span<ulong> bitsA, Span<ulong> bitsB, Span<float> leafA)
    {
        var stride = n * (2 + blockSlots.Length);
        var span = Trees * Lanes;
        bitsA = bitsA[..BitsLength];
        bitsB = bitsB[..BitsLength];
        ref var x = ref MemoryMarshal.GetReference(inputs);
        Span<double> sumA = stackalloc double[Lanes];
        Span<double> sumB = stackalloc double[Lanes];
        Span<double> block = stackalloc double[Lanes];
        Span<ulong> word = stackalloc ulong[Lanes];
        for (var i = 0; i < n; i += Lanes)
        {
            bitsA.Fill(ulong.MaxValue);
            bitsB.Fill(ulong.MaxValue);
            Scan(ref x, stride, i, bitsA);
            Scan(ref x, stride, n + i, bitsB);
            sumA.Clear();
            sumB.Clear();
            for (var t = 0; t < Trees; t++)
            {
                Combine(bitsA, t * Lanes, span, -1, default, word);
                var baseLeaf = _leafBase[t];
                var leaves = leafA.Slice(t * Lanes, Lanes);
                for (var j = 0; j < Lanes; j++)
                {
                    leaves[j] = _leaves[baseLeaf + BitOperations.TrailingZeroCount(word[j])];
                    sumA[j] += leaves[j];
                }

                Combine(bitsB, t * Lanes, span, -1, default, word);
                AddLeaves(t, word, sumB);
            }

            for (var j = 0; j < Lanes; j++)
            {
                sums[i + j] += sumA[j];
                sums[n + i + j] += sumB[j];
            }

            for (var b = 0; b < blockSlots.Length; b++)
            {
                sumA.CopyTo(block);
                var slot = blockSlots[b];
                if (slot >= 0)
                {
                    var bit = 1UL << slot;
                    for (var t = 0; t < Trees; t++)
                    {
                        if ((_treeSlots[t] & bit) == 0)
                        {
                            continue; // reads nothing of the group: its AB leaf is its A leaf
                        }

                        Combine(bitsA, t * Lanes, span, slot, bitsB, word);
                        var baseLeaf = _leafBase[t];
                        var leaves = leafA.Slice(t * Lanes, Lanes);
                        for (var j = 0; j < Lanes; j++)
                        {
                            block[j] += _leaves[baseLeaf + BitOperations.TrailingZeroCount(word[j])] - leaves[j];
                        }
                    }
                }

                var rows = sums.Slice(n * (2 + b) + i, Lanes);
                for (var j = 0; j < Lanes; j++)
                {
                    rows[j] += block[j];
                }
            }
        }
    }

    /// <summary>word = AND over slots of tree's words in <paramref name="bits"/>, slot <paramref name="swap"/> taken from <paramref name="other"/>.</summary>
    private void Combine(ReadOnlySpan<ulong> bits, int offset, int span, int swap, ReadOnlySpan<ulong> other, Span<ulong> word)
    {
        ref var b = ref MemoryMarshal.GetReference(bits);
        var lo = Vector256<ulong>.AllBitsSet;
        var hi = Vector256<ulong>.AllBitsSet;
        for (var s = 0; s < Slots; s++)
        {
            ref var w = ref (s == swap ? ref Unsafe.Add(ref MemoryMarshal.GetReference(other), s * span + offset) : ref Unsafe.Add(ref b, s * span + offset));
            lo &= Vector256.LoadUnsafe(ref w);
            hi &= Vector256.LoadUnsafe(ref w, 4);
        }

        ref var o = ref MemoryMarshal.GetReference(word);
        lo.StoreUnsafe(ref o);
        hi.StoreUnsafe(ref o, 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddLeaves(int tree, ReadOnlySpan<ulong> word, Span<double> sum)
    {
        var baseLeaf = _leafBase[tree];
        for (var j = 0; j < Lanes; j++)
        {
            sum[j] += _leaves[baseLeaf + BitOperations.TrailingZeroCount(word[j])];
        }
    }

    /// <summary>For each feature, the splits rows <paramref name="row"/>..+7 fail (θ &lt; x) clear their left leaves.</summary>
    private void Scan(ref float x, int stride, int row, Span<ulong> bits)
    {
        ref var thresholds = ref MemoryMarshal.GetArrayDataReference(_thresholds);
        ref var targets = ref MemoryMarshal.GetArrayDataReference(_targets);
        ref var clear = ref MemoryMarshal.GetArrayDataReference(_clear);
        ref var words = ref MemoryMarshal.GetReference(bits);
        var wide = Vector512.IsHardwareAccelerated;
        for (var f = 0; f < _width; f++)
        {
            var k = _featureStart[f];
            var end = _featureStart[f + 1];
            if (k == end)
            {
                continue;
            }

            var values = Vector256.LoadUnsafe(ref x, (nuint)(f * stride + row));
            ref var target = ref Unsafe.Add(ref words, _featureOffset[f]);
            if (wide)
            {
                for (; k < end; k++)
                {
                    var fails = Vector256.GreaterThan(values, Vector256.Create(Unsafe.Add(ref thresholds, k))).AsInt32();
                    if (fails == Vector256<int>.Zero)
                    {
                        break; // no row exceeds this threshold, nor any larger one after it
                    }

                    ref var w = ref Unsafe.Add(ref target, Unsafe.Add(ref targets, k));
                    var mask = Vector512.WidenLower(fails.ToVector512Unsafe()).AsUInt64() & Vector512.Create(Unsafe.Add(ref clear, k));
                    Vector512.AndNot(Vector512.LoadUnsafe(ref w), mask).StoreUnsafe(ref w);
                }
            }
            else
            {
                for (; k < end; k++)
                {
                    var fails = Vector256.GreaterThan(values, Vector256.Create(Unsafe.Add(ref thresholds, k))).AsInt32();
                    if (fails == Vector256<int>.Zero)
                    {
                        break;
                    }

                    ref var w = ref Unsafe.Add(ref target, Unsafe.Add(ref targets, k));
                    var c = Vector256.Create(Unsafe.Add(ref clear, k));
                    Vector256.AndNot(Vector256.LoadUnsafe(ref w), Vector256.WidenLower(fails).AsUInt64() & c).StoreUnsafe(ref w);
                    Vector256.AndNot(Vector256.LoadUnsafe(ref w, 4), Vector256.WidenUpper(fails).AsUInt64() & c).StoreUnsafe(ref w, 4);
                }
            }
        }
    }

    /// <summary>Internal nodes 0..count−1 ordered by feature, then threshold (for <see cref="Build"/>).</summary>
    public static int[] SortByFeature(ReadOnlySpan<int> features, ReadOnlySpan<float> thresholds, int count)
    {
        var order = new int[count];
        var keys = new (int, float)[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
            keys[i] = (features[i], thresholds[i]);
        }

        Array.Sort(keys, order);
        return order;
    }
}
