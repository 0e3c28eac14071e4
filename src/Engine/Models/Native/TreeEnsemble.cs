using Biathlon.Engine.Models.Onnx;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Engine.Models.Native;

/// <summary>How an ai.onnx.ml tree node compares its feature with its threshold.</summary>
internal enum NodeMode : byte
{
    LessOrEqual,
    Less,
    GreaterOrEqual,
    Greater,
    Equal,
    NotEqual,
}

/// <summary>How the aggregated tree scores are transformed (ai.onnx.ml post_transform).</summary>
internal enum PostTransform : byte
{
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
    Probit,
}

/// <summary>
/// An ai.onnx.ml TreeEnsembleRegressor or TreeEnsembleClassifier read from its ONNX attributes into flat arrays.
/// Internal nodes are numbered 0..n−1 across all trees; a child c ≥ 0 is internal node c, c &lt; 0 is leaf ~c; leaf l
/// adds <c>LeafValues[l · Targets + t]</c> to target t. Alongside the ONNX semantics (any mode, missing values) every
/// node also has a "fast" form, <c>x ≤ FastThreshold ? FastLeft : FastRight</c>, exact for inputs without NaN when no
/// node tests equality (<see cref="HasFastForm"/>).
/// </summary>
internal sealed class TreeEnsemble
{
    private TreeEnsemble(int inputWidth, int nodes, int leaves, int targets, int trees)
    {
        InputWidth = inputWidth;
        Features = new int[nodes];
        Thresholds = new float[nodes];
        TrueChildren = new int[nodes];
        FalseChildren = new int[nodes];
        Modes = new NodeMode[nodes];
        MissingTrue = new bool[nodes];
        FastThresholds = new float[nodes];
        FastLeft = new int[nodes];
        FastRight = new int[nodes];
        LeafValues = new float[leaves * targets];
        Targets = targets;
        Roots = new int[trees];
        BaseValues = new float[targets];
    }

    public int InputWidth { get; }

    public int[] Features { get; }

    public float[] Thresholds { get; }

    public int[] TrueChildren { get; }

    public int[] FalseChildren { get; }

    public NodeMode[] Modes { get; }

    public bool[] MissingTrue { get; }

    public float[] FastThresholds { get; }

    public int[] FastLeft { get; }

    public int[] FastRight { get; }

    public float[] LeafValues { get; }

    /// <summary>Outputs per row: n_targets of a regressor, the classes of a classifier.</summary>
    public int Targets { get; }

    /// <summary>Root of each tree: an internal node, or a leaf (~l) for a single-leaf tree.</summary>
    public int[] Roots { get; }

    public float[] BaseValues { get; }

    public bool Average { get; private set; }

    public PostTransform Transform { get; private set; }

    public bool HasFastForm { get; private set; }

    /// <summary>Internal nodes ordered by feature, then fast-form threshold (the order <see cref="QuickScorer"/> scans).</summary>
    public int[] NodesByFeature { get; private set; } = [];

    /// <summary>Class labels of a classifier (empty for a regressor).</summary>
    public float[] ClassLabels { get; private set; } = [];

    public int InternalNodes => Features.Length;

    /// <summary>Whether <paramref name="x"/> takes node <paramref name="node"/>'s true branch, with ONNX semantics.</summary>
    public bool GoesTrue(int node, float x)
    {
        if (float.IsNaN(x) && MissingTrue[node])
        {
            return true;
        }

        var threshold = Thresholds[node];
        return Modes[node] switch
        {
            NodeMode.LessOrEqual => x <= threshold,
            NodeMode.Less => x < threshold,
            NodeMode.GreaterOrEqual => x >= threshold,
            NodeMode.Greater => x > threshold,
            NodeMode.Equal => x == threshold,
            _ => x != threshold,
        };
    }

