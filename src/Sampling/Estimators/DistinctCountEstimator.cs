namespace Biathlon.Sampling.Estimators;

/// <summary>
/// COUNT DISTINCT: exact at p = 1; below it the point estimate is the guaranteed-error estimator (GEE, Charikar et al.
/// 2000), D̂ = √(1/p)·f₁ + (d − f₁) with d the distinct sampled values and f₁ those seen once, and the error is
/// <see cref="UnknownReason.NotEstimable"/>: the same paper proves that no estimator from a sample of fraction p can
/// keep its ratio error below about √((1 − p)/p) on every input, because values never sampled can be any number.
/// The engine reads such queries exactly; the point estimate serves fixed-fraction baselines.
/// </summary>
internal static class DistinctCountEstimator
{
    public static FeatureEstimate Estimate(ReadOnlySpan<double> sorted, long nulls, double p, bool exact)
    {
        var distinct = 0;
        var singles = 0;
        for (var i = 0; i < sorted.Length;)
        {
            var j = i + 1;
            while (j < sorted.Length && sorted[j] == sorted[i])
            {
                j++;
            }

            if (j - i == 1)
            {
                singles++;
            }

            distinct++;
            i = j;
        }

        var n = sorted.Length;
        if (exact)
        {
            return EstimateFactory.Exact(distinct, n, nulls);
        }

        var value = Math.Sqrt(1 / p) * singles + (distinct - singles);
        return EstimateFactory.Unknown(value, UnknownReason.NotEstimable, n, nulls, p);
    }
}
