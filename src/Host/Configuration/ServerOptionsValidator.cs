using Biathlon.Redis;
using Biathlon.Sampling.Errors;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Configuration;

/// <summary>Checks the <c>Biathlon</c> settings at start; a bad one stops the server with a message naming the setting.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var failures = new List<string>();
        void Check(bool ok, string setting, string rule)
        {
            if (!ok)
            {
                failures.Add($"{ServerOptions.Section}:{setting} {rule}.");
            }
        }

        var l = options.Limits;
        Check(options.DrainDelaySeconds is >= 0 and <= 300, "DrainDelaySeconds", "must lie between 0 and 300");
        Check(l.MaxBodyBytes > 0, "Limits:MaxBodyBytes", "must be above 0");
        Check(l.MaxStringLength > 0, "Limits:MaxStringLength", "must be above 0");
        Check(l.MaxBatchSize > 0, "Limits:MaxBatchSize", "must be above 0");
        Check(l.MinDeltaRatio > 0, "Limits:MinDeltaRatio", "must be above 0");
        Check(l.MaxDeltaRatio >= l.MinDeltaRatio, "Limits:MaxDeltaRatio", "must be at least Limits:MinDeltaRatio");
        Check(l.MinTau is > 0 and < 1, "Limits:MinTau", "must lie strictly between 0 and 1");
        Check(l.MaxTau is > 0 and < 1 && l.MaxTau >= l.MinTau, "Limits:MaxTau", "must lie strictly between 0 and 1 and be at least Limits:MinTau");
        Check(l.DefaultDeadlineMs > 0, "Limits:DefaultDeadlineMs", "must be above 0");
        Check(l.MaxDeadlineMs >= l.DefaultDeadlineMs, "Limits:MaxDeadlineMs", "must be at least Limits:DefaultDeadlineMs");
        Check(l.MaxConcurrency > 0, "Limits:MaxConcurrency", "must be above 0");
        Check(l.QueueLength >= 0, "Limits:QueueLength", "must not be negative");
        var c = options.Compute;
        Check(Enum.IsDefined(c.Backend), "Compute:Backend", "must be auto, cpu, cuda or gpuSimulator");
        Check(c.BatchWaitMicroseconds is >= 0 and <= 10_000, "Compute:BatchWaitMicroseconds", "must lie between 0 and 10,000");
        Check(c.DeviceMemoryBudgetMiB is >= 0 and <= 1L << 30, "Compute:DeviceMemoryBudgetMiB", "must lie between 0 (half the device) and 1,073,741,824");
        CheckStore(options.Store.Redis, failures);
        foreach (var (pipeline, shadow) in options.Shadows)
        {
            Check(shadow.Share is >= 0 and <= 1, $"Shadows:{pipeline}:Share", "must lie between 0 and 1");
            Check(shadow.Folder.Length > 0, $"Shadows:{pipeline}:Folder", "is empty");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// The store settings, checked by the store's own rules (<see cref="RedisStoreOptions.Validate"/>) so the two never
    /// disagree, even when no store is configured (a setting nobody uses yet is still wrong). The first bad one is named.
    /// </summary>
    private static void CheckStore(RedisOptions redis, List<string> failures)
    {
        const string Prefix = ServerOptions.Section + ":Store:Redis:";
        if (redis.Configuration is { Length: > 0 } given && string.IsNullOrWhiteSpace(given))
        {
            failures.Add($"{Prefix}{nameof(RedisOptions.Configuration)} is blank: give an endpoint such as 127.0.0.1:6379, or leave it unset.");
            return;
        }

        if (redis.CacheMiB is < 0 or > RedisOptions.MaxCacheMiB)
        {
            failures.Add($"{Prefix}{nameof(RedisOptions.CacheMiB)} must lie between 0 (no cache) and {RedisOptions.MaxCacheMiB:N0}; got {redis.CacheMiB}.");
            return;
        }

        try
        {
            // Without a configured store the other settings are still checked, against a placeholder endpoint.
            redis.ToStoreOptions(redis.EffectiveConfiguration ?? "127.0.0.1:6379").Validate();
        }
        catch (ConfigurationException e)
        {
            failures.Add($"{Prefix}{RedisOptions.SettingOf(e.Option)} is out of range: {e.Message}");
        }
    }
}
