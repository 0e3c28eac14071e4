using Biathlon.Redis;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Engine.Tests.Store;

/// <summary>
/// The Redis store's read path against a real redis-server: remote cursors agree with in-process ones, a damaged value
/// (truncated, or one flipped bit) is refused and nothing of its round reaches the cursor, the hot-segment cache serves
/// repeats. The timed failure tests are in <see cref="RedisFailureTests"/>.
/// </summary>
public sealed class RedisStoreTests
{
    [Fact]
    public async Task RemoteCursorsEstimateExactlyAsInProcessOnes()
    {
        await using var flights = await StoredFlights.StartAsync();
        foreach (var origin in new[] { "ORD", "DEN", "SFO", "LAS" })
        {
            foreach (var partitions in new[] { 1, 4, 20 })
            {
                var (remote, _) = await StoredFlights.FetchAsync(flights.Remote, StoredFlights.January(flights.Remote, origin), partitions);
                remote.WidenToPartitions(partitions);
                using var local = flights.Local.GetLayout("by_origin").OpenCursor(
                    StoredFlights.January(flights.Local, origin), StoredFlights.Aggregates, order: PartitionOrder.Shuffled(11));
                local.WidenToPartitions(partitions);
                Assert.Equal(local.RowsScanned, remote.RowsScanned);
                for (var a = 0; a < StoredFlights.Aggregates.Length; a++)
                {
                    Assert.Equal(local.Estimate(a), remote.Estimate(a));
                }

                remote.Dispose();
            }
        }
    }

