using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Models.Native;

/// <summary>
/// One request's evaluator of a <see cref="NativeModel"/>. <see cref="Specialize"/> folds the request's constant
/// inputs into the step that reads the model input: a tree ensemble is pruned (<see cref="SpecializedForest"/>), a
/// dense layer's constant columns move into its bias. A single-output forest then evaluates the A and B rows in full
/// and, in each AB block, only the trees that read that block's group (the others equal their A-row leaves). A lone
/// dense layer with one output is affine, so the propagator can skip the design altogether. Not thread-safe.
/// </summary>
internal sealed class NativeDesignEvaluator : IDesignEvaluator
{
    private readonly NativeModel _model;
    private readonly NativeWorkspace _workspace;
    private readonly int _first = -1;
    private readonly SpecializedForest? _forest;
    private readonly int[] _free;
    private readonly float[] _bias = [];
    private readonly bool[] _constant;
    private int _freeCount;
    private bool _specialized;
    private float[] _treeA = [];
    private readonly QuickScorer? _scorer;
    private readonly int[] _slotOfInput;
    private readonly int[] _groupOfInput;
    private int _slots;
    private bool _scorerBuilt;
    private ulong[] _bitsA = [];
    private ulong[] _bitsB = [];
    private float[] _leafA = [];

    public NativeDesignEvaluator(NativeModel model)
    {
        _model = model;
        _workspace = new NativeWorkspace(model.Values);
        _free = new int[model.InputWidth];
        _constant = new bool[model.InputWidth];
        _slotOfInput = new int[model.InputWidth];
        _groupOfInput = new int[model.InputWidth];
        for (var s = 0; s < model.Steps.Length; s++)
        {
            switch (model.Steps[s])
            {
                case TreeStep tree when tree.Ensemble.Targets == 1 && tree.Ensemble.HasFastForm:
                    _first = s;
                    _forest = new SpecializedForest(tree.Ensemble);
                    _scorer = new QuickScorer(model.InputWidth, tree.Ensemble.InternalNodes, tree.Ensemble.Roots.Length);
                    break;
                case DenseStep { Input: 0 } dense:
                    _first = s;
                    _bias = new float[dense.Width];
                    break;
            }

            if (_first >= 0)
            {
                break;
            }
        }
    }

    /// <summary>Trees left after the last specialisation (tree models), for diagnostics and benchmarks.</summary>
    public int SpecializedTrees => _forest?.Trees ?? 0;

    /// <summary>Splits left after the last specialisation (tree models).</summary>
    public int SpecializedNodes => _forest?.Nodes ?? 0;

    public void Specialize(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values)
    {
        _freeCount = 0;
        for (var j = 0; j < _free.Length; j++)
        {
            _constant[j] = isConstant[j];
            if (!isConstant[j])
            {
                _free[_freeCount++] = j;
            }
        }

        if (_first >= 0 && _model.Steps[_first] is DenseStep dense)
        {
            for (var o = 0; o < dense.Width; o++)
            {
                double bias = dense.Bias[o];
                for (var j = 0; j < _free.Length; j++)
                {
                    if (isConstant[j])
                    {
                        bias += (double)values[j] * dense.Weights[j * dense.Width + o];
                    }
                }

                _bias[o] = (float)bias;
            }
        }

        _forest?.Build(groupOfInput, isConstant, values);
        AssignSlots(groupOfInput, isConstant);
        _specialized = _first >= 0;
    }

    public void Evaluate(ReadOnlySpan<float> inputs, in SaltelliLayout layout, Span<float> outputs)
    {
        var rows = layout.Rows;
        var workspace = _workspace;
        workspace.SetInput(inputs[..(rows * _model.InputWidth)]);
        var steps = _model.Steps;
        for (var s = 0; s < steps.Length; s++)
        {
            if (s == _first && _specialized)
            {
                RunSpecialized(steps[s], layout);
            }
            else
            {
                steps[s].Run(workspace, rows);
            }
        }

        _model.ReadOutput(workspace, rows, outputs);
    }

    public bool TryGetAffine(Span<double> weights, out double intercept)
    {
        intercept = 0;
        if (!_specialized || _model.Steps.Length != 1 || _model.Steps[0] is not DenseStep { Input: 0, Width: 1 } dense
            || _model.OutputValue != dense.Output || _model.Rule != OutputRule.Value)
        {
            return false;
        }

        for (var j = 0; j < weights.Length; j++)
        {
            weights[j] = _constant[j] ? 0 : dense.Weights[j];
        }

        intercept = _bias[0];
        return true;
    }

