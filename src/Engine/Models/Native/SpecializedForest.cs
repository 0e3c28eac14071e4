namespace Biathlon.Engine.Models.Native;

/// <summary>
/// A tree ensemble pruned on one request's constant inputs: every split on a constant is resolved, trees left with a
/// single leaf fold into <see cref="ConstantScore"/>, and each remaining tree records which input groups it reads, so
/// an AB block of a Saltelli design evaluates only the trees that read the block's group. Buffers are sized once for
/// the whole ensemble; building allocates nothing. Single-output ensembles in fast form only.
/// </summary>
internal sealed class SpecializedForest
{
    private readonly TreeEnsemble _ensemble;
    private readonly int[] _features;
    private readonly float[] _thresholds;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly int[] _roots;
    private readonly ulong[] _groupMasks;
    private readonly int[] _origin;
    private readonly int[] _copyOf;
    private readonly int[] _byFeature;
    private int _nodes;

    public SpecializedForest(TreeEnsemble ensemble)
    {
        _ensemble = ensemble;
        var nodes = Math.Max(1, ensemble.InternalNodes);
        _features = new int[nodes];
        _thresholds = new float[nodes];
        _left = new int[nodes];
        _right = new int[nodes];
        _roots = new int[ensemble.Roots.Length];
        _groupMasks = new ulong[ensemble.Roots.Length];
        _origin = new int[nodes];
        _copyOf = new int[nodes];
        _byFeature = new int[nodes];
        Arrays = new ForestArrays(_features, _thresholds, _left, _right, ensemble.LeafValues);
    }

    public ForestArrays Arrays { get; }

    /// <summary>Trees that still read a free input.</summary>
    public int Trees { get; private set; }

    /// <summary>Internal nodes left over all trees.</summary>
    public int Nodes => _nodes;

    /// <summary>Σ of the leaf values of the trees the constants decided (before the aggregate and base value).</summary>
    public double ConstantScore { get; private set; }

    public ReadOnlySpan<int> Roots => _roots.AsSpan(0, Trees);

    /// <summary>Per remaining tree: bit g set when it reads an input of group g (all bits when a group id is 64 or more).</summary>
    public ReadOnlySpan<ulong> GroupMasks => _groupMasks.AsSpan(0, Trees);

    /// <summary>The remaining internal nodes ordered by feature, then threshold (the ensemble's order, filtered).</summary>
    public ReadOnlySpan<int> NodesByFeature => _byFeature.AsSpan(0, _nodes);

    public void Build(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values)
    {
        _nodes = 0;
        Trees = 0;
        double constant = 0;
        var e = _ensemble;
        foreach (var root in e.Roots)
        {
            ulong mask = 0;
            var copied = Copy(root, isConstant, values, groupOfInput, ref mask);
            if (copied < 0)
            {
                constant += e.LeafValues[~copied];
                continue;
            }

            _roots[Trees] = copied;
            _groupMasks[Trees] = mask;
            Trees++;
        }

        ConstantScore = constant;

        // A copy keeps its original's threshold, so the ensemble's order filtered to the copies is sorted too.
        _copyOf.AsSpan().Fill(-1);
        for (var i = 0; i < _nodes; i++)
        {
            _copyOf[_origin[i]] = i;
        }

        var sorted = 0;
        foreach (var node in e.NodesByFeature)
        {
            if (_copyOf[node] >= 0)
            {
                _byFeature[sorted++] = _copyOf[node];
            }
        }
    }

    /// <summary>Copies the subtree at <paramref name="node"/> with constant splits resolved; returns its new root (or leaf).</summary>
    private int Copy(int node, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values, ReadOnlySpan<int> groupOfInput, ref ulong mask)
    {
        var e = _ensemble;
        while (node >= 0 && isConstant[e.Features[node]])
        {
            node = e.GoesTrue(node, values[e.Features[node]]) ? e.TrueChildren[node] : e.FalseChildren[node];
        }

        if (node < 0)
        {
            return node;
        }

        var feature = e.Features[node];
        var group = groupOfInput[feature];
        mask |= group < 64 ? 1UL << group : ulong.MaxValue;
        var index = _nodes++;
        _features[index] = feature;
        _origin[index] = node;
        _thresholds[index] = e.FastThresholds[node];
        var left = Copy(e.FastLeft[node], isConstant, values, groupOfInput, ref mask);
        var right = Copy(e.FastRight[node], isConstant, values, groupOfInput, ref mask);
        if (left == right && left < 0)
        {
            // Both sides reach the same leaf: the split decides nothing.
            _nodes = index;
            return left;
        }

        _left[index] = left;
        _right[index] = right;
        return index;
    }
}
