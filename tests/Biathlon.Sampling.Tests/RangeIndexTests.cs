using Apache.Arrow;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Queries;

namespace Biathlon.Sampling.Tests;

/// <summary>
/// <see cref="Layout.FindRange"/> answers from its range index (group starts per partition, time fences every
/// <see cref="PartitionRangeIndex.Stride"/> rows) exactly what a scan of the partition finds: the rows of the group whose
/// time lies in [from, to). Checked on the real flights table (3M rows, 100 partitions, layouts all, by_origin and
/// by_route) and on a table with more groups than the group-start index takes (the search fallback).
/// </summary>
[Collection(FlightsCollection.Name)]
public sealed class RangeIndexTests(FlightsFixture flights)
{
    /// <summary>
    /// 300 predicates per layout (seed 11): groups drawn at random, windows with bounds drawn from the data's own times
    /// (so they fall exactly on stored times, hence often on fences), half-open, open-ended and empty windows; every
    /// partition and the census checked against a linear scan.
    /// </summary>
    [Theory]
    [InlineData("all")]
    [InlineData("by_origin")]
    [InlineData("by_route")]
    public void FindRange_equals_a_scan_of_the_partition_on_the_flights_table(string layoutName)
    {
        var layout = flights.Table.Layouts.Single(l => l.Name == layoutName);
        var random = new Xoshiro256(11);
        var times = flights.Times;
        for (var trial = 0; trial < 300; trial++)
        {
            var row = random.NextInt(times.Length);
            var keys = new Dictionary<string, object?>();
            foreach (var column in layout.KeyColumns)
            {
                keys[column] = (column == "origin" ? flights.Origins : flights.Destinations)[row]!;
            }

            long? from = trial % 5 == 0 ? null : times[random.NextInt(times.Length)];
            long? to = trial % 7 == 0 ? null : times[random.NextInt(times.Length)];
            if (from is { } f && to is { } t && t < f)
            {
                (from, to) = (to, from);
            }

            var predicate = layout.Bind(new RowPredicate { Keys = keys, From = from, To = to });
            AssertMatchesScan(layout, predicate, flights.Table.TimeOrdinal);
        }
    }

    /// <summary>2,000 keys over 1,000 rows in 50 partitions: too many groups for the group-start index, so groups are searched.</summary>
    [Fact]
    public void FindRange_equals_a_scan_when_groups_outnumber_the_index_budget()
    {
        var key = new StringArray.Builder();
        var time = new Int64Array.Builder();
        var random = new Xoshiro256(5);
        for (var i = 0; i < 3000; i++)
        {
            key.Append($"k{random.NextInt(2000)}");
            time.Append(random.NextInt(500));
        }

        var raw = ArrowTableReader.Read([new RecordBatch.Builder().Append("key", false, key.Build()).Append("t", false, time.Build()).Build()], "many-groups");
        using var table = PartitionedTable.Build(raw, new TableOptions
        {
            Partitions = 50,
            Seed = 3,
            TimeColumn = "t",
            Layouts = [new LayoutSpec("by_key", ["key"])],
        });
        var layout = table.Layouts[0];
        for (var trial = 0; trial < 200; trial++)
        {
            long from = random.NextInt(500);
            var predicate = layout.Bind(new RowPredicate
            {
                Keys = new Dictionary<string, object?> { ["key"] = $"k{random.NextInt(2000)}" },
                From = from,
                To = from + random.NextInt(200),
            });
            AssertMatchesScan(layout, predicate, table.TimeOrdinal);
        }
    }

    private static void AssertMatchesScan(Layout layout, BoundPredicate predicate, int timeOrdinal)
    {
        var stored = layout.PartitionCount + (layout.HasCensus ? 1 : 0);
        for (var p = 0; p < stored; p++)
        {
            var part = layout.Partition(p);
            var groups = part.GroupIds;
            var times = part.Int64s(timeOrdinal);
            int first = -1, count = 0;
            for (var r = 0; r < part.RowCount; r++)
            {
                var inGroup = layout.KeyColumns.Count == 0 || groups[r] == predicate.GroupId;
                if (inGroup && predicate.GroupId >= 0 && times[r] >= predicate.From && times[r] < predicate.To)
                {
                    first = first < 0 ? r : first;
                    count++;
                }
            }

            var range = layout.FindRange(predicate, p);
            Assert.Equal(count, range.Length);
            if (count > 0)
            {
                Assert.Equal(first, range.Start);
            }
        }
    }
}