    private void RunSpecialized(NativeStep step, in SaltelliLayout layout)
    {
        var rows = layout.Rows;
        var x = _workspace.Read(0, rows * _model.InputWidth);
        if (step is DenseStep dense)
        {
            dense.Apply(x, rows, _bias, _free.AsSpan(0, _freeCount), _workspace.Write(dense.Output, rows * dense.Width));
            return;
        }

        var tree = (TreeStep)step;
        if (FreeColumnsHaveNaN(x, rows))
        {
            tree.Run(_workspace, rows); // NaN needs the ONNX missing-value rules, which the fast form drops
            return;
        }

        var forest = _forest!;
        var n = layout.BaseSamples;
        var sums = _workspace.Sums(rows);
        if (TreeKernels.Kernel == TreeKernel.QuickScorer && _slots >= 0 && n % QuickScorer.Lanes == 0 && layout.BlockGroups.Length <= 256)
        {
            RunQuickScorer(x, layout, sums);
            tree.Finish(sums, rows, _workspace.Write(tree.Output, rows));
            return;
        }

        var leaves = _workspace.Leaves(rows);
        sums[..(2 * n)].Fill(forest.ConstantScore);
        var roots = forest.Roots;
        var masks = forest.GroupMasks;
        var blockMask = 0UL;
        foreach (var g in layout.BlockGroups)
        {
            blockMask |= g < 64 ? 1UL << g : ulong.MaxValue;
        }

        if (_treeA.Length < roots.Length * n)
        {
            _treeA = new float[roots.Length * n];
        }

        for (var t = 0; t < roots.Length; t++)
        {
            TreeKernels.LeafValues(forest.Arrays, roots[t], x, rows, 0, 2 * n, leaves);
            for (var r = 0; r < 2 * n; r++)
            {
                sums[r] += leaves[r];
            }

            if ((masks[t] & blockMask) != 0)
            {
                leaves[..n].CopyTo(_treeA.AsSpan(t * n, n));
            }
        }

        for (var b = 0; b < layout.BlockGroups.Length; b++)
        {
            var g = layout.BlockGroups[b];
            var bit = g < 64 ? 1UL << g : ulong.MaxValue;
            var start = layout.BlockStart(b);
            var block = sums.Slice(start, n);
            sums[..n].CopyTo(block);
            for (var t = 0; t < roots.Length; t++)
            {
                if ((masks[t] & bit) == 0)
                {
                    continue; // this tree reads nothing of group g: its AB leaves equal its A leaves
                }

                TreeKernels.LeafValues(forest.Arrays, roots[t], x, rows, start, n, leaves);
                var a = _treeA.AsSpan(t * n, n);
                for (var i = 0; i < n; i++)
                {
                    block[i] += leaves[i] - a[i];
                }
            }
        }

        tree.Finish(sums, rows, _workspace.Write(tree.Output, rows));
    }

    /// <summary>Numbers the groups of the free inputs 0, 1, … (the QuickScorer's slots); −1 slots when there are more than 64.</summary>
    private void AssignSlots(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant)
    {
        groupOfInput.CopyTo(_groupOfInput);
        _slots = 0;
        for (var j = 0; j < _slotOfInput.Length; j++)
        {
            var slot = -1;
            for (var i = 0; i < j && !isConstant[j]; i++)
            {
                if (!isConstant[i] && groupOfInput[i] == groupOfInput[j])
                {
                    slot = _slotOfInput[i];
                    break;
                }
            }

            _slotOfInput[j] = isConstant[j] ? 0 : slot >= 0 ? slot : _slots++;
        }

        if (_slots > 64)
        {
            _slots = -1;
        }

        _scorerBuilt = false; // built on first use: only the QuickScorer kernel needs it
    }

    /// <summary>The forest's score of every design row by <see cref="QuickScorer.ScoreSaltelli"/> (A and B scanned, AB blocks recombined).</summary>
    private void RunQuickScorer(ReadOnlySpan<float> x, in SaltelliLayout layout, Span<double> sums)
    {
        var forest = _forest!;
        var scorer = _scorer!;
        if (!_scorerBuilt)
        {
            scorer.Build(forest.Arrays, forest.Roots, forest.NodesByFeature, _slotOfInput);
            _scorerBuilt = true;
            if (_bitsA.Length < scorer.BitsLength)
            {
                _bitsA = new ulong[scorer.BitsLength];
                _bitsB = new ulong[scorer.BitsLength];
            }

            if (_leafA.Length < scorer.Trees * QuickScorer.Lanes)
            {
                _leafA = new float[scorer.Trees * QuickScorer.Lanes];
            }
        }

        var groups = layout.BlockGroups;
        Span<int> blockSlots = stackalloc int[groups.Length];
        for (var b = 0; b < groups.Length; b++)
        {
            blockSlots[b] = -1; // no free input in the group: the block equals A
            for (var k = 0; k < _freeCount; k++)
            {
                if (_groupOfInput[_free[k]] == groups[b])
                {
                    blockSlots[b] = _slotOfInput[_free[k]];
                    break;
                }
            }
        }

        var rows = layout.Rows;
        sums.Fill(forest.ConstantScore);
        scorer.ScoreSaltelli(x, layout.BaseSamples, blockSlots, sums, _bitsA, _bitsB, _leafA);
        var leaves = _workspace.Leaves(rows);
        foreach (var root in scorer.FallbackRoots)
        {
            TreeKernels.LeafValues(forest.Arrays, root, x, rows, 0, rows, leaves);
            for (var r = 0; r < rows; r++)
            {
                sums[r] += leaves[r];
            }
        }
    }

    private bool FreeColumnsHaveNaN(ReadOnlySpan<float> x, int rows)
    {
        for (var k = 0; k < _freeCount; k++)
        {
            if (NativeWorkspace.HasNaN(x.Slice(_free[k] * rows, rows)))
            {
                return true;
            }
        }

        return false;
    }
}
