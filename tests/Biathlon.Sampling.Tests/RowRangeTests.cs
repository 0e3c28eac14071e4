using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>The binary-searched range of every partition holds exactly the rows of the group and window.</summary>
[Collection(FlightsCollection.Name)]
public sealed class RowRangeTests(FlightsFixture flights)
{
    [Theory]
    [InlineData("by_origin", "SEA", null)]
    [InlineData("by_route", "ORD", "LGA")]
    [InlineData("all", null, null)]
    public void Every_partition_range_is_exactly_the_matching_rows(string layoutName, string? origin, string? destination)
    {
        var table = flights.Table;
        var layout = table.GetLayout(layoutName);
        var from = TimeValue.FromDateTime(new DateTime(2001, 2, 3, 4, 0, 0));
        var to = from + 9 * TimeValue.MicrosPerDay;
        var keys = new Dictionary<string, object?>();
        if (origin is not null)
        {
            keys["origin"] = origin;
        }

        if (destination is not null)
        {
            keys["destination"] = destination;
        }

        var predicate = layout.Bind(new RowPredicate { Keys = keys, From = from, To = to });
        var timeOrdinal = table.Schema.Ordinal("date");
        var originOrdinal = table.Schema.Ordinal("origin");
        var destinationOrdinal = table.Schema.Ordinal("destination");
        long total = 0;
        for (var p = 0; p < layout.PartitionCount; p++)
        {
            var range = layout.FindRange(predicate, p);
            var part = layout.Partition(p);
            var times = part.Int64s(timeOrdinal);
            var origins = part.Codes(originOrdinal);
            var destinations = part.Codes(destinationOrdinal);
            for (var i = 0; i < part.RowCount; i++)
            {
                var matches = times[i] >= from && times[i] < to
                    && (origin is null || table.DecodeString("origin", origins[i]) == origin)
                    && (destination is null || table.DecodeString("destination", destinations[i]) == destination);
                Assert.True(matches == (i >= range.Start && i < range.End), $"partition {p} row {i}: match {matches}, range {range}");
            }

            total += range.Length;
        }

        var expected = 0;
        for (var r = 0; r < flights.Raw.RowCount; r++)
        {
            if (flights.Times[r] >= from && flights.Times[r] < to && (origin is null || flights.Origins[r] == origin)
                && (destination is null || flights.Destinations[r] == destination))
            {
                expected++;
            }
        }

        Assert.True(expected > 0);
        Assert.Equal(expected, total);
    }

    [Fact]
    public void Partitions_hold_every_row_once_and_have_about_equal_sizes()
    {
        var layout = flights.Table.GetLayout("by_origin");
        long rows = 0;
        for (var p = 0; p < layout.PartitionCount; p++)
        {
            rows += layout.PartitionRowCount(p);
            // Multinomial sizes: mean 30,000, sd ≈ 172; 6 sd is a generous bound that a broken assignment would break.
            Assert.InRange(layout.PartitionRowCount(p), 30_000 - 6 * 172, 30_000 + 6 * 172);
        }

        Assert.Equal(flights.Raw.RowCount, rows);
    }

    [Fact]
    public void The_same_seed_gives_the_same_partitions_and_another_seed_does_not()
    {
        var a = PartitionedTable.AssignPartitions(10_000, 100, 5);
        var b = PartitionedTable.AssignPartitions(10_000, 100, 5);
        var c = PartitionedTable.AssignPartitions(10_000, 100, 6);
        Assert.Equal(a, b);
        Assert.True(a.Zip(c).Count(pair => pair.First == pair.Second) < 300);
    }
}
