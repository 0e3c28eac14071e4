namespace Biathlon.Planner;

/// <summary>
/// First-order Sobol indices from a Saltelli design's outputs (Saltelli et al., 2010):
/// S1_k = mean_i[ y_B,i · (y_AB_k,i − y_A,i) ] / Var([y_A; y_B]), with outputs already centred.
/// </summary>
internal static class FirstOrder
{
    /// <param name="centred">Outputs minus their mean, in design order (blocks of G + 2 rows: A, AB_0 … AB_G−1, B).</param>
    /// <param name="baseSamples">N.</param>
    /// <param name="groups">G.</param>
    /// <param name="indices">Receives S1 per group; all zero when the outputs do not vary.</param>
    public static void Compute(ReadOnlySpan<double> centred, int baseSamples, int groups, Span<double> indices)
    {
        var width = groups + 2;
        double sumAB = 0, sumSquaresAB = 0;
        for (var i = 0; i < baseSamples; i++)
        {
            var a = centred[i * width];
            var b = centred[i * width + width - 1];
            sumAB += a + b;
            sumSquaresAB += a * a + b * b;
        }

        var meanAB = sumAB / (2 * baseSamples);
        var variance = sumSquaresAB / (2 * baseSamples) - meanAB * meanAB;
        indices.Clear();
        if (!(variance > 1e-300))
        {
            return;
        }

        for (var i = 0; i < baseSamples; i++)
        {
            var block = centred.Slice(i * width, width);
            var a = block[0];
            var b = block[^1];
            for (var k = 0; k < groups; k++)
            {
                indices[k] += b * (block[1 + k] - a);
            }
        }

        for (var k = 0; k < groups; k++)
        {
            indices[k] /= baseSamples * variance;
        }
    }
}
