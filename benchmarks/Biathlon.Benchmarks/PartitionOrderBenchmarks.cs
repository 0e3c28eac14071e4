using System.Globalization;
using BenchmarkDotNet.Attributes;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Benchmarks;

// What a per-request partition order costs a sampled feature: bind the predicate, open a cursor, widen it to z and read
// its estimates, on the real flights-3m table (origin ORD, 30-day windows, layout by_origin), once reading partitions
// 0, 1, 2, ... (Sequential, the baseline) and once in a seeded Feistel order (Shuffled, what the engine does for every
// request, with seeds made as the engine makes per-query seeds: a SplitMix64 hash). Operation i uses window i mod
// Windows and, when shuffled, seed i mod 64:
//   Windows = 1:  the 30 days ending 2001-03-15 every time. The sequential case then repeats the very same rows and
//                 comparisons on every operation, which the CPU's branch predictors learn; a serving engine never sees that.
//   Windows = 64: 64 windows ending on consecutive days from 2001-03-15, as 64 different requests would ask; both
//                 orders see new values on each operation, so the ratio is the order's own cost.
//   AVG+STD: AVG(delay) and STD(delay), one order-4 moment summary.
//   MEDIAN:  MEDIAN(delay): a sorted sample of the rows read (pooled buffers) and the quantile estimator.
// The rows each case reads per operation (averaged over its windows and seeds) are printed in the setup ("// ..." lines
// of the log): they differ slightly with the partitions read.
public class PartitionOrderBenchmarks
{
    private const int Seeds = 64;

    private readonly ulong[] _seeds = Enumerable.Range(0, Seeds).Select(i => SplitMix64.Hash(0xB1A7, (ulong)i)).ToArray();
    private readonly FeatureEstimate[] _estimates = new FeatureEstimate[2];
    private PartitionedTable? _table;
    private Layout? _layout;
    private RowPredicate[] _predicates = [];
    private AggregateSpec[] _aggregates = [];
    private int _next;

    [Params("AVG+STD", "MEDIAN")]
    public string Aggregates { get; set; } = "AVG+STD";

    [Params(0.05, 0.2)]
    public double Z { get; set; } = 0.05;

    [Params(1, 64)]
    public int Windows { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _table = FlightsData.Table;
        _layout = _table.GetLayout("by_origin");
        _predicates = Enumerable.Range(0, Windows).Select(day => new RowPredicate
        {
            Keys = new Dictionary<string, object?> { ["origin"] = FlightsData.Origin },
            From = FlightsData.WindowFrom + (day * TimeValue.MicrosPerDay),
            To = FlightsData.WindowTo + (day * TimeValue.MicrosPerDay),
        }).ToArray();
        _aggregates = Aggregates switch
        {
            "AVG+STD" => [AggregateSpec.Avg("delay"), AggregateSpec.Std("delay")],
            "MEDIAN" => [AggregateSpec.Median("delay")],
            _ => throw new ArgumentException($"Unknown aggregates '{Aggregates}'."),
        };

        var operations = Math.Max(Windows, Seeds);
        var sequential = Enumerable.Range(0, operations).Average(i => (double)RowsRead(i, PartitionOrder.Sequential));
        var shuffled = Enumerable.Range(0, operations).Average(i => (double)RowsRead(i, PartitionOrder.Shuffled(_seeds[i % Seeds])));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"// {Aggregates}, z = {Z}, {Windows} window(s): sequential reads {sequential:N0} rows per operation, shuffled {shuffled:N0}"));
    }

    [Benchmark(Baseline = true, Description = "Sequential order")]
    public double Sequential() => Widen(_next++, PartitionOrder.Sequential);

    [Benchmark(Description = "Shuffled order")]
    public double Shuffled()
    {
        var i = _next++;
        return Widen(i, PartitionOrder.Shuffled(_seeds[i % Seeds]));
    }

    private double Widen(int operation, PartitionOrder order)
    {
        using var cursor = Open(operation, order);
        var estimates = _estimates.AsSpan(0, _aggregates.Length);
        cursor.EstimateAll(estimates);
        var sum = 0.0;
        foreach (var estimate in estimates)
        {
            sum += estimate.Value;
        }

        return sum;
    }

    private long RowsRead(int operation, PartitionOrder order)
    {
        using var cursor = Open(operation, order);
        return cursor.RowsScanned;
    }

    private SampleCursor Open(int operation, PartitionOrder order)
    {
        var layout = _layout!;
        var cursor = layout.OpenCursor(layout.Bind(_predicates[operation % Windows]), _aggregates, order: order);
        cursor.WidenTo(Z);
        return cursor;
    }
}
