using Biathlon.Sampling.Aggregates;

namespace Biathlon.Sampling.Tests;

/// <summary>Textbook computations of every operator over a plain list of values: the reference the engine is checked against.</summary>
internal static class NaiveAggregates
{
    /// <summary>The aggregate of <paramref name="values"/> (nulls already removed); <paramref name="rows"/> is the row count for COUNT(*).</summary>
    public static double Compute(AggregateSpec spec, List<double> values, long rows)
    {
        var n = values.Count;
        switch (spec.Op)
        {
            case AggregateOp.Count:
                return spec.Column is null ? rows : n;
            case AggregateOp.Sum:
            {
                double sum = 0;
                foreach (var v in values)
                {
                    sum += v;
                }

                return sum;
            }

            case AggregateOp.Avg:
                return n == 0 ? double.NaN : Mean(values);
            case AggregateOp.Var:
                return Variance(values);
            case AggregateOp.Std:
                return Math.Sqrt(Variance(values));
            case AggregateOp.Min:
                return n == 0 ? double.NaN : values.Min();
            case AggregateOp.Max:
                return n == 0 ? double.NaN : values.Max();
            case AggregateOp.CountDistinct:
                return values.Distinct().Count();
            default:
            {
                if (n == 0)
                {
                    return double.NaN;
                }

                var sorted = values.OrderBy(v => v).ToArray();
                var h = (n - 1) * spec.EffectiveQuantile;
                var lo = (int)Math.Floor(h);
                var hi = Math.Min(lo + 1, n - 1);
                return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
            }
        }
    }

    public static double Mean(List<double> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum / values.Count;
    }

    public static double Variance(List<double> values)
    {
        if (values.Count < 2)
        {
            return double.NaN;
        }

        var mean = Mean(values);
        double ss = 0;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }

        return ss / (values.Count - 1);
    }

    public static AggregateSpec[] AllOperators(string column) =>
    [
        AggregateSpec.Count(),
        AggregateSpec.Count(column),
        AggregateSpec.Sum(column),
        AggregateSpec.Avg(column),
        AggregateSpec.Var(column),
        AggregateSpec.Std(column),
        AggregateSpec.Min(column),
        AggregateSpec.Max(column),
        AggregateSpec.Median(column),
        AggregateSpec.Percentile(column, 0.9),
        AggregateSpec.Percentile(column, 0.01),
        AggregateSpec.CountDistinct(column),
    ];

    /// <summary>Asserts <paramref name="actual"/> equals <paramref name="expected"/> to 1e-9 relative (both NaN counts as equal).</summary>
    public static void AssertClose(double expected, double actual, string what)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}");
            return;
        }

        var tolerance = 1e-9 * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }
}
