namespace Biathlon.Planner.Propagation;

/// <summary>
/// First-order Sobol indices from a Saltelli design's outputs (Saltelli et al., 2010):
/// S1_k = mean_i[ y_B,i · (y_AB_k,i − y_A,i) ] / Var([y_A; y_B]), with outputs already centred.
/// </summary>
internal static class FirstOrder
{
    /// <param name="centred">Outputs minus their mean, in <see cref="SaltelliLayout"/> order (A, B, then one AB block per uncertain group).</param>
    /// <param name="layout">The design's blocks.</param>
    /// <param name="indices">Receives S1 per group (0 for groups without a block, and all 0 when the outputs do not vary).</param>
    public static void Compute(ReadOnlySpan<double> centred, in SaltelliLayout layout, Span<double> indices)
    {
        var n = layout.BaseSamples;
        var a = centred[..n];
        var b = centred.Slice(n, n);
        double sum = 0, squares = 0;
        for (var i = 0; i < n; i++)
        {
            sum += a[i] + b[i];
            squares += a[i] * a[i] + b[i] * b[i];
        }

        var mean = sum / (2 * n);
        var variance = squares / (2 * n) - mean * mean;
        indices.Clear();
        if (!(variance > 1e-300))
        {
            return;
        }

        var groups = layout.BlockGroups;
        for (var block = 0; block < groups.Length; block++)
        {
            var ab = centred.Slice(layout.BlockStart(block), n);
            double s = 0;
            for (var i = 0; i < n; i++)
            {
                s += b[i] * (ab[i] - a[i]);
            }

            indices[groups[block]] = s / (n * variance);
        }
    }
}