    /// <summary>Applies the aggregate and post-transform to one row's summed leaf values (in place, <see cref="Targets"/> long).</summary>
    public void Finalize(Span<float> scores)
    {
        var trees = Roots.Length;
        for (var t = 0; t < scores.Length; t++)
        {
            scores[t] = (Average ? scores[t] / trees : scores[t]) + BaseValues[t];
        }

        switch (Transform)
        {
            case PostTransform.Logistic:
                for (var t = 0; t < scores.Length; t++)
                {
                    scores[t] = 1f / (1f + MathF.Exp(-scores[t]));
                }

                break;
            case PostTransform.Probit:
                for (var t = 0; t < scores.Length; t++)
                {
                    scores[t] = (float)NormalDistribution.InverseCdf(scores[t]);
                }

                break;
            case PostTransform.Softmax:
            case PostTransform.SoftmaxZero:
            {
                var zero = Transform == PostTransform.SoftmaxZero;
                var max = float.NegativeInfinity;
                foreach (var s in scores)
                {
                    max = MathF.Max(max, s);
                }

                float sum = 0;
                for (var t = 0; t < scores.Length; t++)
                {
                    scores[t] = zero && scores[t] == 0 ? 0 : MathF.Exp(scores[t] - max);
                    sum += scores[t];
                }

                for (var t = 0; t < scores.Length; t++)
                {
                    scores[t] /= sum;
                }

                break;
            }
        }
    }

    /// <summary>Reads a TreeEnsembleRegressor or TreeEnsembleClassifier node; throws <see cref="UnsupportedGraphException"/> for what it cannot evaluate exactly.</summary>
    public static TreeEnsemble Read(NodeProto node, int inputWidth)
    {
        var classifier = node.OpType == "TreeEnsembleClassifier";
        var treeIds = OnnxNodeReader.Ints(node, "nodes_treeids");
        var nodeIds = OnnxNodeReader.Ints(node, "nodes_nodeids");
        var featureIds = OnnxNodeReader.Ints(node, "nodes_featureids");
        var modes = OnnxNodeReader.Strings(node, "nodes_modes");
        var values = OnnxNodeReader.Floats(node, "nodes_values");
        var trueIds = OnnxNodeReader.Ints(node, "nodes_truenodeids");
        var falseIds = OnnxNodeReader.Ints(node, "nodes_falsenodeids");
        var missing = OnnxNodeReader.Ints(node, "nodes_missing_value_tracks_true");
        var count = treeIds.Length;
        if (count == 0 || nodeIds.Length != count || featureIds.Length != count || modes.Length != count || values.Length != count
            || trueIds.Length != count || falseIds.Length != count || (missing.Length != 0 && missing.Length != count))
        {
            throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) has node attribute lists of different lengths.");
        }

