using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Xunit.Abstractions;

namespace Biathlon.Sampling.Tests.Coverage;

/// <summary>
/// Calibration of every operator's error on real and generated populations (<see cref="CoveragePopulations"/>), with
/// the census stratum the engine builds by default: at z = 0.02, 0.05, 0.2 and 0.5, over 2,000 trials that each draw a
/// fresh partition assignment and a fresh partition order, the nominal 95% interval must hold the population value in
/// 93–97% of the trials where the estimator reports an error (<see cref="CoverageCell.IsCalibrated"/>). Where it
/// cannot support one it must say so (unknown), which counts neither way and is printed with its reason. MIN, MAX and
/// COUNT DISTINCT always say so below z = 1.
/// </summary>
/// <remarks>
/// One exception, for quantiles only: where the population's quantile is a value many rows share (integer delays,
/// route distances, sensor readings to two decimals), the interval's ends snap to whole runs of tied values and its
/// coverage rises above nominal; when the run is wide against the interval (the median delay, 2.9% of the rows) the
/// tightest interval between order statistics is that value alone and holds the truth in nearly every trial. So where
/// the truth's run of ties is at least 5% as long as the interval's half-width in population rows, a cell must cover at
/// least 93% and its rate above 97% is printed as "discrete", not failed.
/// </remarks>
[Collection(FlightsCollection.Name)]
public sealed class CoverageTests(FlightsFixture flights, ITestOutputHelper output)
{
    private const int Trials = 2000;
    private const double TiedRunShare = 0.05;
    private static readonly double[] s_fractions = [0.02, 0.05, 0.2, 0.5];

    private static readonly AggregateSpec[] s_operators =
    [
        AggregateSpec.Count(), AggregateSpec.Sum("x"), AggregateSpec.Avg("x"), AggregateSpec.Var("x"), AggregateSpec.Std("x"),
        AggregateSpec.Median("x"), AggregateSpec.Percentile("x", 0.9), AggregateSpec.Min("x"), AggregateSpec.Max("x"),
        AggregateSpec.CountDistinct("x"),
    ];

    public static TheoryData<string> Populations() => new(CoveragePopulations.Names);

    [Theory]
    [MemberData(nameof(Populations))]
    public void Every_operator_covers_93_to_97pct_of_2000_trials_where_it_reports_an_error(string population)
    {
        var values = CoveragePopulations.Load(population, flights);
        var cells = CoverageBench.Run(values, s_operators, s_fractions, Trials, census: new CensusOptions { Columns = ["x"] });
        output.WriteLine($"{population}: {values.Length:N0} rows, {Trials} trials per cell");
        var failures = new List<string>();
        foreach (var cell in cells)
        {
            Assert.Equal(Trials, cell.Trials);
            var tied = cell.Aggregate.EffectiveQuantile is >= 0 && TiedRows(values, cell.Truth) >= TiedRunShare * HalfBand(values.Length, cell);
            var calibrated = cell.IsCalibrated() || (tied && cell.Rate > 0.97);
            output.WriteLine((calibrated ? "  " : "X ") + cell + (tied && cell.Rate > 0.97 ? "  [discrete: a tied value]" : ""));
            if (!calibrated)
            {
                failures.Add(cell.ToString());
            }

            if (!cell.Aggregate.IsEstimableFromSample)
            {
                Assert.Equal(0, cell.Reported);
            }
        }

        Assert.True(failures.Count == 0, $"{population}: coverage outside 93–97%:\n" + string.Join("\n", failures));
    }

    private static int TiedRows(double[] values, double truth)
    {
        var equal = 0;
        foreach (var v in values)
        {
            equal += v == truth ? 1 : 0;
        }

        return equal;
    }

    /// <summary>The 95% interval's half-width in population rows: 1.96 √(N q (1 − q)(1 − z) / z).</summary>
    private static double HalfBand(int rows, CoverageCell cell)
    {
        var q = cell.Aggregate.EffectiveQuantile;
        return 1.959963984540054 * Math.Sqrt(rows * q * (1 - q) * (1 - cell.Fraction) / cell.Fraction);
    }
}
