using BenchmarkDotNet.Attributes;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Benchmarks;

// The cost of locating a request's rows in the real flights-3m table, layout by_origin (sorted by origin, then time,
// within each of 100 partitions), for origin ORD and the 30 days ending 2001-03-15. A cursor pays one FindRange per
// partition it reads, so this bounds the per-partition overhead of widening at small row counts.
//   FindRange: two binary searches over the partition's group ids (~30k rows) and two over the group's times;
//     averaged over all 100 partitions (OperationsPerInvoke = 100), so Mean is ns per call and Op/s is calls/s.
//   Bind + FindRange x 100: what a z = 1 request pays before reading any value (key lookup, window checks, then
//     every partition's range).
public class RangeLookupBenchmarks
{
    private const int Partitions = 100;

    private PartitionedTable? _table;
    private Layout? _layout;
    private RowPredicate? _predicate;
    private BoundPredicate? _bound;

    [GlobalSetup]
    public void Setup()
    {
        _table = FlightsData.Table;
        _layout = _table.GetLayout("by_origin");
        if (_layout.PartitionCount != Partitions)
        {
            throw new InvalidOperationException($"Expected {Partitions} partitions, got {_layout.PartitionCount}.");
        }

        _predicate = FlightsData.OriginWindow();
        _bound = _layout.Bind(_predicate);
        var rows = 0L;
        for (var p = 0; p < Partitions; p++)
        {
            rows += _layout.FindRange(_bound, p).Length;
        }

        Console.WriteLine($"// ORD, 30 days: {rows:N0} rows in {Partitions} ranges; partition 0 holds {_layout.PartitionRowCount(0):N0} rows");
    }

    [Benchmark(OperationsPerInvoke = Partitions, Description = "FindRange (one partition)")]
    public int FindRange()
    {
        var layout = _layout!;
        var bound = _bound!;
        var rows = 0;
        for (var p = 0; p < Partitions; p++)
        {
            rows += layout.FindRange(bound, p).Length;
        }

        return rows;
    }

    [Benchmark(Description = "Bind + FindRange x 100")]
    public int BindAndFindAll()
    {
        var layout = _layout!;
        var bound = layout.Bind(_predicate!);
        var rows = 0;
        for (var p = 0; p < Partitions; p++)
        {
            rows += layout.FindRange(bound, p).Length;
        }

        return rows;
    }
}
