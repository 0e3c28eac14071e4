namespace Biathlon.Sampling.Tests;

/// <summary>Behaviour of the estimators that the coverage and exactness tests do not pin down.</summary>
[Collection(FlightsCollection.Name)]
public sealed class EstimatorUnitTests(FlightsFixture flights)
{
    private SampleCursor Cursor(string origin, double z, EstimatorOptions? options, params AggregateSpec[] aggregates)
    {
        var layout = flights.Table.GetLayout("by_origin");
        var end = TimeValue.FromDateTime(new DateTime(2001, 5, 15));
        var cursor = layout.OpenCursor(
            layout.Bind(new RowPredicate { Keys = new Dictionary<string, object?> { ["origin"] = origin }, From = end - 30 * TimeValue.MicrosPerDay, To = end }),
            aggregates,
            options);
        cursor.WidenTo(z);
        return cursor;
    }

    [Fact]
    public void Below_minimum_support_the_error_is_unknown_and_the_interval_unbounded()
    {
        // A small airport at 2%: a handful of rows.
        var cursor = Cursor("BOI", 0.02, null, AggregateSpec.Avg("delay"), AggregateSpec.Median("delay"), AggregateSpec.Max("delay"));
        for (var a = 0; a < 3; a++)
        {
            var e = cursor.Estimate(a);
            Assert.True(e.SampleRows < 30, $"{e.SampleRows} rows");
            Assert.Equal(ErrorKind.Unknown, e.Error);
            Assert.True(double.IsNaN(e.StdError));
            Assert.Equal(double.NegativeInfinity, e.Low);
            Assert.Equal(double.PositiveInfinity, e.High);
        }

        var strict = Cursor("BOI", 0.02, new EstimatorOptions(minSupport: 1), AggregateSpec.Avg("delay"));
        Assert.Equal(ErrorKind.Normal, strict.Estimate(0).Error);
    }

    [Fact]
    public void The_finite_population_correction_shrinks_errors_to_zero_as_z_reaches_one()
    {
        var cursor = Cursor("ORD", 0.5, null, AggregateSpec.Avg("delay"), AggregateSpec.Count(), AggregateSpec.Median("delay"));
        var half = new[] { cursor.Estimate(0), cursor.Estimate(1), cursor.Estimate(2) };
        cursor.WidenTo(0.99);
        var almost = new[] { cursor.Estimate(0), cursor.Estimate(1), cursor.Estimate(2) };
        for (var a = 0; a < 3; a++)
        {
            // sd ∝ √(1 − z) at a fixed n; n also grows, so at 0.99 the error is below √(0.01 / 0.5) of the error at 0.5.
            Assert.True(almost[a].StdError <= half[a].StdError * Math.Sqrt(0.01 / 0.5) + 1e-9, $"{cursor.Aggregates[a]}: {half[a].StdError} → {almost[a].StdError}");
        }

        cursor.WidenTo(1);
        Assert.All(Enumerable.Range(0, 3), a => Assert.Equal(0, cursor.Estimate(a).StdError));
    }

    [Fact]
    public void Max_and_min_bootstraps_only_place_the_population_extreme_beyond_the_sample_extreme()
    {
        var cursor = Cursor("ORD", 0.1, null, AggregateSpec.Max("delay"), AggregateSpec.Min("delay"));
        var max = cursor.Estimate(0);
        var maxDistribution = max.Distribution.ToArray();
        var min = cursor.Estimate(1);
        Assert.Equal(ErrorKind.Empirical, max.Error);
        Assert.Equal(100, maxDistribution.Length);
        Assert.All(maxDistribution, v => Assert.True(v >= max.Value));
        Assert.Equal(maxDistribution.Order().ToArray(), maxDistribution);
        Assert.All(min.Distribution.ToArray(), v => Assert.True(v <= min.Value));
        Assert.True(max.StdError > 0);
    }

    [Fact]
    public void Bootstraps_are_deterministic_for_a_seed_and_differ_between_seeds()
    {
        var options = new EstimatorOptions(seed: 3, quantileError: QuantileErrorMode.Bootstrap, bootstrapResamples: 50);
        var a = Cursor("DFW", 0.1, options, AggregateSpec.Median("delay"), AggregateSpec.CountDistinct("destination")).Estimate(0).Distribution.ToArray();
        var b = Cursor("DFW", 0.1, options, AggregateSpec.Median("delay"), AggregateSpec.CountDistinct("destination")).Estimate(0).Distribution.ToArray();
        var c = Cursor("DFW", 0.1, new EstimatorOptions(seed: 4, quantileError: QuantileErrorMode.Bootstrap, bootstrapResamples: 50), AggregateSpec.Median("delay")).Estimate(0).Distribution.ToArray();
        Assert.Equal(50, a.Length);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Quantile_order_statistic_intervals_contain_the_estimate()
    {
        var cursor = Cursor("ATL", 0.2, null, AggregateSpec.Median("distance"), AggregateSpec.Percentile("distance", 0.99));
        var median = cursor.Estimate(0);
        Assert.Equal(ErrorKind.Normal, median.Error);
        Assert.InRange(median.Value, median.Low, median.High);
        var p99 = cursor.Estimate(1);
        Assert.InRange(p99.Value, p99.Low, p99.High);
    }

    [Fact]
    public void Distinct_count_is_exact_at_full_sample_and_scaled_up_from_singletons_below_it()
    {
        var cursor = Cursor("ORD", 0.05, null, AggregateSpec.CountDistinct("destination"));
        var sampled = cursor.Estimate(0);

        // The sample's own distinct values (d) and singletons (f₁), read straight from the first 5 partitions.
        var layout = flights.Table.GetLayout("by_origin");
        var destination = flights.Table.Schema.Ordinal("destination");
        var counts = new Dictionary<int, int>();
        for (var p = 0; p < 5; p++)
        {
            var range = layout.FindRange(cursor.Predicate, p);
            foreach (var code in layout.Partition(p).Codes(destination)[range.Start..range.End])
            {
                counts[code] = counts.GetValueOrDefault(code) + 1;
            }
        }

        var distinct = counts.Count;
        var singles = counts.Values.Count(c => c == 1);
        Assert.Equal(Math.Sqrt(1 / 0.05) * singles + (distinct - singles), sampled.Value, 9);
        Assert.Equal(ErrorKind.Empirical, sampled.Error);

        cursor.WidenTo(1);
        var exact = cursor.Estimate(0);
        Assert.True(exact.IsExact);
        var truth = Enumerable.Range(0, flights.Raw.RowCount)
            .Where(r => flights.Origins[r] == "ORD" && flights.Times[r] >= TimeValue.FromDateTime(new DateTime(2001, 4, 15)) && flights.Times[r] < TimeValue.FromDateTime(new DateTime(2001, 5, 15)))
            .Select(r => flights.Destinations[r]).Distinct().Count();
        Assert.Equal(truth, exact.Value);
    }
}
