using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Specs;
using Biathlon.Host.Configuration;
using Biathlon.Redis;
using Biathlon.Sampling.Errors;

namespace Biathlon.Host;

/// <summary>
/// <c>Biathlon.Host load-store PIPELINE_FOLDER [--redis CONFIG] [--data DIR] [--key-prefix PREFIX] [--segment-rows N]
/// [--timeout-ms MS]</c>: builds the pipeline's tables with <c>"store": "redis"</c> from their sources and uploads
/// each to the Redis store as a new generation (<see cref="StoreLoader.UploadAsync"/>), printing a line per step.
/// Servers that load the pipeline afterwards (a start, a reload, or one waiting for its store) serve it. Exit codes:
/// 0 uploaded; 1 the store did not answer (or another run-time failure); 2 bad input (arguments, spec, data, settings).
/// </summary>
internal static class StoreLoadCommand
{
    /// <summary>The verb.</summary>
    public const string Verb = "load-store";

    /// <summary>One line of usage, for the help text.</summary>
    public const string Usage = "load-store PIPELINE_FOLDER [--redis CONFIG] [--data DIR] [--key-prefix PREFIX] [--segment-rows N] [--timeout-ms MS]";

    /// <summary>Store operations of a bulk upload write many values at once: they get longer than a serving call's 1 s by default.</summary>
    private const int DefaultTimeoutMs = 10_000;

    /// <summary>Runs the verb on <paramref name="args"/> (the arguments after the verb); returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        string? folder = null, redis = null, data = null, prefix = null;
        int? segmentRows = null, timeoutMs = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (folder is not null)
                {
                    return Fail(errors, $"load-store takes one pipeline folder; got '{folder}' and '{arg}'.");
                }

                folder = arg;
                continue;
            }

            if (i + 1 >= args.Count)
            {
                return Fail(errors, $"{arg} needs a value.");
            }

            var value = args[++i];
            switch (arg)
            {
                case "--redis":
                    redis = value;
                    break;
                case "--data":
                    data = value;
                    break;
                case "--key-prefix":
                    prefix = value;
                    break;
                case "--segment-rows" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rows):
                    segmentRows = rows;
                    break;
                case "--timeout-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms):
                    timeoutMs = ms;
                    break;
                case "--segment-rows" or "--timeout-ms":
                    return Fail(errors, $"{arg} must be a whole number; got '{value}'.");
                default:
                    return Fail(errors, $"Unknown option '{arg}'.");
            }
        }

        if (folder is null)
        {
            return Fail(errors, "Give the pipeline folder (or its pipeline.json) to upload.");
        }

        if (!Directory.Exists(folder) && !File.Exists(folder))
        {
            return Fail(errors, $"The pipeline folder '{folder}' does not exist.");
        }

        if (data is not null && !Directory.Exists(data))
        {
            return Fail(errors, $"The data directory '{data}' (--data) does not exist.");
        }

        var settings = new RedisOptions { Configuration = redis };
        if (settings.EffectiveConfiguration is not { } configuration)
        {
            return Fail(errors, $"No Redis store: give --redis HOST:PORT (or a cluster's nodes, comma-separated), or set {RedisOptions.EnvironmentVariable}.");
        }

        var store = new RedisStoreOptions
        {
            Configuration = configuration,
            KeyPrefix = prefix ?? settings.KeyPrefix,
            SegmentRows = segmentRows ?? settings.SegmentRows,
            OperationTimeout = TimeSpan.FromMilliseconds(timeoutMs ?? DefaultTimeoutMs),
        };
        try
        {
            store.Validate();
        }
        catch (ConfigurationException e)
        {
            return Fail(errors, $"{OptionOf(e.Option)}: {e.Message}");
        }

        var progress = new LineProgress(output);
        var options = new EngineOptions { DataDirectory = data, Redis = store, Progress = progress, LoadModel = false };
        try
        {
            progress.Report($"uploading the Redis tables of {Path.GetFullPath(folder)} to {configuration} (key prefix '{store.KeyPrefix}')");
            var generations = await StoreLoader.UploadAsync(folder, options, cancellationToken).ConfigureAwait(false);
            foreach (var (table, generation) in generations.OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                progress.Report($"done: table '{table}' generation {generation}");
            }

            return 0;
        }
        catch (StoreUnavailableException e)
        {
            errors.WriteLine($"error: the store did not answer; nothing was made current, so retrying is safe. {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is PipelineSpecException or BiathlonException)
        {
            return Fail(errors, e.Message);
        }
        catch (IOException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static string OptionOf(string storeOption) => storeOption switch
    {
        nameof(RedisStoreOptions.Configuration) => "--redis",
        nameof(RedisStoreOptions.KeyPrefix) => "--key-prefix",
        nameof(RedisStoreOptions.SegmentRows) => "--segment-rows",
        nameof(RedisStoreOptions.OperationTimeout) => "--timeout-ms",
        _ => storeOption,
    };

    private static int Fail(TextWriter errors, string message)
    {
        errors.WriteLine($"error: {message}");
        errors.WriteLine($"usage: Biathlon.Host {Usage}");
        return 2;
    }

    /// <summary>Writes each report as a line at once, on the reporting thread (<see cref="Progress{T}"/> would post them out of order).</summary>
    private sealed class LineProgress(TextWriter output) : IProgress<string>
    {
        private readonly Lock _gate = new();

        public void Report(string value)
        {
            lock (_gate)
            {
                output.WriteLine(value);
                output.Flush();
            }
        }
    }
}
