using Biathlon.Sampling.Errors;

namespace Biathlon.Redis;

/// <summary>How to reach a Redis (or Redis Cluster) store and how to read and write it. Every option is validated by <see cref="Validate"/>.</summary>
public sealed class RedisStoreOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string: one endpoint (<c>127.0.0.1:6379</c>), or several nodes of a cluster
    /// (<c>10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000</c>), with options such as <c>password=…</c> or <c>ssl=true</c>.
    /// Comes from configuration or the environment, never from a pipeline spec.
    /// </summary>
    public required string Configuration { get; init; }

    /// <summary>Prefix of every key this store writes, so several deployments can share one Redis. Default "biathlon".</summary>
    public string KeyPrefix { get; init; } = "biathlon";

    /// <summary>
    /// The longest a store operation may take before it fails (connect, each round's fetch). Default 1 s: a request
    /// whose store is down fails within it instead of hanging.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a fetched segment stays in the local cache, and how often a server re-reads the store's append log.
    /// An append made through any server is served by every other within this time (plus one store round trip).
    /// Default 2 s.
    /// </summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bytes of fetched segments the local cache holds at most; 0 turns it off. Default 64 MiB.</summary>
    public long CacheBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Most rows in one stored segment. A group's rows of one partition are cut into time-ordered segments, so a time
    /// window fetches only the segments it overlaps. Default 4096.
    /// </summary>
    public int SegmentRows { get; init; } = 4096;

    /// <summary>Fewest rows a segment takes before <see cref="SegmentSpan"/> may end it (the last of a run may hold fewer). Default 16.</summary>
    public int SegmentMinRows { get; init; } = 16;

    /// <summary>
    /// Longest time a segment covers once it holds <see cref="SegmentMinRows"/> rows (timestamp time columns; an
    /// integer time column is cut by rows only). Shorter spans fetch less around a narrow window's edges but make more
    /// values. Default 1 day.
    /// </summary>
    public TimeSpan SegmentSpan { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Bytes above which one group's segments are spread over several hash tags (so several cluster slots) instead
    /// of one, partition p going to tag p mod n. Default 64 MiB.
    /// </summary>
    public long SlotBytes { get; init; } = 64L << 20;

    /// <summary>
    /// True (default): each server's local index keeps every row's time (8 bytes a row per layout), so a query's row
    /// count in any time window is exact and a remote table plans exactly as an in-process one. False: the index keeps
    /// each segment's time span only (about 28 bytes a segment) and a window that cuts a segment counts its share of
    /// the span; for tables whose times would not fit a server's memory. Applies to uploads and appends.
    /// </summary>
    public bool IndexRowTimes { get; init; } = true;

    /// <summary>Throws <see cref="ConfigurationException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ConfigurationException(nameof(Configuration), "The Redis configuration string is empty: give an endpoint such as 127.0.0.1:6379.");
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.AsSpan().IndexOfAny("{} \t\r\n") >= 0)
        {
            throw new ConfigurationException(nameof(KeyPrefix), $"The key prefix '{KeyPrefix}' must be non-empty, without braces or white space.");
        }

        Check(nameof(OperationTimeout), OperationTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5));
        Check(nameof(CacheTtl), CacheTtl, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        if (CacheBytes < 0)
        {
            throw new ConfigurationException(nameof(CacheBytes), $"The cache size must be at least 0 bytes (got {CacheBytes}).");
        }

        if (SegmentRows is < 16 or > 1 << 20)
        {
            throw new ConfigurationException(nameof(SegmentRows), $"Rows per segment must lie in [16, 1048576] (got {SegmentRows}).");
        }

        if (SegmentMinRows < 1 || SegmentMinRows > SegmentRows)
        {
            throw new ConfigurationException(nameof(SegmentMinRows), $"The fewest rows per segment must lie in [1, SegmentRows = {SegmentRows}] (got {SegmentMinRows}).");
        }

        if (SegmentSpan <= TimeSpan.Zero)
        {
            throw new ConfigurationException(nameof(SegmentSpan), $"The segment span must be positive (got {SegmentSpan}).");
        }

        if (SlotBytes < 1 << 20)
        {
            throw new ConfigurationException(nameof(SlotBytes), $"The bytes per hash tag must be at least 1 MiB (got {SlotBytes}).");
        }
    }

    private static void Check(string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            throw new ConfigurationException(name, $"{name} must lie in [{min}, {max}] (got {value}).");
        }
    }
}
