using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling;

/// <summary>
/// COUNT DISTINCT by the guaranteed-error estimator (Charikar et al., 2000): D̂ = √(1/p)·f₁ + (d − f₁), where d is the
/// number of distinct sampled values and f₁ those seen once. Exact at p = 1. The error is a Poisson bootstrap: a value
/// seen c times appears c* ~ Poisson(c) times in a resample, and only whether c* is 0, 1 or more matters, so each
/// resample costs one uniform draw per distinct value that could be missing or single (c below 40).
/// </summary>
internal static class DistinctCountEstimator
{
    private const int AlwaysRepeated = 40;

    public static FeatureEstimate Estimate(
        ReadOnlySpan<double> sorted, long nulls, double p, bool exact, EstimatorOptions options, ulong seed,
        double[] distribution, int[] multiplicities)
    {
        // Multiplicity of each distinct value, from runs in the sorted sample.
        var distinct = 0;
        var singles = 0;
        var repeatedForSure = 0;
        var uncertainCount = 0;
        for (var i = 0; i < sorted.Length;)
        {
            var j = i + 1;
            while (j < sorted.Length && sorted[j] == sorted[i])
            {
                j++;
            }

            var c = j - i;
            if (c == 1)
            {
                singles++;
            }

            if (c >= AlwaysRepeated)
            {
                repeatedForSure++;
            }
            else
            {
                multiplicities[uncertainCount++] = c;
            }

            distinct++;
            i = j;
        }

        var n = sorted.Length;
        var scale = Math.Sqrt(1 / p);
        var value = exact ? distinct : scale * singles + (distinct - singles);
        if (exact)
        {
            return EstimateFactory.Exact(value, n, nulls);
        }

        if (n < options.MinSupport)
        {
            return EstimateFactory.Unknown(value, n, nulls, p);
        }

        var uncertain = multiplicities.AsSpan(0, uncertainCount);
        var rng = new Xoshiro256(seed);
        for (var b = 0; b < distribution.Length; b++)
        {
            int resampledSingles = 0, resampledRepeated = repeatedForSure;
            foreach (var c in uncertain)
            {
                var absent = Math.Exp(-c);
                var u = rng.NextDouble();
                if (u < absent)
                {
                    continue;
                }

                if (u < absent * (1 + c))
                {
                    resampledSingles++;
                }
                else
                {
                    resampledRepeated++;
                }
            }

            distribution[b] = 2 * value - (scale * resampledSingles + resampledRepeated);
        }

        return EstimateFactory.Empirical(value, distribution, n, nulls, p, options);
    }
}
