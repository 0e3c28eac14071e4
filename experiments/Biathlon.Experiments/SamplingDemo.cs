using System.Diagnostics;
using System.Globalization;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments;

/// <summary>
/// The current main job: on the real flights data, computes a few leak-free aggregation features for three departing
/// flights from growing samples, and prints each estimate with its 95% interval beside the exact value.
/// </summary>
internal static class SamplingDemo
{
    private static readonly double[] s_fractions = [0.05, 0.20, 1.0];

    private static readonly (string Origin, DateTime Departure)[] s_requests =
    [
        ("ORD", new DateTime(2001, 3, 15, 17, 0, 0)),
        ("ATL", new DateTime(2001, 5, 2, 8, 0, 0)),
        ("BOI", new DateTime(2001, 2, 10, 12, 0, 0)),
    ];

    public static async Task<int> RunAsync()
    {
        using var table = await FlightsTable.OpenAsync();
        Console.WriteLine($"flights: {table.RowCount:N0} rows, P = {table.Partitions}, layouts: {string.Join(", ", table.Layouts.Select(l => l.Name))}");
        var options = EstimatorOptions.Default;
        var covered = 0;
        var intervals = 0;
        foreach (var (origin, departure) in s_requests)
        {
            Console.WriteLine();
            Console.WriteLine($"request: flight from {origin} departing {departure:yyyy-MM-dd HH:mm}; windows end 1 h before departure");
            Console.WriteLine($"  {"feature",-52} {"z = 5%",-24} {"z = 20%",-24} {"exact",-12} rows read (5% / 20% / 100%)");
            foreach (var query in Queries(table, origin, TimeValue.FromDateTime(departure)))
            {
                var cursors = new SampleCursor[s_fractions.Length];
                var columns = new List<string>[query.Aggregates.Length];
                for (var a = 0; a < columns.Length; a++)
                {
                    columns[a] = [];
                }

                var rows = new List<string>();
                var estimates = new FeatureEstimate[s_fractions.Length, query.Aggregates.Length];
                for (var f = 0; f < s_fractions.Length; f++)
                {
                    var watch = Stopwatch.StartNew();
                    cursors[f] = query.Layout.OpenCursor(query.Predicate, query.Aggregates, options);
                    cursors[f].WidenTo(s_fractions[f]);
                    for (var a = 0; a < query.Aggregates.Length; a++)
                    {
                        estimates[f, a] = cursors[f].Estimate(a);
                    }

                    rows.Add($"{cursors[f].RowsScanned:N0} ({watch.Elapsed.TotalMilliseconds:F2} ms)");
                }

                for (var a = 0; a < query.Aggregates.Length; a++)
                {
                    var exact = estimates[s_fractions.Length - 1, a].Value;
                    var cells = new string[s_fractions.Length - 1];
                    for (var f = 0; f < cells.Length; f++)
                    {
                        var e = estimates[f, a];
                        cells[f] = Cell(e, exact, ref covered, ref intervals);
                    }

                    var name = $"{query.Aggregates[a]} {query.Describe}";
                    Console.WriteLine($"  {name,-52} {cells[0],-24} {cells[1],-24} {Format(exact),-12} {(a == 0 ? string.Join(" / ", rows) : "")}");
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{covered} of {intervals} sampled 95% intervals contain the exact value (* marks a miss).");
        return 0;
    }

    private static string Cell(FeatureEstimate e, double exact, ref int covered, ref int intervals)
    {
        if (e.Error == ErrorKind.Unknown)
        {
            return $"{Format(e.Value)} (n={e.SampleRows}, ?)";
        }

        intervals++;
        var inside = exact >= e.Low && exact <= e.High;
        if (inside)
        {
            covered++;
        }

        var half = (e.High - e.Low) / 2;
        return $"{Format(e.Value)} ± {Format(half)}{(inside ? "" : " *")}";
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "NaN" : value.ToString(Math.Abs(value) >= 1000 ? "N0" : "0.###", CultureInfo.InvariantCulture);

    private static IEnumerable<DemoQuery> Queries(PartitionedTable table, string origin, long departure)
    {
        var end = departure - TimeValue.MicrosPerHour;
        var month = end - 30 * TimeValue.MicrosPerDay;
        var week = end - 7 * TimeValue.MicrosPerDay;
        var all = table.GetLayout("all");
        var byOrigin = table.GetLayout("by_origin");
        var originKey = new Dictionary<string, object?> { ["origin"] = origin };

        yield return new DemoQuery(
            all,
            all.Bind(new RowPredicate { From = month, To = end }),
            [AggregateSpec.Avg("delay"), AggregateSpec.Std("delay"), AggregateSpec.Count()],
            "all flights, 30 d");
        yield return new DemoQuery(
            byOrigin,
            byOrigin.Bind(new RowPredicate { Keys = originKey, From = month, To = end }),
            [AggregateSpec.Count(), AggregateSpec.Avg("delay"), AggregateSpec.CountDistinct("destination")],
            $"from {origin}, 30 d");
        yield return new DemoQuery(
            byOrigin,
            byOrigin.Bind(new RowPredicate { Keys = originKey, From = week, To = end }),
            [AggregateSpec.Median("delay"), AggregateSpec.Percentile("delay", 0.9), AggregateSpec.Max("delay")],
            $"from {origin}, 7 d");
        yield return new DemoQuery(
            byOrigin,
            byOrigin.Bind(new RowPredicate
            {
                Keys = originKey,
                From = month,
                To = end,
                Filters = [new ColumnFilter("delay", FilterOp.Greater, 15)],
            }),
            [AggregateSpec.Count(), AggregateSpec.Sum("distance")],
            $"from {origin}, 30 d, delay > 15");
    }

    private sealed record DemoQuery(Layout Layout, BoundPredicate Predicate, AggregateSpec[] Aggregates, string Describe);
}
