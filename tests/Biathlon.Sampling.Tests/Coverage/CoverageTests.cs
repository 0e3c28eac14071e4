using Xunit.Abstractions;

namespace Biathlon.Sampling.Tests.Coverage;

/// <summary>
/// Calibration of every operator's error on real and generated populations (<see cref="CoveragePopulations"/>): at
/// z = 0.02, 0.05, 0.2 and 0.5, over 1,000 trials that each read the population in a fresh shuffled partition order,
/// the nominal 95% interval must hold the population value in 93–97% of the trials where the estimator reports an
/// error (<see cref="CoverageCell.IsCalibrated"/>). Where it cannot support one it must say so (unknown), which counts
/// neither way and is printed with its reason. MIN, MAX and COUNT DISTINCT always say so below z = 1.
/// </summary>
[Collection(FlightsCollection.Name)]
public sealed class CoverageTests(FlightsFixture flights, ITestOutputHelper output)
{
    private const int Trials = 1000;
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
    public void Every_operator_covers_93_to_97pct_of_1000_trials_where_it_reports_an_error(string population)
    {
        var values = CoveragePopulations.Load(population, flights);
        var cells = CoverageBench.Run(values, s_operators, s_fractions, Trials);
        output.WriteLine($"{population}: {values.Length:N0} rows, {Trials} trials per cell");
        var failures = new List<string>();
        foreach (var cell in cells)
        {
            output.WriteLine(cell.ToString());
            Assert.Equal(Trials, cell.Trials);
            if (!cell.IsCalibrated())
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
}
