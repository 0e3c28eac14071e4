using Biathlon.Sampling.Errors;

namespace Biathlon.Planner.Planning;

/// <summary>
/// A query's cost as time = w · z + b with w, b ≥ 0, fitted from profiled (sample fraction, seconds) pairs by
/// non-negative least squares. Only the slope w is used online (as the planner's cost of widening).
/// </summary>
public readonly record struct LinearCostModel(double Slope, double Intercept)
{
    /// <summary>Predicted seconds to reach fraction <paramref name="fraction"/> from nothing.</summary>
    public double Predict(double fraction) => Slope * fraction + Intercept;

    /// <summary>Fits w, b ≥ 0 minimising Σ (w z + b − t)². Needs at least one pair; fractions in (0, 1], times finite and ≥ 0.</summary>
    public static LinearCostModel Fit(ReadOnlySpan<double> fractions, ReadOnlySpan<double> seconds)
    {
        if (fractions.Length != seconds.Length || fractions.IsEmpty)
        {
            throw new ConfigurationException("fractions", $"A cost model needs equally many fractions and times, at least one (got {fractions.Length} and {seconds.Length}).");
        }

        double n = fractions.Length, sz = 0, st = 0, szz = 0, szt = 0;
        for (var i = 0; i < fractions.Length; i++)
        {
            double z = fractions[i], t = seconds[i];
            if (!(z > 0 && z <= 1))
            {
                throw new ConfigurationException($"fractions[{i}]", $"Profiled fraction {z} is outside (0, 1].");
            }

            if (!(t >= 0) || double.IsInfinity(t))
            {
                throw new ConfigurationException($"seconds[{i}]", $"Profiled time {t} is not a finite, non-negative number of seconds.");
            }

            sz += z;
            st += t;
            szz += z * z;
            szt += z * t;
        }

        // Unconstrained least squares, then the better of the two one-sided fits if a coefficient came out negative.
        var det = n * szz - sz * sz;
        if (det > 1e-15 * n * szz)
        {
            var slope = (n * szt - sz * st) / det;
            var intercept = (st - slope * sz) / n;
            if (slope >= 0 && intercept >= 0)
            {
                return new LinearCostModel(slope, intercept);
            }
        }

        var throughOrigin = new LinearCostModel(Math.Max(szt / szz, 0), 0);
        var flat = new LinearCostModel(0, Math.Max(st / n, 0));
        return Residual(throughOrigin, fractions, seconds) <= Residual(flat, fractions, seconds) ? throughOrigin : flat;
    }

    private static double Residual(LinearCostModel model, ReadOnlySpan<double> fractions, ReadOnlySpan<double> seconds)
    {
        double sum = 0;
        for (var i = 0; i < fractions.Length; i++)
        {
            var e = model.Predict(fractions[i]) - seconds[i];
            sum += e * e;
        }

        return sum;
    }
}
