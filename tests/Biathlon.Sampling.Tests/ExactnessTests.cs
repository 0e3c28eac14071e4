using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>At z = 1 every operator must equal a naive computation over the rows the predicate selects, on real flights data.</summary>
[Collection(FlightsCollection.Name)]
public sealed class ExactnessTests(FlightsFixture flights)
{
    private static readonly long[] s_windows =
    [
        TimeValue.MicrosPerHour, TimeValue.MicrosPerDay, 7 * TimeValue.MicrosPerDay, 30 * TimeValue.MicrosPerDay,
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var layout in new[] { "all", "by_origin", "by_route" })
        {
            for (var request = 0; request < 12; request++)
            {
                data.Add(layout, request);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_operator_at_full_sample_equals_the_naive_reference_on_flights(string layoutName, int request)
    {
        // A request drawn from a real row: its origin, destination and time, one of four window lengths, and a filter on every third request.
        var rng = new Random(1000 * layoutName.Length + request);
        var row = rng.Next(flights.Raw.RowCount);
        var end = flights.Times[row] - TimeValue.MicrosPerHour;
        var from = end - s_windows[request % s_windows.Length];
        var filtered = request % 3 == 2;
        var layout = flights.Table.GetLayout(layoutName);
        var keys = new Dictionary<string, object?>();
        if (layoutName != "all")
        {
            keys["origin"] = flights.Origins[row];
        }

        if (layoutName == "by_route")
        {
            keys["destination"] = flights.Destinations[row];
        }

        var predicate = layout.Bind(new RowPredicate
        {
            Keys = keys,
            From = from,
            To = end,
            Filters = filtered ? [new ColumnFilter("distance", FilterOp.LessOrEqual, 800)] : [],
        });

        // Naive selection: scan all 3M source rows.
        var delays = new List<double>();
        var destinations = new HashSet<string>(StringComparer.Ordinal);
        long rows = 0;
        for (var r = 0; r < flights.Raw.RowCount; r++)
        {
            if (flights.Times[r] < from || flights.Times[r] >= end)
            {
                continue;
            }

            if (keys.TryGetValue("origin", out var o) && flights.Origins[r] != (string)o!)
            {
                continue;
            }

            if (keys.TryGetValue("destination", out var d) && flights.Destinations[r] != (string)d!)
            {
                continue;
            }

            if (filtered && flights.Distances[r] > 800)
            {
                continue;
            }

            rows++;
            delays.Add(flights.Delays[r]);
            destinations.Add(flights.Destinations[r]!);
        }

        var aggregates = NaiveAggregates.AllOperators("delay").Append(AggregateSpec.CountDistinct("destination")).ToArray();
        var cursor = layout.OpenCursor(predicate, aggregates);
        cursor.WidenTo(1.0);
        Assert.True(cursor.IsExact);
        Assert.Equal(rows, cursor.RowsMatched);
        for (var a = 0; a < aggregates.Length; a++)
        {
            var estimate = cursor.Estimate(a);
            var expected = aggregates[a].Column == "destination"
                ? destinations.Count
                : NaiveAggregates.Compute(aggregates[a], delays, rows);
            Assert.Equal(ErrorKind.Exact, estimate.Error);
            Assert.Equal(0, estimate.StdError);
            NaiveAggregates.AssertClose(expected, estimate.Value, $"{aggregates[a]} over {rows} rows");
        }
    }

    [Fact]
    public void Full_sample_reads_every_row_of_the_window_exactly_once()
    {
        var layout = flights.Table.GetLayout("all");
        var from = TimeValue.FromDateTime(new DateTime(2001, 4, 1));
        var to = TimeValue.FromDateTime(new DateTime(2001, 5, 1));
        var cursor = layout.OpenCursor(layout.Bind(new RowPredicate { From = from, To = to }), [AggregateSpec.Count()]);
        cursor.WidenTo(1);
        var expected = flights.Times.Count(t => t >= from && t < to);
        Assert.Equal(expected, cursor.RowsScanned);
        Assert.Equal(expected, cursor.Estimate(0).Value);
    }
}
