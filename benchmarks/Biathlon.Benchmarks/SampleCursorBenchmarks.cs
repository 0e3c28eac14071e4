using BenchmarkDotNet.Attributes;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Benchmarks;

// One feature request end to end through the public API, on the real flights-3m table: bind the predicate, open a
// cursor for AVG(delay) and STDDEV(delay), widen it to z = 1 (all 100 partitions: 100 range lookups, Int64 -> double
// conversion in 1,024-row chunks, the order-4 kernel, per-chunk moment merges) and read both estimates.
// This is the exact-answer cost the sampler is meant to undercut, and the rows/s ceiling for any z < 1 plan.
//   ORD-30d: origin ORD, 30 days ending 2001-03-15 (layout by_origin): a typical request, ranges of a few hundred rows.
//   ORD-6mo: origin ORD, no time window (layout by_origin): the same group over the whole half-year.
//   all-30d: every flight in the 30-day window (layout all): long ranges, where the kernels dominate.
[Config(typeof(RowsConfig))]
public class SampleCursorBenchmarks
{
    private static readonly AggregateSpec[] s_aggregates = [AggregateSpec.Avg("delay"), AggregateSpec.Std("delay")];

    private readonly FeatureEstimate[] _estimates = new FeatureEstimate[2];
    private PartitionedTable? _table;
    private Layout? _layout;
    private RowPredicate? _predicate;

    [Params("ORD-30d", "ORD-6mo", "all-30d")]
    public string Scenario { get; set; } = "ORD-30d";

    [GlobalSetup]
    public void Setup()
    {
        _table = FlightsData.Table;
        (_layout, _predicate) = Scenario switch
        {
            "ORD-30d" => (_table.GetLayout("by_origin"), FlightsData.OriginWindow()),
            "ORD-6mo" => (_table.GetLayout("by_origin"), new RowPredicate
            {
                Keys = new Dictionary<string, object?> { ["origin"] = FlightsData.Origin },
            }),
            "all-30d" => (_table.GetLayout("all"), FlightsData.AllWindow()),
            _ => throw new ArgumentException($"Unknown scenario '{Scenario}'."),
        };

        var cursor = _layout.OpenCursor(_layout.Bind(_predicate), s_aggregates);
        cursor.WidenTo(1);
        Console.WriteLine(
            $"// {Scenario}: {cursor.RowsScanned:N0} rows of {_table.RowCount:N0}; AVG(delay) = {cursor.Estimate(0).Value:F3}, STD(delay) = {cursor.Estimate(1).Value:F3}");
        RowsPerOperation.Record(RowsPerOperation.Key(typeof(SampleCursorBenchmarks), [Scenario]), cursor.RowsScanned);
    }

    [Benchmark(Description = "AVG+STD(delay), widen to z = 1")]
    public double AvgStdExact()
    {
        var cursor = _layout!.OpenCursor(_layout.Bind(_predicate!), s_aggregates);
        cursor.WidenTo(1);
        cursor.EstimateAll(_estimates);
        return _estimates[0].Value + _estimates[1].Value;
    }
}
