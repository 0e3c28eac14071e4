namespace Biathlon.Engine;

/// <summary>What one prediction fetched from a remote store (<see cref="PredictionResult.Store"/>).</summary>
/// <param name="Store">The store, such as "redis 127.0.0.1:6379"; null when every table is in process.</param>
/// <param name="Values">Stored segments fetched over the network.</param>
/// <param name="Bytes">Bytes of those segments.</param>
/// <param name="CacheHits">Segments served from the server's hot-segment cache instead.</param>
/// <param name="FetchTime">Time spent waiting on the store.</param>
public sealed record StoreUse(string? Store, int Values, long Bytes, int CacheHits, TimeSpan FetchTime)
{
    /// <summary>Every table in process: nothing fetched.</summary>
    public static StoreUse InProcess { get; } = new(null, 0, 0, 0, TimeSpan.Zero);
}
