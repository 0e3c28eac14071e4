using Biathlon.Redis;

namespace Biathlon.Host.Configuration;

/// <summary>
/// The Redis store of the tables with <c>"store": "redis"</c> (section <c>Biathlon:Store:Redis</c>), handed to every
/// engine the server loads as its <see cref="Engine.EngineOptions.Redis"/>. Without <see cref="Configuration"/> the
/// environment variable <c>BIATHLON_REDIS</c> names the store, with these settings; without either, a pipeline with a
/// Redis table fails to load, naming the table.
/// </summary>
internal sealed class RedisOptions
{
    /// <summary>The environment variable that names the store when <see cref="Configuration"/> is not set.</summary>
    public const string EnvironmentVariable = "BIATHLON_REDIS";

    /// <summary>The largest <see cref="CacheMiB"/> (1 TiB): beyond it the byte count would not be meaningful.</summary>
    public const long MaxCacheMiB = 1L << 20;

    /// <summary>A StackExchange.Redis configuration string: <c>127.0.0.1:6379</c>, or several cluster nodes, comma-separated, with options such as <c>password=…</c>.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key, so several deployments can share one Redis (default <c>biathlon</c>); the bulk loader must use the same.</summary>
    public string KeyPrefix { get; set; } = "biathlon";

    /// <summary>Longest a store operation may take (connect, each round's fetch, an append) before the call fails with 503 (default 1,000).</summary>
    public int OperationTimeoutMilliseconds { get; set; } = 1_000;

    /// <summary>How long a fetched segment is reused, and how often the store's append log is re-read (default 2,000): another server's append is served within it.</summary>
    public int CacheTtlMilliseconds { get; set; } = 2_000;

    /// <summary>Memory for fetched segments, in MiB (default 64; 0 turns the cache off).</summary>
    public long CacheMiB { get; set; } = 64;

    /// <summary>Most rows per stored segment that appends write (default 4,096).</summary>
    public int SegmentRows { get; set; } = 4_096;

    /// <summary>Fewest rows a segment takes before its time span may end it (default 16).</summary>
    public int SegmentMinRows { get; set; } = 16;

    /// <summary>Longest time one segment covers once it holds SegmentMinRows rows, in minutes (default 1,440: a day).</summary>
    public int SegmentSpanMinutes { get; set; } = 1_440;

    /// <summary>The configuration string in force: <see cref="Configuration"/>, else <c>BIATHLON_REDIS</c>, else null.</summary>
    public string? EffectiveConfiguration =>
        !string.IsNullOrEmpty(Configuration) ? Configuration
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;

    /// <summary>The store options for the engines, or null when no store is configured.</summary>
    public RedisStoreOptions? ToStoreOptions() =>
        EffectiveConfiguration is { } configuration ? ToStoreOptions(configuration) : null;

    /// <summary>The store options with <paramref name="configuration"/> as the configuration string.</summary>
    public RedisStoreOptions ToStoreOptions(string configuration) => new()
    {
        Configuration = configuration,
        KeyPrefix = KeyPrefix,
        OperationTimeout = TimeSpan.FromMilliseconds(OperationTimeoutMilliseconds),
        CacheTtl = TimeSpan.FromMilliseconds(CacheTtlMilliseconds),
        CacheBytes = CacheMiB is >= 0 and <= MaxCacheMiB ? CacheMiB << 20 : -1,
        SegmentRows = SegmentRows,
        SegmentMinRows = SegmentMinRows,
        SegmentSpan = TimeSpan.FromMinutes(SegmentSpanMinutes),
    };

    /// <summary>The setting (below <c>Biathlon:Store:Redis</c>) that holds a <see cref="RedisStoreOptions"/> option.</summary>
    public static string SettingOf(string storeOption) => storeOption switch
    {
        nameof(RedisStoreOptions.OperationTimeout) => nameof(OperationTimeoutMilliseconds),
        nameof(RedisStoreOptions.CacheTtl) => nameof(CacheTtlMilliseconds),
        nameof(RedisStoreOptions.CacheBytes) => nameof(CacheMiB),
        nameof(RedisStoreOptions.SegmentSpan) => nameof(SegmentSpanMinutes),
        _ => storeOption,
    };
}
