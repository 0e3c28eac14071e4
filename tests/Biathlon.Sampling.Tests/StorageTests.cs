using System.Buffers;
using System.Runtime.InteropServices;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Storage;

namespace Biathlon.Sampling.Tests;

/// <summary>A table saved as Arrow IPC loads back (memory-mapped or read) and answers every query identically.</summary>
[Collection(FlightsCollection.Name)]
public sealed class StorageTests(FlightsFixture flights)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Saved_flights_table_loads_back_and_gives_identical_estimates(bool memoryMap)
    {
        using var dir = new TempDirectory();
        TableStore.Save(flights.Table, dir.Path);
        using var loaded = TableStore.Load(dir.Path, memoryMap);

        Assert.Equal(flights.Table.RowCount, loaded.RowCount);
        Assert.Equal(flights.Table.Partitions, loaded.Partitions);
        Assert.Equal(flights.Table.Seed, loaded.Seed);
        Assert.Equal("date", loaded.TimeColumn);
        Assert.Equal(flights.Table.Schema.Columns, loaded.Schema.Columns);
        Assert.Equal(flights.Table.Layouts.Select(l => (l.Name, l.GroupCount)), loaded.Layouts.Select(l => (l.Name, l.GroupCount)));

        AggregateSpec[] aggregates =
        [
            AggregateSpec.Count(), AggregateSpec.Avg("delay"), AggregateSpec.Std("delay"), AggregateSpec.Max("distance"),
            AggregateSpec.Median("delay"), AggregateSpec.CountDistinct("destination"),
        ];
        var end = TimeValue.FromDateTime(new DateTime(2001, 6, 1));
        foreach (var (layoutName, keys) in new[]
                 {
                     ("by_route", new Dictionary<string, object?> { ["origin"] = "LAX", ["destination"] = "SFO" }),
                     ("by_origin", new Dictionary<string, object?> { ["origin"] = "BOS" }),
                     ("all", new Dictionary<string, object?>()),
                 })
        {
            var request = new RowPredicate { Keys = keys, From = end - 14 * TimeValue.MicrosPerDay, To = end };
            foreach (var z in new[] { 0.1, 1.0 })
            {
                var original = Estimates(flights.Table.GetLayout(layoutName), request, aggregates, z);
                var reloaded = Estimates(loaded.GetLayout(layoutName), request, aggregates, z);
                Assert.Equal(original, reloaded);
            }
        }
    }

    [Fact]
    public void Memory_mapped_columns_are_read_in_place_not_copied()
    {
        using var dir = new TempDirectory();
        TableStore.Save(flights.Table, dir.Path);
        using var loaded = TableStore.Load(dir.Path, memoryMap: true);
        var buffer = loaded.GetLayout("by_origin").Partition(3).ColumnBuffer(loaded.Schema.Ordinal("delay"));
        Assert.True(MemoryMarshal.TryGetMemoryManager<byte, MemoryManager<byte>>(buffer, out var manager));
        Assert.IsType<MappedFile>(manager);
    }

    [Fact]
    public void A_layout_file_with_the_wrong_partition_count_is_refused()
    {
        using var dir = new TempDirectory();
        using var small = SmallTables.Partitioned(SmallTables.KeyTimeXY(), partitions: 10);
        using var other = SmallTables.Partitioned(SmallTables.KeyTimeXY(), partitions: 4);
        TableStore.Save(small, dir.Path);
        using var otherDir = new TempDirectory();
        TableStore.Save(other, otherDir.Path);
        File.Copy(Path.Combine(otherDir.Path, "layout.all.arrow"), Path.Combine(dir.Path, "layout.all.arrow"), overwrite: true);
        var e = Assert.Throws<DataSourceException>(() => TableStore.Load(dir.Path));
        Assert.EndsWith("layout.all.arrow", e.SourceName);
    }

    private static (double, ErrorKind, double, double, double)[] Estimates(Layout layout, RowPredicate request, AggregateSpec[] aggregates, double z)
    {
        var cursor = layout.OpenCursor(layout.Bind(request), aggregates);
        cursor.WidenTo(z);
        return Enumerable.Range(0, aggregates.Length)
            .Select(i => cursor.Estimate(i))
            .Select(e => (e.Value, e.Error, e.StdError, e.Low, e.High))
            .ToArray();
    }
}
