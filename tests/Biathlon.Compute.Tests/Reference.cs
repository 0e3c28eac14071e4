using Biathlon.Sampling.Aggregates.Offload;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Compute.Tests;

/// <summary>Textbook answers for a job: values read straight from the stored column, two-pass moments, a list sort.</summary>
internal static class Reference
{
    /// <summary>The job's column values as doubles, nulls as NaN, converted here independently of the code under test.</summary>
    public static double[] Values(Layout layout, int partition, int ordinal, int start, int end)
    {
        var part = layout.Partition(partition);
        var values = new double[end - start];
        for (var r = start; r < end; r++)
        {
            values[r - start] = layout.Table.Schema[ordinal].Type switch
            {
                ColumnType.Double => part.Doubles(ordinal)[r],
                ColumnType.String => part.Codes(ordinal)[r] is var c && c >= 0 ? c : double.NaN,
                _ => part.Int64s(ordinal)[r] is var l && l != long.MinValue ? l : double.NaN,
            };
        }

        return values;
    }

    public static double[] Values(in ColumnRangeJob job, bool paired = false) =>
        Values(job.Layout, job.Partition, paired ? job.PairedOrdinal : job.Ordinal, job.Range.Start, job.Range.End);

    public static PartialMoments Moments(double[] values)
    {
        var clean = values.Where(v => !double.IsNaN(v)).ToArray();
        long nulls = values.Length - clean.Length;
        if (clean.Length == 0)
        {
            return new PartialMoments(0, nulls, 0, 0, 0, 0, double.NaN, double.NaN);
        }

        var mean = clean.Average();
        double m2 = 0, m3 = 0, m4 = 0;
        foreach (var v in clean)
        {
            var d = v - mean;
            m2 += d * d;
            m3 += d * d * d;
            m4 += d * d * d * d;
        }

        return new PartialMoments(clean.Length, nulls, mean, m2, m3, m4, clean.Min(), clean.Max());
    }

    public static PartialCoMoments CoMoments(double[] x, double[] y)
    {
        var both = Enumerable.Range(0, x.Length).Where(i => !double.IsNaN(x[i]) && !double.IsNaN(y[i])).ToArray();
        if (both.Length == 0)
        {
            return default;
        }

        var mx = both.Average(i => x[i]);
        var my = both.Average(i => y[i]);
        return new PartialCoMoments(both.Length, mx, my, both.Sum(i => (x[i] - mx) * (y[i] - my)));
    }

    public static double[] Sorted(double[] values) => [.. values.Where(v => !double.IsNaN(v)).Order()];

    /// <summary>Asserts <paramref name="actual"/> is within <paramref name="relative"/> of <paramref name="expected"/>, on a scale of at least <paramref name="scale"/>.</summary>
    public static void Near(double expected, double actual, double relative, double scale = 0, string what = "")
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"{what}: expected {expected}, got {actual}");
            return;
        }

        var tolerance = relative * Math.Max(Math.Abs(expected), scale) + 1e-300;
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:R})");
    }

    public static void SameMoments(in PartialMoments expected, in PartialMoments actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Nulls, actual.Nulls);
        Assert.Equal(expected.Min, actual.Min);
        Assert.Equal(expected.Max, actual.Max);
        var n = Math.Max(expected.Count, 1);
        var sd = Math.Sqrt(expected.M2 / n);
        Near(expected.Mean, actual.Mean, 1e-12, sd, "mean");
        Near(expected.M2, actual.M2, 1e-9, n * 1e-12 * expected.Mean * expected.Mean, "M2");
        Near(expected.M3, actual.M3, 1e-9, n * sd * sd * sd + n * 1e-12 * Math.Pow(Math.Abs(expected.Mean), 3), "M3");
        Near(expected.M4, actual.M4, 1e-9, n * 1e-12 * Math.Pow(expected.Mean, 4), "M4");
    }

    public static void SameCoMoments(in PartialCoMoments expected, in PartialCoMoments actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Near(expected.MeanX, actual.MeanX, 1e-12, 1, "mean x");
        Near(expected.MeanY, actual.MeanY, 1e-12, 1, "mean y");
        Near(expected.Comoment, actual.Comoment, 1e-9, expected.Count * 1e-9 * Math.Abs(expected.MeanX * expected.MeanY), "co-moment");
    }

    /// <summary>Asserts every job's result against the textbook answer.</summary>
    public static void Check(IReadOnlyList<ColumnRangeJob> jobs, ColumnJobResults results)
    {
        Assert.Equal(jobs.Count, results.JobCount);
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            switch (job.Kind)
            {
                case ColumnJobKind.Moments:
                    SameMoments(Moments(Values(job)), results.Moments(i));
                    break;
                case ColumnJobKind.CoMoments:
                    SameCoMoments(CoMoments(Values(job), Values(job, paired: true)), results.CoMoments(i));
                    break;
                default:
                    Assert.Equal(Sorted(Values(job)), results.SortedValues(i).ToArray());
                    break;
            }
        }
    }
}
