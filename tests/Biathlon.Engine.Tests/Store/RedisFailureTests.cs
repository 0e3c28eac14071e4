using System.Diagnostics;
using Biathlon.Redis;
using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Tests.Store;

/// <summary>
/// The timed claims of the store against a real redis-server: a store that goes away, or is down when a table opens,
/// fails fast and is served again once back. They run alone (<see cref="StoreTimingCollection"/>): a bound of seconds
/// says nothing while other test classes upload millions of rows on the same two cores.
/// </summary>
[Collection(StoreTimingCollection.Name)]
public sealed class RedisFailureTests
{
    [Fact]
    public async Task StoreThatGoesAwayFailsFastAndRecovers()
    {
        await using var flights = await StoredFlights.StartAsync(cacheBytes: 0);
        var predicate = StoredFlights.January(flights.Remote, "SFO");
        flights.Redis.Kill();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => StoredFlights.FetchAsync(flights.Remote, predicate, 5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"a fetch against a dead store took {clock.Elapsed}");

        // Redis back (empty: nothing is persisted), the connection is re-established and the store answers again.
        await flights.Redis.RestartAsync();
        var back = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await StoredFlights.FetchAsync(flights.Remote, predicate, 5);
                Assert.Fail("the restarted store has no data, so the fetch must name the missing value");
            }
            catch (DataSourceException e) when (e.Message.Contains("has no value", StringComparison.Ordinal))
            {
                break;
            }
            catch (StoreUnavailableException) when (back.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(100);
            }
        }

        Assert.True(back.Elapsed < TimeSpan.FromSeconds(5), $"reconnecting took {back.Elapsed}");
    }

    [Fact]
    public async Task OpeningFromAStoreThatIsDownFailsFast()
    {
        var redis = await RedisServer.StartAsync();
        var options = StoredFlights.Options(redis, TimeSpan.FromSeconds(1));
        await redis.DisposeAsync();
        var clock = Stopwatch.StartNew();
        var store = await RedisTableStore.ConnectAsync(options);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.OpenTableAsync("flights"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"opening against a dead store took {clock.Elapsed}");
    }

    /// <summary>
    /// The background refresh re-reads the append log every TTL (200 ms here). While it succeeds the table's index is
    /// never much older than that; with Redis killed it ages and says why; once Redis is back it is current again.
    /// </summary>
    [Fact]
    public async Task AnIndexThatCannotBeRefreshedShowsItsAgeAndWhy()
    {
        await using var flights = await StoredFlights.StartAsync(cacheTtl: TimeSpan.FromMilliseconds(200), cacheBytes: 0);
        var table = flights.Remote;
        await Task.Delay(1000);
        Assert.True(table.IndexAge < TimeSpan.FromSeconds(1), $"with Redis up the index is {table.IndexAge} old");
        Assert.Null(table.RefreshFailure);

        flights.Redis.Kill();
        await WaitUntilAsync(() => table.IndexAge > TimeSpan.FromSeconds(1.5) && table.RefreshFailure is not null, "the index to age");
        Assert.Contains("append log of table 'flights'", table.RefreshFailure, StringComparison.Ordinal);

        await flights.Redis.RestartAsync();
        await WaitUntilAsync(() => table.RefreshFailure is null && table.IndexAge < TimeSpan.FromSeconds(1), "the index to be current again");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited 10 s for {what}");
            await Task.Delay(50);
        }
    }
}
