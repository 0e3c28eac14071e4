using Apache.Arrow;
using Biathlon.Sampling.Ingest;
using Xunit.Abstractions;

namespace Biathlon.Sampling.Tests;

/// <summary>
/// Calibration of the closed-form errors on real populations: over seeded re-partitionings (trial t uses partition
/// seed t, P = 100), the nominal 95% interval must cover the population value in 93–97% of trials at each of three
/// sample fractions. Each line of output states the operator, z, population size, trials and the observed rate.
/// </summary>
/// <remarks>
/// VAR and STD are tested on a population whose kurtosis (6.0) leaves their normal approximation valid. On the
/// delay column (kurtosis 142: one flight carries 7.5% of the variance of ATL's March flights) no normal-theory
/// interval is calibrated; docs/sampling.md records the measured under-coverage.
/// </remarks>
[Collection(FlightsCollection.Name)]
public sealed class CoverageTests(FlightsFixture flights, ITestOutputHelper output)
{
    private static readonly double[] s_fractions = [0.05, 0.2, 0.6];

    public static TheoryData<string> Columns() => new() { "delay", "distance" };

    [Theory]
    [MemberData(nameof(Columns))]
    public void Count_sum_and_avg_intervals_cover_93_to_97pct_of_2000_trials_on_ATL_March_flights(string column)
    {
        var population = Population(column, "ATL", new DateTime(2001, 3, 1), new DateTime(2001, 4, 1));
        AssertCoverage(population, [AggregateSpec.Count(), AggregateSpec.Sum(column), AggregateSpec.Avg(column)], trials: 2000);
    }

    [Fact]
    public void Var_and_std_intervals_cover_93_to_97pct_of_1000_trials_on_one_week_of_all_flight_distances()
    {
        var population = Population("distance", null, new DateTime(2001, 3, 1), new DateTime(2001, 3, 8));
        AssertCoverage(population, [AggregateSpec.Var("distance"), AggregateSpec.Std("distance")], trials: 1000);
    }

    private void AssertCoverage(RawTable population, AggregateSpec[] aggregates, int trials)
    {
        var column = population.Schema[0].Name;
        var values = new List<double>();
        foreach (var v in population.GetInt64s(column))
        {
            values.Add(v);
        }

        var truth = aggregates.Select(a => NaiveAggregates.Compute(a, values, values.Count)).ToArray();
        var hits = new int[s_fractions.Length, aggregates.Length];
        for (var trial = 0; trial < trials; trial++)
        {
            using var table = PartitionedTable.Build(population, new TableOptions { Partitions = 100, Seed = (ulong)trial });
            var layout = table.Layouts[0];
            var cursor = layout.OpenCursor(layout.Bind(new RowPredicate()), aggregates);
            for (var f = 0; f < s_fractions.Length; f++)
            {
                cursor.WidenTo(s_fractions[f]);
                for (var a = 0; a < aggregates.Length; a++)
                {
                    var e = cursor.Estimate(a);
                    Assert.Equal(ErrorKind.Normal, e.Error);
                    if (truth[a] >= e.Low && truth[a] <= e.High)
                    {
                        hits[f, a]++;
                    }
                }
            }
        }

        var failures = new List<string>();
        for (var f = 0; f < s_fractions.Length; f++)
        {
            for (var a = 0; a < aggregates.Length; a++)
            {
                var rate = (double)hits[f, a] / trials;
                var line = $"{aggregates[a]} at z = {s_fractions[f]:0.00}, population {values.Count:N0} rows: covered {hits[f, a]} of {trials} trials = {rate:P1}";
                output.WriteLine(line);
                if (rate is < 0.93 or > 0.97)
                {
                    failures.Add(line);
                }
            }
        }

        Assert.True(failures.Count == 0, "Coverage outside [93%, 97%]:\n" + string.Join("\n", failures));
    }

    /// <summary>The real values of <paramref name="column"/> for flights from <paramref name="origin"/> (any when null) departing in [from, to).</summary>
    private RawTable Population(string column, string? origin, DateTime from, DateTime to)
    {
        var start = TimeValue.FromDateTime(from);
        var end = TimeValue.FromDateTime(to);
        var source = column == "delay" ? flights.Delays : flights.Distances;
        var builder = new Int64Array.Builder();
        for (var r = 0; r < flights.Raw.RowCount; r++)
        {
            if ((origin is null || flights.Origins[r] == origin) && flights.Times[r] >= start && flights.Times[r] < end)
            {
                builder.Append(source[r]);
            }
        }

        var batch = new RecordBatch.Builder().Append(column, false, builder.Build()).Build();
        return ArrowTableReader.Read([batch], $"{origin ?? "all"}-{column}");
    }
}
