using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Storage;

namespace Biathlon.Sampling.Tests;

/// <summary>
/// The census stratum: which rows it takes, that cursors read it in full once and combine it with the sample, that
/// estimates at z = 1 equal the exact aggregates, and that it survives saving and loading.
/// </summary>
[Collection(FlightsCollection.Name)]
public sealed class CensusTests(FlightsFixture flights)
{
    private static readonly AggregateSpec[] s_aggregates =
    [
        AggregateSpec.Count(), AggregateSpec.Sum("delay"), AggregateSpec.Avg("delay"), AggregateSpec.Var("delay"), AggregateSpec.Std("distance"),
        AggregateSpec.Min("delay"), AggregateSpec.Max("delay"), AggregateSpec.Median("delay"), AggregateSpec.Percentile("distance", 0.9),
        AggregateSpec.CountDistinct("destination"),
    ];

    private PartitionedTable Build(CensusOptions? census) => PartitionedTable.Build(flights.Raw, new TableOptions
    {
        Name = "flights",
        Partitions = 100,
        Seed = 7,
        TimeColumn = "date",
        Layouts = [new LayoutSpec("by_origin", ["origin"])],
        Census = census,
    });

    [Fact]
    public void Census_rows_are_exactly_the_rows_beyond_a_fence_and_sampled_partitions_hold_none()
    {
        using var table = Build(new CensusOptions { Columns = ["delay", "distance"] });
        var census = table.Census!;
        Assert.Equal(["delay", "distance"], census.Columns.Select(c => c.Name));
        var layout = table.GetLayout("by_origin");
        Assert.True(layout.HasCensus);
        Assert.Equal(100, layout.PartitionCount);
        var delay = table.Schema.Ordinal("delay");
        var distance = table.Schema.Ordinal("distance");
        var (dLow, dHigh) = (census.Columns[0].Low, census.Columns[0].High);
        var (sLow, sHigh) = (census.Columns[1].Low, census.Columns[1].High);

        bool Beyond(long d, long s) => (d != long.MinValue && (d < dLow || d > dHigh)) || (s != long.MinValue && (s < sLow || s > sHigh));

        long stored = 0;
        for (var p = 0; p <= layout.PartitionCount; p++)
        {
            var part = layout.Partition(p);
            var d = part.Int64s(delay);
            var s = part.Int64s(distance);
            for (var r = 0; r < part.RowCount; r++)
            {
                Assert.Equal(p == layout.PartitionCount, Beyond(d[r], s[r]));
            }

            stored += part.RowCount;
        }

        Assert.Equal(census.Rows, layout.Partition(layout.PartitionCount).RowCount);
        Assert.Equal(table.RowCount, stored);
        Assert.InRange(census.Rows, 1, (long)(0.2 * table.RowCount)); // at most 5% per column and tail
    }

