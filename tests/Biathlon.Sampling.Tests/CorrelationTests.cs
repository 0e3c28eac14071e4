using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>
/// <see cref="SampleCursor.Correlation"/> predicts how the errors of two aggregates of one query move together. Checked
/// against the truth: over 1,000 trials on one real population (every flight out of ATL in March 2001, census on
/// delay), each with a fresh partition assignment and order, the empirical correlation of the two estimates must match
/// the mean predicted correlation within 0.1.
/// </summary>
[Collection(FlightsCollection.Name)]
public sealed class CorrelationTests(FlightsFixture flights)
{
    private const int Trials = 1000;

    public static TheoryData<string, string, double> Pairs() => new()
    {
        { "COUNT(*)", "SUM(delay)", 0.2 },
        { "COUNT(*)", "AVG(delay)", 0.2 },
        { "AVG(delay)", "STD(delay)", 0.2 },
        { "AVG(delay)", "PERCENTILE(delay, 0.9)", 0.2 },
        { "AVG(distance)", "MEDIAN(distance)", 0.05 },
        { "MEDIAN(delay)", "PERCENTILE(delay, 0.9)", 0.2 },
        { "AVG(delay)", "AVG(distance)", 0.2 },
        { "SUM(delay)", "SUM(distance)", 0.05 },
        { "AVG(distance)", "PERCENTILE(distance, 0.9)", 0.05 },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Predicted_correlation_matches_the_correlation_of_estimates_over_1000_partition_orders(string first, string second, double z)
    {
        var (predicted, observed) = Measure([Parse(first), Parse(second)], z);
        Assert.True(Math.Abs(predicted - observed) <= 0.1, $"{first} with {second} at z = {z}: predicted {predicted:F3}, observed {observed:F3}");
    }

    /// <summary>
    /// The median delay sits inside a run of tied values (2.9% of ATL's March flights arrived exactly 2 minutes late), so
    /// its estimate moves in whole minutes and its linear correlation with a smooth estimate is damped: the prediction,
    /// made for a continuous column, is then an upper bound. Measured: predicted 0.73, observed 0.53.
    /// </summary>
    [Fact]
    public void On_a_median_inside_a_run_of_ties_the_predicted_correlation_bounds_the_observed_one()
    {
        var (predicted, observed) = Measure([AggregateSpec.Avg("delay"), AggregateSpec.Median("delay")], 0.2);
        Assert.True(observed > 0.3 && observed <= predicted + 0.05, $"predicted {predicted:F3}, observed {observed:F3}");
    }

    private (double Predicted, double Observed) Measure(AggregateSpec[] aggregates, double z)
    {
        var population = Population();
        var a = new double[Trials];
        var b = new double[Trials];
        double predicted = 0;
        for (var t = 0; t < Trials; t++)
        {
            using var table = PartitionedTable.Build(population, new TableOptions
            {
                Partitions = 100,
                Seed = (ulong)t,
                Census = new CensusOptions { Columns = ["delay"] },
            });
            var layout = table.Layouts[0];
            using var cursor = layout.OpenCursor(layout.Bind(new RowPredicate()), aggregates, order: PartitionOrder.Shuffled((ulong)t));
            cursor.WidenTo(z);
            a[t] = cursor.Estimate(0).Value;
            b[t] = cursor.Estimate(1).Value;
            predicted += cursor.Correlation(0, 1);
        }

        return (predicted / Trials, Statistics.Pearson(a, b));
    }

    private Ingest.RawTable? _population;

    /// <summary>Delay and distance of every flight out of ATL in March 2001.</summary>
    private Ingest.RawTable Population()
    {
        if (_population is not null)
        {
            return _population;
        }

        var from = TimeValue.FromDateTime(new DateTime(2001, 3, 1));
        var to = TimeValue.FromDateTime(new DateTime(2001, 4, 1));
        var delay = new Apache.Arrow.Int64Array.Builder();
        var distance = new Apache.Arrow.Int64Array.Builder();
        for (var r = 0; r < flights.Raw.RowCount; r++)
        {
            if (flights.Origins[r] == "ATL" && flights.Times[r] >= from && flights.Times[r] < to)
            {
                delay.Append(flights.Delays[r]);
                distance.Append(flights.Distances[r]);
            }
        }

        var batch = new Apache.Arrow.RecordBatch.Builder().Append("delay", false, delay.Build()).Append("distance", false, distance.Build()).Build();
        return _population = Ingest.ArrowTableReader.Read([batch], "atl-march");
    }

    private static AggregateSpec Parse(string text) => text switch
    {
        "COUNT(*)" => AggregateSpec.Count(),
        "SUM(delay)" => AggregateSpec.Sum("delay"),
        "SUM(distance)" => AggregateSpec.Sum("distance"),
        "AVG(delay)" => AggregateSpec.Avg("delay"),
        "AVG(distance)" => AggregateSpec.Avg("distance"),
        "STD(delay)" => AggregateSpec.Std("delay"),
        "MEDIAN(delay)" => AggregateSpec.Median("delay"),
        "MEDIAN(distance)" => AggregateSpec.Median("distance"),
        "PERCENTILE(delay, 0.9)" => AggregateSpec.Percentile("delay", 0.9),
        "PERCENTILE(distance, 0.9)" => AggregateSpec.Percentile("distance", 0.9),
        _ => throw new ArgumentOutOfRangeException(nameof(text), text, null),
    };
}
