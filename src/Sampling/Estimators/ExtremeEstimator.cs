using Biathlon.Sampling.Aggregates;

namespace Biathlon.Sampling.Estimators;

/// <summary>
/// MIN and MAX: the sample extreme, with no error a sample can bound. A row the sample never saw can lie any distance
/// beyond the sample's extreme, and with fraction p the population's extreme row is missed with probability 1 − p, so
/// below p = 1 the error is <see cref="UnknownReason.NotEstimable"/> and the engine reads such queries exactly.
/// </summary>
/// <remarks>
/// The bootstrap the reference system uses cannot exceed the sample's extreme (about 63% of resamples reproduce it),
/// and extreme-value extrapolation rests on tail assumptions that real columns (sensor glitches, outliers) break.
/// </remarks>
internal static class ExtremeEstimator
{
    /// <param name="extremes">The retained most extreme sampled values, ascending (<see cref="ExtremeTracker"/>).</param>
    /// <param name="census">The retained most extreme census values, ascending (empty without a census).</param>
    /// <param name="isMax">MAX when true, MIN when false.</param>
    /// <param name="n">Number of non-null sampled values.</param>
    /// <param name="nulls">Nulls skipped.</param>
    /// <param name="p">Sample fraction.</param>
    /// <param name="exact">True when every partition was read.</param>
    public static FeatureEstimate Estimate(ReadOnlySpan<double> extremes, ReadOnlySpan<double> census, bool isMax, long n, long nulls, double p, bool exact)
    {
        var value = double.NaN;
        if (!extremes.IsEmpty)
        {
            value = isMax ? extremes[^1] : extremes[0];
        }

        if (!census.IsEmpty)
        {
            var c = isMax ? census[^1] : census[0];
            value = double.IsNaN(value) ? c : isMax ? Math.Max(value, c) : Math.Min(value, c);
        }

        return exact
            ? EstimateFactory.Exact(value, n, nulls)
            : EstimateFactory.Unknown(value, UnknownReason.NotEstimable, n, nulls, p);
    }
}
