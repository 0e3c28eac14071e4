using Apache.Arrow;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Sampling.Tests.Coverage;

/// <summary>
/// Measures how often each operator's interval [Low, High] holds the population value. Trial t ingests the population
/// into P = 100 partitions with assignment seed t (optionally with a census stratum) and reads it in its own shuffled
/// partition order (seed t), widening one cursor through the fractions, as a request would. Each trial draws both, so
/// the rate is the estimator's, not one assignment's luck: for a fixed assignment, how much partitions differ by chance
/// moves the coverage of every operator by about a percentage point either way. An estimate whose error is unknown
/// counts neither way.
/// </summary>
internal static class CoverageBench
{
    public static CoverageCell[,] Run(
        double[] population, AggregateSpec[] aggregates, double[] fractions, int trials, EstimatorOptions? options = null, CensusOptions? census = null)
    {
        var batch = new RecordBatch.Builder().Append("x", false, new DoubleArray.Builder().AppendRange(population).Build()).Build();
        var raw = ArrowTableReader.Read([batch], "population");
        var values = population.ToList();
        var truth = aggregates.Select(a => NaiveAggregates.Compute(a, values, values.Count)).ToArray();
        var cells = new CoverageCell[aggregates.Length, fractions.Length];
        for (var a = 0; a < aggregates.Length; a++)
        {
            for (var f = 0; f < fractions.Length; f++)
            {
                cells[a, f] = new CoverageCell(aggregates[a], fractions[f], truth[a]);
            }
        }

        for (var trial = 0; trial < trials; trial++)
        {
            using var table = PartitionedTable.Build(raw, new TableOptions { Partitions = 100, Seed = (ulong)trial, Census = census });
            var layout = table.Layouts[0];
            using var cursor = layout.OpenCursor(layout.Bind(new RowPredicate()), aggregates, options, PartitionOrder.Shuffled((ulong)trial));
            for (var f = 0; f < fractions.Length; f++)
            {
                cursor.WidenTo(fractions[f]);
                for (var a = 0; a < aggregates.Length; a++)
                {
                    cells[a, f].Add(cursor.Estimate(a));
                }
            }
        }

        return cells;
    }
}

/// <summary>One (operator, fraction) cell: trials, how many reported an error, how many of those covered the truth.</summary>
internal sealed class CoverageCell(AggregateSpec aggregate, double fraction, double truth)
{
    public AggregateSpec Aggregate { get; } = aggregate;

    public double Fraction { get; } = fraction;

    public double Truth { get; } = truth;

    public int Trials { get; private set; }

    public int Reported { get; private set; }

    public int Covered { get; private set; }

    public int MissedLow { get; private set; }

    public int MissedHigh { get; private set; }

    public Dictionary<UnknownReason, int> Unknown { get; } = [];

    public double Rate => Reported == 0 ? double.NaN : (double)Covered / Reported;

    public void Add(FeatureEstimate estimate)
    {
        Trials++;
        if (estimate.Error == ErrorKind.Unknown)
        {
            Unknown[estimate.UnknownReason] = Unknown.GetValueOrDefault(estimate.UnknownReason) + 1;
            return;
        }

        Reported++;
        if (Truth < estimate.Low)
        {
            MissedHigh++; // the interval lies above the truth
        }
        else if (Truth > estimate.High)
        {
            MissedLow++;
        }
        else
        {
            Covered++;
        }
    }

    /// <summary>
    /// True when the cell is consistent with 93–97% coverage: with at least 500 reporting trials the observed rate must
    /// lie in [93%, 97%]; with fewer, its 99% Wilson interval must overlap that band (a cell that is mostly unknown
    /// cannot pin a rate down). A cell with no reports passes: the estimator said "unknown" every time.
    /// </summary>
    public bool IsCalibrated()
    {
        if (Reported == 0)
        {
            return true;
        }

        if (Reported >= 500)
        {
            return Rate is >= 0.93 and <= 0.97;
        }

        const double z = 2.5758293035489;
        double n = Reported, p = Rate;
        var centre = (p + z * z / (2 * n)) / (1 + z * z / n);
        var half = z * Math.Sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
        return centre + half >= 0.93 && centre - half <= 0.97;
    }

    public override string ToString()
    {
        var unknown = Unknown.Count == 0 ? "" : " unknown " + string.Join(", ", Unknown.Select(u => $"{u.Key} {u.Value}"));
        var rate = Reported == 0 ? "   —  " : $"{Rate,6:P1}";
        return $"{Aggregate,-24} z = {Fraction:0.00}: covered {Covered,4} of {Reported,4} reported = {rate} (low {MissedLow}, high {MissedHigh}){unknown}";
    }
}
