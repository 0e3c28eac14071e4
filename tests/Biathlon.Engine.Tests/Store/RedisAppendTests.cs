using Biathlon.Redis;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Engine.Tests.Store;

/// <summary>
/// Appends to a Redis table, with real held-out flights: counted once per batch id, served in time order among the
/// stored rows, visible to another server after the cache TTL, and refused with the row and column named when a value
/// does not fit.
/// </summary>
public sealed class RedisAppendTests
{
    [Fact]
    public async Task AppendIsServedOnceAndInTimeOrder()
    {
        await using var flights = await StoredFlights.StartAsync(cacheTtl: TimeSpan.FromMilliseconds(300));
        var rows = await StoredFlights.HeldOutAsync("ORD", 40);
        Assert.Equal(40, rows.Count);
        var (count, distance) = await ExactAsync(flights.Remote, "ORD");

        var first = await flights.Store.AppendAsync(flights.Remote, rows, "feed-0001");
        Assert.True(first.Applied);
        Assert.Equal(40, first.Rows);
        var appendedDistance = rows.Sum(r => (long)r["distance"]!);

        // The window is January and the rows lie inside it, between stored rows: read in time order, all count.
        var (after, afterDistance) = await ExactAsync(flights.Remote, "ORD");
        Assert.Equal(count + 40, after);
        Assert.Equal(distance + appendedDistance, afterDistance);

        var retry = await flights.Store.AppendAsync(flights.Remote, rows, "feed-0001");
        Assert.False(retry.Applied);
        Assert.Equal((count + 40, distance + appendedDistance), await ExactAsync(flights.Remote, "ORD"));

        // Rows of another origin are not in ORD's group.
        Assert.Equal(await ExactAsync(flights.Local, "DEN"), await ExactAsync(flights.Remote, "DEN"));
    }

    [Fact]
    public async Task AnotherServerSeesTheAppendAfterTheCacheTtl()
    {
        var ttl = TimeSpan.FromMilliseconds(300);
        await using var flights = await StoredFlights.StartAsync(cacheTtl: ttl);
        using var other = await (await RedisTableStore.ConnectAsync(flights.Store.Options)).OpenTableAsync("flights");
        var (count, _) = await ExactAsync(other, "ORD");
        var rows = await StoredFlights.HeldOutAsync("ORD", 25);
        await flights.Store.AppendAsync(flights.Remote, rows, "feed-0002");

        var deadline = DateTime.UtcNow + ttl + TimeSpan.FromSeconds(2);
        var seen = count;
        while (seen == count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            (seen, _) = await ExactAsync(other, "ORD");
        }

        Assert.Equal(count + 25, seen);
    }

    [Fact]
    public async Task ValuesThatDoNotFitAreRefusedNamingRowAndColumn()
    {
        await using var flights = await StoredFlights.StartAsync();
        var good = await StoredFlights.HeldOutAsync("ORD", 2);
        var before = await ExactAsync(flights.Remote, "ORD");

        var newAirport = Edit(good, 1, "origin", "XXQ");
        var error = await Assert.ThrowsAsync<SchemaException>(() => flights.Store.AppendAsync(flights.Remote, newAirport, "bad-1"));
        Assert.Equal("rows[1].origin", error.Column);

        var noTime = Edit(good, 0, "date", null);
        error = await Assert.ThrowsAsync<SchemaException>(() => flights.Store.AppendAsync(flights.Remote, noTime, "bad-2"));
        Assert.Equal("rows[0].date", error.Column);

        var text = Edit(good, 1, "delay", "late");
        error = await Assert.ThrowsAsync<SchemaException>(() => flights.Store.AppendAsync(flights.Remote, text, "bad-3"));
        Assert.Equal("rows[1].delay", error.Column);

        var extra = Edit(good, 0, "gate", "B12");
        error = await Assert.ThrowsAsync<SchemaException>(() => flights.Store.AppendAsync(flights.Remote, extra, "bad-4"));
        Assert.Equal("rows[0].gate", error.Column);

        await Assert.ThrowsAsync<QueryException>(() => flights.Store.AppendAsync(flights.Remote, good, " "));

        // Nothing of the refused batches was stored.
        Assert.Equal(before, await ExactAsync(flights.Remote, "ORD"));
    }

    /// <summary>COUNT(*) and SUM(distance) of <paramref name="origin"/>'s January flights, every partition read.</summary>
    private static async Task<(long Count, long Distance)> ExactAsync(PartitionedTable table, string origin)
    {
        var predicate = StoredFlights.January(table, origin);
        using var cursor = table.IsRemote
            ? (await StoredFlights.FetchAsync(table, predicate, table.Partitions)).Cursor
            : predicate.Layout.OpenCursor(predicate, StoredFlights.Aggregates);
        cursor.WidenToPartitions(table.Partitions);
        return ((long)Math.Round(cursor.Estimate(0).Value), (long)Math.Round(cursor.Estimate(2).Value));
    }

    private static List<IReadOnlyDictionary<string, object?>> Edit(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, int row, string column, object? value)
    {
        var copy = rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(r)).ToList();
        ((Dictionary<string, object?>)copy[row])[column] = value;
        return copy;
    }
}