    [Fact]
    public void A_light_tailed_column_puts_few_rows_in_the_census_and_a_far_out_fence_none()
    {
        using var table = Build(new CensusOptions { Columns = ["distance"], Fence = 1e6 });
        Assert.Equal(0, table.Census!.Rows);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.3)]
    public void The_first_widening_reads_the_census_range_in_full_and_later_widenings_only_new_partitions(double z)
    {
        using var table = Build(new CensusOptions { Columns = ["delay"] });
        var layout = table.GetLayout("by_origin");
        var predicate = layout.Bind(March("ORD"));
        var order = PartitionOrder.Shuffled(3);
        using var cursor = layout.OpenCursor(predicate, s_aggregates, order: order);
        cursor.WidenTo(z);
        long expected = layout.FindRange(predicate, layout.PartitionCount).Length;
        var k = (int)Math.Round(z * 100);
        for (var i = 0; i < k; i++)
        {
            expected += layout.FindRange(predicate, order.PartitionAt(i, 100)).Length;
        }

        Assert.Equal(expected, cursor.RowsScanned);
        cursor.WidenTo(z + 0.1);
        for (var i = k; i < k + 10; i++)
        {
            expected += layout.FindRange(predicate, order.PartitionAt(i, 100)).Length;
        }

        Assert.Equal(expected, cursor.RowsScanned);
    }

    [Fact]
    public void At_the_full_sample_every_estimate_equals_the_table_without_a_census()
    {
        using var withCensus = Build(new CensusOptions { Columns = ["delay", "distance"] });
        using var without = Build(null);
        foreach (var origin in new[] { "ORD", "BOS", "BOI" })
        {
            var stepwise = withCensus.GetLayout("by_origin").OpenCursor(withCensus.GetLayout("by_origin").Bind(March(origin)), s_aggregates, order: PartitionOrder.Shuffled(1));
            foreach (var z in new[] { 0.05, 0.4, 1.0 })
            {
                stepwise.WidenTo(z);
            }

            var plain = without.GetLayout("by_origin").OpenCursor(without.GetLayout("by_origin").Bind(March(origin)), s_aggregates);
            plain.WidenTo(1);
            for (var a = 0; a < s_aggregates.Length; a++)
            {
                var x = stepwise.Estimate(a);
                var y = plain.Estimate(a);
                Assert.True(x.IsExact, $"{origin} {s_aggregates[a]}");
                Assert.Equal(y.Value, x.Value, Math.Max(1e-9 * Math.Abs(y.Value), 1e-9));
            }
        }
    }

    [Fact]
    public void Below_the_full_sample_census_rows_count_once_and_sampled_rows_scale_up()
    {
        using var table = Build(new CensusOptions { Columns = ["delay"] });
        var layout = table.GetLayout("by_origin");
        var predicate = layout.Bind(March("ATL"));
        var cursor = layout.OpenCursor(predicate, [AggregateSpec.Count(), AggregateSpec.Sum("delay")], order: PartitionOrder.Shuffled(5));
        cursor.WidenTo(0.2);
        var census = layout.FindRange(predicate, layout.PartitionCount);
        var censusPart = layout.Partition(layout.PartitionCount);
        var delay = table.Schema.Ordinal("delay");
        double censusSum = 0;
        foreach (var d in censusPart.Int64s(delay)[census.Start..census.End])
        {
            censusSum += d;
        }

        long sampledRows = 0;
        double sampledSum = 0;
        for (var i = 0; i < 20; i++)
        {
            var p = PartitionOrder.Shuffled(5).PartitionAt(i, 100);
            var range = layout.FindRange(predicate, p);
            sampledRows += range.Length;
            foreach (var d in layout.Partition(p).Int64s(delay)[range.Start..range.End])
            {
                sampledSum += d;
            }
        }

        Assert.Equal(census.Length + sampledRows / 0.2, cursor.Estimate(0).Value, 6);
        Assert.Equal(censusSum + sampledSum / 0.2, cursor.Estimate(1).Value, 3);
    }

    [Fact]
    public void A_table_with_a_census_saves_and_loads_back_with_identical_estimates()
    {
        using var dir = new TempDirectory();
        using var table = Build(new CensusOptions { Columns = ["delay"], Fence = 2.5, MaxShare = 0.02 });
        TableStore.Save(table, dir.Path);
        using var loaded = TableStore.Load(dir.Path);
        Assert.Equal(table.Census!.Columns.ToArray(), loaded.Census!.Columns.ToArray());
        Assert.Equal(table.Census.Rows, loaded.Census.Rows);
        foreach (var z in new[] { 0.05, 1.0 })
        {
            var a = table.GetLayout("by_origin").OpenCursor(table.GetLayout("by_origin").Bind(March("DEN")), s_aggregates, order: PartitionOrder.Shuffled(9));
            var b = loaded.GetLayout("by_origin").OpenCursor(loaded.GetLayout("by_origin").Bind(March("DEN")), s_aggregates, order: PartitionOrder.Shuffled(9));
            a.WidenTo(z);
            b.WidenTo(z);
            for (var i = 0; i < s_aggregates.Length; i++)
            {
                Assert.Equal(a.Estimate(i).ToString(), b.Estimate(i).ToString());
            }
        }
    }

    [Fact]
    public void Bad_census_options_are_named()
    {
        Assert.Equal("Census.Fence", Assert.Throws<ConfigurationException>(() => Build(new CensusOptions { Columns = ["delay"], Fence = -1 })).Option);
        Assert.Equal("Census.MaxShare", Assert.Throws<ConfigurationException>(() => Build(new CensusOptions { Columns = ["delay"], MaxShare = 0.5 })).Option);
        Assert.Equal("origin", Assert.Throws<SchemaException>(() => Build(new CensusOptions { Columns = ["origin"] })).Column);
        Assert.Equal("nope", Assert.Throws<SchemaException>(() => Build(new CensusOptions { Columns = ["nope"] })).Column);
    }

    private static RowPredicate March(string origin) => new()
    {
        Keys = new Dictionary<string, object?> { ["origin"] = origin },
        From = TimeValue.FromDateTime(new DateTime(2001, 3, 1)),
        To = TimeValue.FromDateTime(new DateTime(2001, 4, 1)),
    };
}
