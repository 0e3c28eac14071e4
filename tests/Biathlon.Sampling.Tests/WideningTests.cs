using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>Widening reads only new partitions, and its results are bit-identical to sampling the wider fraction from scratch.</summary>
[Collection(FlightsCollection.Name)]
public sealed class WideningTests(FlightsFixture flights)
{
    private static readonly AggregateSpec[] s_aggregates =
    [
        AggregateSpec.Count(), AggregateSpec.Sum("delay"), AggregateSpec.Avg("delay"), AggregateSpec.Var("delay"),
        AggregateSpec.Std("distance"), AggregateSpec.Min("delay"), AggregateSpec.Max("delay"), AggregateSpec.Median("delay"),
        AggregateSpec.Percentile("distance", 0.75), AggregateSpec.CountDistinct("destination"),
    ];

    public static TheoryData<string, bool> Cases() => new()
    {
        { "all", false }, { "by_origin", false }, { "by_origin", true }, { "by_route", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Widening_step_by_step_is_bit_identical_to_sampling_the_final_fraction_from_scratch(string layoutName, bool filtered)
    {
        var layout = flights.Table.GetLayout(layoutName);
        var predicate = layout.Bind(Predicate(layoutName, filtered));
        var order = PartitionOrder.Shuffled(11);
        var stepwise = layout.OpenCursor(predicate, s_aggregates, order: order);
        foreach (var z in new[] { 0.03, 0.1, 0.11, 0.37, 0.6 })
        {
            stepwise.WidenTo(z);
        }

        var scratch = layout.OpenCursor(predicate, s_aggregates, order: order);
        scratch.WidenTo(0.6);

        Assert.Equal(scratch.RowsScanned, stepwise.RowsScanned);
        Assert.Equal(scratch.RowsMatched, stepwise.RowsMatched);
        for (var a = 0; a < s_aggregates.Length; a++)
        {
            var x = stepwise.Estimate(a);
            var xs = x.Distribution.ToArray();
            var y = scratch.Estimate(a);
            Assert.Equal(y.Value, x.Value);
            Assert.Equal(y.StdError, x.StdError);
            Assert.Equal(y.Low, x.Low);
            Assert.Equal(y.High, x.High);
            Assert.Equal(y.Error, x.Error);
            Assert.Equal(y.Distribution.ToArray(), xs);
        }
    }

    [Fact]
    public void Each_widening_reads_exactly_the_rows_of_the_new_partitions()
    {
        var layout = flights.Table.GetLayout("by_origin");
        var predicate = layout.Bind(Predicate("by_origin", filtered: false));
        var cursor = layout.OpenCursor(predicate, [AggregateSpec.Avg("delay")]);
        var read = 0;
        foreach (var partitions in new[] { 5, 6, 20, 20, 64, 100 })
        {
            var before = cursor.RowsScanned;
            long expected = 0;
            for (var p = Math.Max(read, 0); p < partitions; p++)
            {
                expected += layout.FindRange(predicate, p).Length;
            }

            cursor.WidenToPartitions(partitions);
            Assert.Equal(expected, cursor.RowsScanned - before);
            read = Math.Max(read, partitions);
            Assert.Equal(read, cursor.PartitionsRead);
        }

        // Asking for a smaller fraction never narrows or rereads.
        var total = cursor.RowsScanned;
        cursor.WidenTo(0.1);
        Assert.Equal(total, cursor.RowsScanned);
        Assert.Equal(100, cursor.PartitionsRead);
    }

    [Fact]
    public void Fractions_are_rounded_up_onto_the_partition_grid()
    {
        var layout = flights.Table.GetLayout("all");
        var cursor = layout.OpenCursor(layout.Bind(new RowPredicate()), [AggregateSpec.Count()]);
        cursor.WidenTo(0.07);
        Assert.Equal(7, cursor.PartitionsRead);
        cursor.WidenTo(0.071);
        Assert.Equal(8, cursor.PartitionsRead);
        Assert.Equal(0.08, cursor.Fraction);
        cursor.WidenTo(1e-6);
        Assert.Equal(8, cursor.PartitionsRead);
    }

    private RowPredicate Predicate(string layoutName, bool filtered)
    {
        var end = TimeValue.FromDateTime(new DateTime(2001, 4, 20, 9, 0, 0));
        var keys = new Dictionary<string, object?>();
        if (layoutName != "all")
        {
            keys["origin"] = "ORD";
        }

        if (layoutName == "by_route")
        {
            keys["destination"] = "LGA";
        }

        return new RowPredicate
        {
            Keys = keys,
            From = end - 30 * TimeValue.MicrosPerDay,
            To = end,
            Filters = filtered ? [new ColumnFilter("delay", FilterOp.Greater, 0)] : [],
        };
    }
}
