using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

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
            Assert.Equal(cursor.Aggregates[a].IsEstimableFromSample ? UnknownReason.BelowMinimumSupport : UnknownReason.NotEstimable, e.UnknownReason);
            Assert.True(double.IsNaN(e.StdError));
            Assert.Equal(double.NegativeInfinity, e.Low);
            Assert.Equal(double.PositiveInfinity, e.High);
        }

        var strict = Cursor("BOI", 0.02, new EstimatorOptions(minSupport: 1), AggregateSpec.Avg("delay"));
        Assert.NotEqual(UnknownReason.BelowMinimumSupport, strict.Estimate(0).UnknownReason);
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
    public void Max_min_and_distinct_count_report_no_error_below_the_full_sample_but_are_exact_at_it()
    {
        var cursor = Cursor("ORD", 0.5, null, AggregateSpec.Max("delay"), AggregateSpec.Min("delay"), AggregateSpec.CountDistinct("destination"));
        for (var a = 0; a < 3; a++)
        {
            var e = cursor.Estimate(a);
            Assert.False(cursor.Aggregates[a].IsEstimableFromSample);
            Assert.Equal(ErrorKind.Unknown, e.Error);
            Assert.Equal(UnknownReason.NotEstimable, e.UnknownReason);
            Assert.True(double.IsFinite(e.Value), "the point estimate stays available for fixed-fraction baselines");
        }

        cursor.WidenTo(1);
        Assert.All(Enumerable.Range(0, 3), a => Assert.True(cursor.Estimate(a).IsExact));
    }

    [Fact]
    public void Quantile_errors_are_asymmetric_order_statistic_distributions_that_contain_the_estimate()
    {
        // Distances out of ATL: a right-skewed column with many ties (one value per route).
        var cursor = Cursor("ATL", 0.2, null, AggregateSpec.Median("distance"), AggregateSpec.Percentile("distance", 0.9));
        foreach (var a in new[] { 0, 1 })
        {
            var e = cursor.Estimate(a);
            Assert.Equal(ErrorKind.Empirical, e.Error);
            var grid = e.Distribution.ToArray();
            Assert.Equal(64, grid.Length);
            Assert.Equal(grid.Order().ToArray(), grid);
            Assert.InRange(e.Value, e.Low, e.High);
            Assert.Equal(e.Low, e.ValueAtNormalScore(-1.959963984540054), 9);
            Assert.Equal(e.High, e.ValueAtNormalScore(1.959963984540054), 9);
        }

        // The percentile's interval reaches further above than below: the column's tail is on the right.
        var p90 = cursor.Estimate(1);
        Assert.True(p90.High - p90.Value > p90.Value - p90.Low, $"[{p90.Low}, {p90.Value}, {p90.High}]");
    }

    [Fact]
    public void A_quantile_whose_interval_reaches_past_the_sample_is_unknown_until_the_sample_grows()
    {
        var cursor = Cursor("ORD", 0.05, null, AggregateSpec.Percentile("delay", 0.999));
        var e = cursor.Estimate(0);
        Assert.Equal(ErrorKind.Unknown, e.Error);
        Assert.Equal(UnknownReason.BeyondSample, e.UnknownReason);
        cursor.WidenTo(0.9);
        Assert.NotEqual(UnknownReason.BeyondSample, cursor.Estimate(0).UnknownReason);
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
        Assert.Equal(UnknownReason.NotEstimable, sampled.UnknownReason);

        cursor.WidenTo(1);
        var exact = cursor.Estimate(0);
        Assert.True(exact.IsExact);
        var truth = Enumerable.Range(0, flights.Raw.RowCount)
            .Where(r => flights.Origins[r] == "ORD" && flights.Times[r] >= TimeValue.FromDateTime(new DateTime(2001, 4, 15)) && flights.Times[r] < TimeValue.FromDateTime(new DateTime(2001, 5, 15)))
            .Select(r => flights.Destinations[r]).Distinct().Count();
        Assert.Equal(truth, exact.Value);
    }
}