        var prefix = classifier ? "class" : "target";
        var weightTrees = OnnxNodeReader.Ints(node, prefix + "_treeids");
        var weightNodes = OnnxNodeReader.Ints(node, prefix + "_nodeids");
        var weightTargets = OnnxNodeReader.Ints(node, prefix + "_ids");
        var weights = OnnxNodeReader.Floats(node, prefix + "_weights");
        if (weightNodes.Length != weightTrees.Length || weightTargets.Length != weightTrees.Length || weights.Length != weightTrees.Length)
        {
            throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) has {prefix} attribute lists of different lengths.");
        }

        float[] labels = [];
        int targets;
        if (classifier)
        {
            if (OnnxNodeReader.Attribute(node, "classlabels_strings") is not null)
            {
                throw new UnsupportedGraphException($"node '{node.Name}' has string class labels; the engine needs numeric labels.");
            }

            labels = [.. OnnxNodeReader.Ints(node, "classlabels_int64s").Select(l => (float)l)];
            targets = labels.Length;
            var weighted = new HashSet<long>(weightTargets);
            if (targets < 2 || weighted.Count != targets)
            {
                // ORT scores a binary ensemble with one weighted class by a special rule; keep that on ORT.
                throw new UnsupportedGraphException($"node '{node.Name}' weights {weighted.Count} of its {targets} classes (only classifiers that score every class are native).");
            }
        }
        else
        {
            targets = (int)OnnxNodeReader.Int(node, "n_targets", 1);
        }

        // Tree and node ids → dense numbering: internal nodes first, leaves separately.
        var index = new Dictionary<(long Tree, long Node), int>(count);
        int internals = 0, leaves = 0;
        var leafOf = new int[count];
        var trees = new SortedSet<long>();
        for (var i = 0; i < count; i++)
        {
            trees.Add(treeIds[i]);
            if (modes[i] == "LEAF")
            {
                leafOf[i] = leaves;
                index[(treeIds[i], nodeIds[i])] = ~leaves++;
            }
            else
            {
                leafOf[i] = -1;
                index[(treeIds[i], nodeIds[i])] = internals++;
            }
        }

        if (index.Count != count)
        {
            throw new UnsupportedGraphException($"node '{node.Name}' repeats a (tree, node) id.");
        }

        var ensemble = new TreeEnsemble(inputWidth, internals, leaves, targets, trees.Count)
        {
            ClassLabels = labels,
            Average = OnnxNodeReader.String(node, "aggregate_function", "SUM") switch
            {
                "SUM" => false,
                "AVERAGE" => true,
                var other => throw new UnsupportedGraphException($"node '{node.Name}' aggregates trees by {other} (SUM and AVERAGE are native)."),
            },
            Transform = OnnxNodeReader.String(node, "post_transform", "NONE") switch
            {
                "NONE" => PostTransform.None,
                "LOGISTIC" => PostTransform.Logistic,
                "SOFTMAX" => PostTransform.Softmax,
                "SOFTMAX_ZERO" => PostTransform.SoftmaxZero,
                "PROBIT" => PostTransform.Probit,
                var other => throw new UnsupportedGraphException($"node '{node.Name}' has post_transform {other}."),
            },
        };
        var baseValues = OnnxNodeReader.Floats(node, "base_values");
        if (baseValues.Length != 0 && baseValues.Length != targets)
        {
            throw new UnsupportedGraphException($"node '{node.Name}' has {baseValues.Length} base values for {targets} outputs.");
        }

        baseValues.CopyTo(ensemble.BaseValues, 0);
        var fast = true;
        for (var i = 0; i < count; i++)
        {
            if (leafOf[i] >= 0)
            {
                continue;
            }

            var n = index[(treeIds[i], nodeIds[i])];
            if (!index.TryGetValue((treeIds[i], trueIds[i]), out var t) || !index.TryGetValue((treeIds[i], falseIds[i]), out var f))
            {
                throw new UnsupportedGraphException($"node '{node.Name}': tree {treeIds[i]} node {nodeIds[i]} names a child that does not exist.");
            }

            if (featureIds[i] < 0 || featureIds[i] >= inputWidth)
            {
                throw new UnsupportedGraphException($"node '{node.Name}': tree {treeIds[i]} node {nodeIds[i]} reads feature {featureIds[i]} of {inputWidth}.");
            }

            ensemble.Features[n] = (int)featureIds[i];
            ensemble.Thresholds[n] = values[i];
            ensemble.TrueChildren[n] = t;
            ensemble.FalseChildren[n] = f;
            ensemble.MissingTrue[n] = missing.Length != 0 && missing[i] != 0;
            ensemble.Modes[n] = modes[i] switch
            {
                "BRANCH_LEQ" => NodeMode.LessOrEqual,
                "BRANCH_LT" => NodeMode.Less,
                "BRANCH_GTE" => NodeMode.GreaterOrEqual,
                "BRANCH_GT" => NodeMode.Greater,
                "BRANCH_EQ" => NodeMode.Equal,
                "BRANCH_NEQ" => NodeMode.NotEqual,
                var other => throw new UnsupportedGraphException($"node '{node.Name}' has node mode {other}."),
            };
            fast &= ensemble.Modes[n] is not (NodeMode.Equal or NodeMode.NotEqual);
            SetFastForm(ensemble, n);
        }

        // Roots: per tree, the node no other node of the tree points to.
        var isChildInternal = new bool[internals];
        var isChildLeaf = new bool[leaves];
        for (var n = 0; n < internals; n++)
        {
            foreach (var c in (ReadOnlySpan<int>)[ensemble.TrueChildren[n], ensemble.FalseChildren[n]])
            {
                if (c >= 0)
                {
                    isChildInternal[c] = true;
                }
                else
                {
                    isChildLeaf[~c] = true;
                }
            }
        }

        var treeSlot = new Dictionary<long, int>();
        foreach (var tree in trees)
        {
            treeSlot[tree] = treeSlot.Count;
        }

        var rootFound = new bool[trees.Count];
        for (var i = 0; i < count; i++)
        {
            var id = index[(treeIds[i], nodeIds[i])];
            var isRoot = id >= 0 ? !isChildInternal[id] : !isChildLeaf[~id];
            if (!isRoot)
            {
                continue;
            }

            var slot = treeSlot[treeIds[i]];
            if (rootFound[slot])
            {
                throw new UnsupportedGraphException($"node '{node.Name}': tree {treeIds[i]} has more than one root.");
            }

            rootFound[slot] = true;
            ensemble.Roots[slot] = id;
        }

        if (Array.IndexOf(rootFound, false) >= 0)
        {
            throw new UnsupportedGraphException($"node '{node.Name}': a tree has no root (a cycle).");
        }

        for (var w = 0; w < weights.Length; w++)
        {
            if (!index.TryGetValue((weightTrees[w], weightNodes[w]), out var leaf) || leaf >= 0)
            {
                throw new UnsupportedGraphException($"node '{node.Name}': weight {w} names tree {weightTrees[w]} node {weightNodes[w]}, which is not a leaf.");
            }

            var target = weightTargets[w];
            if (target < 0 || target >= targets)
            {
                throw new UnsupportedGraphException($"node '{node.Name}': weight {w} is for output {target} of {targets}.");
            }

            ensemble.LeafValues[~leaf * targets + target] += weights[w];
        }

        CheckShape(ensemble, node);
        ensemble.HasFastForm = fast;
        ensemble.NodesByFeature = QuickScorer.SortByFeature(ensemble.Features, ensemble.FastThresholds, internals);
        return ensemble;
    }

    /// <summary>
    /// Every tree must be a tree: each split reached once from its root, at most <see cref="MaxDepth"/> deep. A cycle
    /// would hang evaluation and a shared or too deep subtree would overflow the pruning's recursion.
    /// </summary>
    private static void CheckShape(TreeEnsemble e, NodeProto node)
    {
        var seen = new bool[e.InternalNodes];
        var stack = new Stack<(int Node, int Depth)>();
        foreach (var root in e.Roots)
        {
            stack.Push((root, 0));
            while (stack.TryPop(out var top))
            {
                if (top.Node < 0)
                {
                    continue;
                }

                if (seen[top.Node] || top.Depth >= MaxDepth)
                {
                    throw new UnsupportedGraphException($"node '{node.Name}' has a tree that is not a tree of depth ≤ {MaxDepth} (a split reached twice, a cycle, or deeper).");
                }

                seen[top.Node] = true;
                stack.Push((e.TrueChildren[top.Node], top.Depth + 1));
                stack.Push((e.FalseChildren[top.Node], top.Depth + 1));
            }
        }
    }

    /// <summary>Deepest split a tree may have.</summary>
    public const int MaxDepth = 512;

    /// <summary>Rewrites a node as "x ≤ threshold ? left : right", valid for non-NaN x.</summary>
    private static void SetFastForm(TreeEnsemble e, int n)
    {
        var threshold = e.Thresholds[n];
        var (t, f) = (e.TrueChildren[n], e.FalseChildren[n]);
        switch (e.Modes[n])
        {
            case NodeMode.LessOrEqual:
                (e.FastThresholds[n], e.FastLeft[n], e.FastRight[n]) = (threshold, t, f);
                break;
            case NodeMode.Less: // x < θ ⇔ x ≤ the float just below θ
                (e.FastThresholds[n], e.FastLeft[n], e.FastRight[n]) = (MathF.BitDecrement(threshold), t, f);
                break;
            case NodeMode.Greater: // x > θ ⇔ ¬(x ≤ θ)
                (e.FastThresholds[n], e.FastLeft[n], e.FastRight[n]) = (threshold, f, t);
                break;
            case NodeMode.GreaterOrEqual: // x ≥ θ ⇔ ¬(x < θ)
                (e.FastThresholds[n], e.FastLeft[n], e.FastRight[n]) = (MathF.BitDecrement(threshold), f, t);
                break;
            default:
                (e.FastThresholds[n], e.FastLeft[n], e.FastRight[n]) = (threshold, t, f);
                break;
        }
    }
}
