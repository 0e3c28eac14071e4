namespace Biathlon.Host.Configuration;

/// <summary>
/// Where the pipelines' scale-out tables live (section <c>Biathlon:Store</c>): tables whose spec says
/// <c>"store": "redis"</c> are served from <see cref="Redis"/>. The connection is the operator's, never the spec's.
/// </summary>
internal sealed class StoreOptions
{
    /// <summary>The Redis (or Redis Cluster) store: section <c>Biathlon:Store:Redis</c>.</summary>
    public RedisOptions Redis { get; set; } = new();
}
