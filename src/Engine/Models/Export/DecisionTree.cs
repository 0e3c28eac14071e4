namespace Biathlon.Engine.Models.Export;

/// <summary>
/// One binary regression tree in the layout ML.NET and LightGBM use: internal nodes 0..n−1; a child index c ≥ 0 is
/// internal node c, c &lt; 0 is leaf ~c. A row goes left when its split feature is ≤ the threshold (NaN goes right).
/// </summary>
public sealed class DecisionTree
{
    /// <summary>Creates a tree, checking that every index is in range.</summary>
    /// <param name="splitFeatures">Feature index tested at each internal node.</param>
    /// <param name="thresholds">Threshold at each internal node.</param>
    /// <param name="leftChildren">Child taken when feature ≤ threshold.</param>
    /// <param name="rightChildren">Child taken otherwise.</param>
    /// <param name="leafValues">Value of each leaf (n + 1 of them for n internal nodes; one for a single-leaf tree).</param>
    public DecisionTree(int[] splitFeatures, float[] thresholds, int[] leftChildren, int[] rightChildren, double[] leafValues)
    {
        var nodes = splitFeatures.Length;
        if (thresholds.Length != nodes || leftChildren.Length != nodes || rightChildren.Length != nodes)
        {
            throw new ArgumentException("Split features, thresholds and children must have one entry per internal node.");
        }

        if (leafValues.Length != nodes + 1)
        {
            throw new ArgumentException($"A tree with {nodes} internal nodes has {nodes + 1} leaves, not {leafValues.Length}.", nameof(leafValues));
        }

        foreach (var child in leftChildren.Concat(rightChildren))
        {
            if (child >= nodes || ~child >= leafValues.Length)
            {
                throw new ArgumentException($"Child index {child} is out of range.");
            }
        }

        SplitFeatures = splitFeatures;
        Thresholds = thresholds;
        LeftChildren = leftChildren;
        RightChildren = rightChildren;
        LeafValues = leafValues;
    }

    /// <summary>Feature tested at each internal node.</summary>
    public IReadOnlyList<int> SplitFeatures { get; }

    /// <summary>Threshold at each internal node.</summary>
    public IReadOnlyList<float> Thresholds { get; }

    /// <summary>Child when feature ≤ threshold.</summary>
    public IReadOnlyList<int> LeftChildren { get; }

    /// <summary>Child otherwise.</summary>
    public IReadOnlyList<int> RightChildren { get; }

    /// <summary>Leaf values.</summary>
    public IReadOnlyList<double> LeafValues { get; }

    /// <summary>Number of internal nodes.</summary>
    public int InternalNodes => SplitFeatures.Count;

    /// <summary>The leaf value a row reaches.</summary>
    public double Evaluate(ReadOnlySpan<float> row)
    {
        if (InternalNodes == 0)
        {
            return LeafValues[0];
        }

        var node = 0;
        while (node >= 0)
        {
            node = row[SplitFeatures[node]] <= Thresholds[node] ? LeftChildren[node] : RightChildren[node];
        }

        return LeafValues[~node];
    }
}