    [Fact]
    public async Task LocalIndexSizesQueriesExactly()
    {
        await using var flights = await StoredFlights.StartAsync();
        var local = StoredFlights.January(flights.Local, "ORD");
        var remote = StoredFlights.January(flights.Remote, "ORD");
        for (var p = 0; p <= flights.Local.Partitions; p++)
        {
            Assert.Equal(flights.Local.GetLayout("by_origin").EstimateRows(local, p), flights.Remote.GetLayout("by_origin").EstimateRows(remote, p));
        }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    public async Task DamagedValueIsNeverServed(string damage)
    {
        await using var flights = await StoredFlights.StartAsync(cacheBytes: 0);
        var predicate = StoredFlights.January(flights.Remote, "ORD");
        var key = FirstKey(flights, predicate);
        var value = await GetAsync(flights, key);
        var damaged = damage == "truncated" ? value[..^9] : Flip(value, value.Length / 2);
        await SetAsync(flights, key, damaged);

        var cursor = predicate.Layout.OpenCursor(predicate, StoredFlights.Aggregates, order: PartitionOrder.Shuffled(11));
        var batch = new Sampling.Sources.FetchBatch();
        batch.Add(cursor, 20);
        var error = await Assert.ThrowsAsync<DataSourceException>(() => flights.Remote.Source!.FetchAsync(batch, CancellationToken.None).AsTask());
        Assert.Equal(key, error.SourceName);
        Assert.Contains(damage == "truncated" ? "truncated" : "checksum", error.Message);

        // Nothing of the failed round reached the cursor: widening finds its partitions unfetched, not partly read.
        Assert.Throws<InvalidOperationException>(() => cursor.WidenToPartitions(20));
        Assert.Equal(0, cursor.RowsScanned);

        // Restored, the same round serves the in-process answer.
        await SetAsync(flights, key, value);
        var (again, _) = await StoredFlights.FetchAsync(flights.Remote, predicate, 20);
        again.WidenToPartitions(20);
        using var local = flights.Local.GetLayout("by_origin").OpenCursor(StoredFlights.January(flights.Local, "ORD"), StoredFlights.Aggregates);
        local.WidenToPartitions(20);
        Assert.Equal(local.Estimate(1).Value, again.Estimate(1).Value);
    }

    [Fact]
    public async Task WideningFetchesOnlyTheNewPartitionsSegmentsInTheWindow()
    {
        await using var flights = await StoredFlights.StartAsync(cacheBytes: 0);
        // Every flight of January: the "all" layout's partitions hold about 16 segments each, a few of them January's.
        var predicate = flights.Remote.GetLayout("all").Bind(new Sampling.Queries.RowPredicate
        {
            From = StoredFlights.January(flights.Remote, "ORD").From,
            To = StoredFlights.January(flights.Remote, "ORD").To,
        });
        var index = predicate.Layout.RemoteIndex!;
        var order = PartitionOrder.Shuffled(11);
        int Expected(int from, int to, bool inWindow = true)
        {
            var count = 0;
            for (var k = from; k < to; k++)
            {
                foreach (var segment in index.Segments(predicate.GroupId, order.PartitionAt(k, flights.Remote.Partitions)))
                {
                    count += !inWindow || segment.Overlaps(predicate.From, predicate.To) ? 1 : 0;
                }
            }

            return count;
        }

        var (cursor, first) = await StoredFlights.FetchAsync(flights.Remote, predicate, 5);
        cursor.WidenToPartitions(5);
        Assert.Equal(Expected(0, 5), first.Values);

        // The next round names partitions 5..11 only; segments outside January are never fetched.
        var next = new Sampling.Sources.FetchBatch();
        next.Add(cursor, 12);
        await flights.Remote.Source!.FetchAsync(next, CancellationToken.None);
        Assert.Equal(Expected(5, 12), next.Values);
        Assert.True(Expected(5, 12, inWindow: false) > 3 * next.Values, $"{Expected(5, 12, inWindow: false)} segments stored, {next.Values} fetched");
        cursor.WidenToPartitions(12);
        Assert.Equal(12, cursor.PartitionsRead);

        using var local = flights.Local.GetLayout("all").OpenCursor(
            flights.Local.GetLayout("all").Bind(new Sampling.Queries.RowPredicate { From = predicate.From, To = predicate.To }), StoredFlights.Aggregates, order: order);
        local.WidenToPartitions(12);
        Assert.Equal(local.RowsScanned, cursor.RowsScanned);
        Assert.Equal(local.Estimate(1), cursor.Estimate(1));
    }

    [Fact]
    public async Task CacheServesRepeatedGroupsWithoutFetching()
    {
        await using var flights = await StoredFlights.StartAsync(cacheTtl: TimeSpan.FromMinutes(5));
        var (_, first) = await StoredFlights.FetchAsync(flights.Remote, StoredFlights.January(flights.Remote, "ORD"), 10);
        Assert.True(first.Values > 0);
        Assert.Equal(0, first.CacheHits);
        var (_, second) = await StoredFlights.FetchAsync(flights.Remote, StoredFlights.January(flights.Remote, "ORD"), 10);
        Assert.Equal(0, second.Values);
        Assert.Equal(first.Values, second.CacheHits);
    }

    [Fact]
    public async Task CacheEntriesExpireAfterTheirTtl()
    {
        await using var flights = await StoredFlights.StartAsync(cacheTtl: TimeSpan.FromMilliseconds(200));
        var (_, first) = await StoredFlights.FetchAsync(flights.Remote, StoredFlights.January(flights.Remote, "DEN"), 10);
        await Task.Delay(400);
        var (_, second) = await StoredFlights.FetchAsync(flights.Remote, StoredFlights.January(flights.Remote, "DEN"), 10);
        Assert.Equal(first.Values, second.Values);
        Assert.Equal(0, second.CacheHits);
    }

    private static string FirstKey(StoredFlights flights, Sampling.Queries.BoundPredicate predicate)
    {
        var index = predicate.Layout.RemoteIndex!;
        var cursor = predicate.Layout.OpenCursor(predicate, StoredFlights.Aggregates, order: PartitionOrder.Shuffled(11));
        var slots = new List<int>();
        cursor.ListPending(20, slots);
        foreach (var slot in slots)
        {
            foreach (var segment in index.Segments(predicate.GroupId, slot))
            {
                if (segment.Overlaps(predicate.From, predicate.To))
                {
                    var keys = ((RedisPartitionSource)flights.Remote.Source!).Keys;
                    return keys.Segment(predicate.Layout.Name, index.Key(predicate.GroupId), index.Splits(predicate.GroupId), slot, segment.Id);
                }
            }
        }

        throw new InvalidOperationException("ORD has no January rows.");
    }

    private static async Task<byte[]> GetAsync(StoredFlights flights, string key)
    {
        var db = (await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(flights.Redis.Endpoint)).GetDatabase();
        return (byte[])(await db.StringGetAsync(key))!;
    }

    private static async Task SetAsync(StoredFlights flights, string key, byte[] value)
    {
        var db = (await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(flights.Redis.Endpoint)).GetDatabase();
        await db.StringSetAsync(key, value);
    }

    private static byte[] Flip(byte[] value, int at)
    {
        var copy = (byte[])value.Clone();
        copy[at] ^= 0x10;
        return copy;
    }
}
