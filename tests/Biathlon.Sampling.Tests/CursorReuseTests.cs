using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>
/// Reuse without allocation must not change a result: a restarted cursor is bit-identical to a freshly opened one, a
/// <see cref="PredicateBinder"/> binds what <see cref="Layout.Bind"/> binds, and estimates kept between widenings are
/// the ones a fresh cursor computes. Real flights-3m data (Jan–Jun 2001), with and without a census stratum.
/// </summary>
[Collection(FlightsCollection.Name)]
public sealed class CursorReuseTests(FlightsFixture flights)
{
    private static readonly AggregateSpec[] s_aggregates =
    [
        AggregateSpec.Count(), AggregateSpec.Sum("delay"), AggregateSpec.Avg("delay"), AggregateSpec.Var("delay"),
        AggregateSpec.Std("distance"), AggregateSpec.Min("delay"), AggregateSpec.Max("delay"), AggregateSpec.Median("delay"),
        AggregateSpec.Percentile("distance", 0.75), AggregateSpec.CountDistinct("destination"),
    ];

    private static readonly long s_end = TimeValue.FromDateTime(new DateTime(2001, 4, 20, 9, 0, 0));

    /// <summary>
    /// One cursor serves three requests in turn (ORD→LGA, then ATL, then ORD→LGA again, with different orders and
    /// filters), each widened step by step, the first to every partition: after each step its estimates and
    /// correlations equal those of a cursor opened for that request alone.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_restarted_cursor_is_bit_identical_to_a_fresh_one(bool census)
    {
        using var built = census ? Build() : null;
        var table = built ?? flights.Table;
        var layout = table.GetLayout("by_origin");
        (string Origin, bool Filtered, ulong Seed, int[] Steps)[] requests =
        [
            ("ORD", false, 3, [5, 12, 100]),
            ("ATL", true, 11, [3, 4, 40]),
            ("ORD", false, 5, [100]),
            ("DEN", false, 7, [8, 30]),
        ];
        SampleCursor? reused = null;
        foreach (var (origin, filtered, seed, steps) in requests)
        {
            var predicate = layout.Bind(Predicate(origin, filtered));
            var order = PartitionOrder.Shuffled(seed);
            if (reused is null)
            {
                reused = layout.OpenCursor(predicate, s_aggregates, order: order);
            }
            else
            {
                reused.Restart(predicate, order);
            }

            using var fresh = layout.OpenCursor(predicate, s_aggregates, order: order);
            foreach (var partitions in steps)
            {
                reused.WidenToPartitions(partitions);
                fresh.WidenToPartitions(partitions);
                Assert.Equal(fresh.RowsScanned, reused.RowsScanned);
                Assert.Equal(fresh.RowsMatched, reused.RowsMatched);
                for (var a = 0; a < s_aggregates.Length; a++)
                {
                    AssertSame(fresh.Estimate(a), reused.Estimate(a));
                    for (var b = 0; b < a; b++)
                    {
                        Assert.Equal(fresh.Correlation(a, b), reused.Correlation(a, b));
                    }
                }
            }
        }

        reused!.Dispose();
    }

    /// <summary>An estimate is kept until a widening reads a partition, and then recomputed: it always equals a fresh cursor's at that fraction.</summary>
    [Fact]
    public void Kept_estimates_follow_every_widening_that_reads_a_partition()
    {
        var layout = flights.Table.GetLayout("by_origin");
        var predicate = layout.Bind(Predicate("ORD", filtered: false));
        var order = PartitionOrder.Shuffled(19);
        using var cursor = layout.OpenCursor(predicate, s_aggregates, order: order);
        foreach (var partitions in new[] { 4, 4, 9, 2, 33 })
        {
            cursor.WidenToPartitions(partitions);
            using var fresh = layout.OpenCursor(predicate, s_aggregates, order: order);
            fresh.WidenToPartitions(cursor.PartitionsRead);
            for (var a = 0; a < s_aggregates.Length; a++)
            {
                AssertSame(fresh.Estimate(a), cursor.Estimate(a));
                AssertSame(fresh.Estimate(a), cursor.Estimate(a));
            }
        }
    }

