using Biathlon.Redis;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Sources;

namespace Biathlon.Engine.Tests.Store;

/// <summary>
/// Every 150th of the 3 million real flights of flights-3m.parquet (20,000 rows over January–June 2001, written once
/// per test run as CSV and read back), built in process (20 partitions, layouts "all" and "by_origin") and uploaded to
/// a fresh redis-server, with helpers to read a query through both and compare.
/// </summary>
internal sealed class StoredFlights : IAsyncDisposable
{
    private StoredFlights(RedisServer redis, PartitionedTable local, RedisTableStore store, PartitionedTable remote)
    {
        Redis = redis;
        Local = local;
        Store = store;
        Remote = remote;
    }

    public RedisServer Redis { get; }

    public PartitionedTable Local { get; }

    public RedisTableStore Store { get; }

    public PartitionedTable Remote { get; }

    public static readonly AggregateSpec[] Aggregates = [AggregateSpec.Count(), AggregateSpec.Avg("delay"), AggregateSpec.Sum("distance")];

    public static async Task<StoredFlights> StartAsync(TimeSpan? cacheTtl = null, long cacheBytes = 64L << 20, bool appendOnly = false)
    {
        var redis = await RedisServer.StartAsync();
        var raw = await TableReader.ReadFileAsync(await SampleFileAsync());
        var local = PartitionedTable.Build(raw, new TableOptions
        {
            Name = "flights",
            Partitions = 20,
            Seed = 3,
            TimeColumn = "date",
            Layouts = [new LayoutSpec("all", []), new LayoutSpec("by_origin", ["origin"])],
        });
        var store = await RedisTableStore.ConnectAsync(Options(redis, cacheTtl ?? TimeSpan.FromSeconds(2), cacheBytes));
        await store.UploadAsync(local);
        var remote = await store.OpenTableAsync("flights");
        return new StoredFlights(redis, local, store, remote);
    }

    public static RedisStoreOptions Options(RedisServer redis, TimeSpan cacheTtl, long cacheBytes = 64L << 20) => new()
    {
        Configuration = redis.Endpoint,
        KeyPrefix = "t" + Guid.NewGuid().ToString("n")[..8],
        OperationTimeout = TimeSpan.FromSeconds(5), // generous: other test classes upload millions of rows meanwhile
        CacheTtl = cacheTtl,
        CacheBytes = cacheBytes,
        SegmentRows = 64,
    };

    /// <summary>A predicate on <paramref name="table"/>'s by_origin layout: one airport, January 2001.</summary>
    public static BoundPredicate January(PartitionedTable table, string origin) => table.GetLayout("by_origin").Bind(new RowPredicate
    {
        Keys = new Dictionary<string, object?> { ["origin"] = origin },
        From = TimeValue.FromDateTime(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
        To = TimeValue.FromDateTime(new DateTime(2001, 2, 1, 0, 0, 0, DateTimeKind.Utc)),
    });

    /// <summary>Opens a cursor on the remote table and fetches what widening it to <paramref name="partitions"/> reads.</summary>
    public static async Task<(SampleCursor Cursor, FetchBatch Batch)> FetchAsync(PartitionedTable remote, BoundPredicate predicate, int partitions)
    {
        var cursor = predicate.Layout.OpenCursor(predicate, Aggregates, order: PartitionOrder.Shuffled(11));
        var batch = new FetchBatch();
        batch.Add(cursor, partitions);
        await remote.Source!.FetchAsync(batch, CancellationToken.None);
        return (cursor, batch);
    }

    /// <summary>
    /// Real flights the sample left out (rows just after sampled ones) from <paramref name="origin"/> in January 2001,
    /// as append rows: what a feed would send next.
    /// </summary>
    public static async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> HeldOutAsync(string origin, int count)
    {
        var all = await s_full.Value;
        var dates = all.GetInt64s("date");
        var delays = all.GetInt64s("delay");
        var distances = all.GetInt64s("distance");
        var origins = all.GetStrings("origin");
        var destinations = all.GetStrings("destination");
        var february = TimeValue.FromDateTime(new DateTime(2001, 2, 1, 0, 0, 0, DateTimeKind.Utc));
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        for (var r = 1; r < dates.Length && rows.Count < count; r += 150)
        {
            if (origins[r] == origin && dates[r] < february)
            {
                rows.Add(new Dictionary<string, object?>
                {
                    ["date"] = TimeValue.ToDateTime(dates[r]),
                    ["delay"] = delays[r],
                    ["distance"] = distances[r],
                    ["origin"] = origins[r],
                    ["destination"] = destinations[r],
                });
            }
        }

        return rows;
    }

    private static readonly Lazy<Task<RawTable>> s_full = new(() => TableReader.ReadFileAsync(RealData.Require("flights", "flights-3m.parquet")));

    private static readonly Lazy<Task<string>> s_sample = new(WriteSampleAsync);

    private static Task<string> SampleFileAsync() => s_sample.Value;

    private static async Task<string> WriteSampleAsync()
    {
        var all = await s_full.Value;
        var dates = all.GetInt64s("date").ToArray();
        var delays = all.GetInt64s("delay").ToArray();
        var distances = all.GetInt64s("distance").ToArray();
        var origins = all.GetStrings("origin");
        var destinations = all.GetStrings("destination");
        var path = Path.Combine(Path.GetTempPath(), $"biathlon-store-flights-{Environment.ProcessId}.csv");
        using (var writer = new StreamWriter(path))
        {
            await writer.WriteLineAsync("date,delay,distance,origin,destination");
            for (var r = 0; r < dates.Length; r += 150)
            {
                var date = TimeValue.ToDateTime(dates[r]).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
                await writer.WriteLineAsync($"{date},{delays[r]},{distances[r]},{origins[r]},{destinations[r]}");
            }
        }

        return path;
    }

    public async ValueTask DisposeAsync()
    {
        Remote.Dispose();
        Local.Dispose();
        await Redis.DisposeAsync();
    }
}
