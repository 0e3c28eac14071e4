using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Biathlon.Redis;

/// <summary>
/// One multiplexer per configuration string per process, shared by every table and pipeline that uses it (a
/// multiplexer is thread-safe and meant to be shared). Configured to fail fast: commands issued while disconnected
/// fail at once instead of queueing, every operation is bounded by the store's timeout, and a lost connection is
/// retried every 250 ms so service resumes within a second or so of the store coming back.
/// </summary>
internal static class RedisConnections
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<ConnectionMultiplexer>>> s_shared = new(StringComparer.Ordinal);

    public static Task<ConnectionMultiplexer> GetAsync(RedisStoreOptions options)
    {
        var key = $"{options.Configuration}|{options.OperationTimeout.Ticks}";
        var lazy = s_shared.GetOrAdd(key, _ => new Lazy<Task<ConnectionMultiplexer>>(() => ConnectAsync(options)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // A configuration that failed to parse or connect is tried afresh next time.
            s_shared.TryRemove(new KeyValuePair<string, Lazy<Task<ConnectionMultiplexer>>>(key, lazy));
        }

        return task;
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(RedisStoreOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        var timeout = (int)Math.Ceiling(options.OperationTimeout.TotalMilliseconds);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Max(timeout, 100);
        configuration.SyncTimeout = timeout;
        configuration.AsyncTimeout = timeout;
        configuration.ConnectRetry = 1;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ReconnectRetryPolicy = new LinearRetry(250);
        configuration.ClientName ??= "biathlon";
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }
}