    /// <summary>
    /// A binder bound once gives the group, window and filtered ranges that <see cref="Layout.Bind"/> gives, for known,
    /// unknown and reordered keys; a predicate handed back is re-targeted in place.
    /// </summary>
    [Fact]
    public void A_binder_binds_what_the_layout_binds_and_retargets_a_returned_predicate()
    {
        var layout = flights.Table.GetLayout("by_route");
        ColumnFilter[] filters = [new ColumnFilter("delay", FilterOp.Greater, 0)];
        var binder = new PredicateBinder(layout, ["destination", "origin"], filters);
        BoundPredicate? pooled = null;
        foreach (var (origin, destination) in new[] { ("ORD", "LGA"), ("ATL", "DFW"), ("ORD", "NOWHERE"), ("SFO", "LAX") })
        {
            var expected = layout.Bind(new RowPredicate
            {
                Keys = new Dictionary<string, object?> { ["origin"] = origin, ["destination"] = destination },
                From = s_end - 30 * TimeValue.MicrosPerDay,
                To = s_end,
                Filters = filters,
            });
            long[] keys = [binder.EncodeString(0, destination), binder.EncodeString(1, origin)];
            var bound = binder.Bind(keys, s_end - 30 * TimeValue.MicrosPerDay, s_end, pooled);
            if (pooled is not null)
            {
                Assert.Same(pooled, bound);
            }

            pooled = bound;
            Assert.Equal(expected.GroupId, bound.GroupId);
            Assert.Equal(expected.From, bound.From);
            Assert.Equal(expected.To, bound.To);
            Assert.Equal(expected.HasFilters, bound.HasFilters);
            for (var p = 0; p < layout.PartitionCount; p++)
            {
                Assert.Equal(layout.FindRange(expected, p), layout.FindRange(bound, p));
            }

            using var a = layout.OpenCursor(expected, [AggregateSpec.Avg("delay")], order: PartitionOrder.Shuffled(2));
            using var b = layout.OpenCursor(bound, [AggregateSpec.Avg("delay")], order: PartitionOrder.Shuffled(2));
            a.WidenToPartitions(50);
            b.WidenToPartitions(50);
            Assert.Equal(a.RowsMatched, b.RowsMatched);
            Assert.Equal(a.Estimate(0).Value, b.Estimate(0).Value);
        }

        Assert.Equal(-1, binder.EncodeString(1, "NOWHERE"));
        Assert.Throws<QueryException>(() => new PredicateBinder(layout, ["origin"], []));
        Assert.Throws<SchemaException>(() => binder.EncodeNumber(0, 1.5));
    }

    private static void AssertSame(FeatureEstimate expected, FeatureEstimate actual)
    {
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Error, actual.Error);
        Assert.Equal(expected.StdError, actual.StdError);
        Assert.Equal(expected.Low, actual.Low);
        Assert.Equal(expected.High, actual.High);
        Assert.Equal(expected.UnknownReason, actual.UnknownReason);
        Assert.Equal(expected.Distribution.ToArray(), actual.Distribution.ToArray());
    }

    private PartitionedTable Build() => PartitionedTable.Build(flights.Raw, new TableOptions
    {
        Name = "flights",
        Partitions = 100,
        Seed = 7,
        TimeColumn = "date",
        Layouts = [new LayoutSpec("by_origin", ["origin"])],
        Census = new CensusOptions { Columns = ["delay", "distance"] },
    });

    private static RowPredicate Predicate(string origin, bool filtered) => new()
    {
        Keys = new Dictionary<string, object?> { ["origin"] = origin },
        From = s_end - 30 * TimeValue.MicrosPerDay,
        To = s_end,
        Filters = filtered ? [new ColumnFilter("delay", FilterOp.Greater, 0)] : [],
    };
}
