using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Biathlon.Engine;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Cli;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Propagation;
using Biathlon.Redis;

namespace Biathlon.Experiments.Store;

/// <summary>
/// The <c>store-bench</c> verb: a pipeline served with its table in Redis, exact vs biathlon, in process (an embedder's
/// view: no HTTP). Per pipeline: an in-process reference, then per topology (one node; a 3-master cluster) the table is
/// uploaded once and served with the hot-segment cache off and on, at each client count. In every cell the two modes
/// alternate slice by slice, the first mode swapping each slice, so both see the machine in the same state.
/// </summary>
public static class StoreBenchCommand
{
    /// <summary>The store's operation timeout in the benchmark: an exact request of a large table fetches for longer than the 1 s default under 8 clients.</summary>
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromSeconds(60);

    public const string MarkdownFile = "redis-store.md";
    public const string JsonFile = "redis-store.json";

    public static System.CommandLine.Command Create() => StoreBenchOptions.Create(RunAsync);

    public static async Task<int> RunAsync(StoreBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var progress = CliProgress.Instance;
        var started = DateTime.UtcNow;
        var folder = options.OutFolder ?? Path.Combine(RepositoryPaths.Root, "experiments", "reports", started.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var version = await RedisNode.VersionAsync().ConfigureAwait(false);
        var defaults = new RedisStoreOptions { Configuration = "-" };
        var settings = new StoreBenchSettings(
            options.Slice.TotalSeconds, options.Slices, options.Warmup.TotalSeconds, options.Requests, options.Seed, defaults.CacheBytes,
            defaults.CacheTtl.TotalSeconds, options.SegmentRows, s_operationTimeout.TotalSeconds);

        // Everything a pipeline needs is checked before the first server starts.
        var sets = new List<(IPipelineRecipe Recipe, string Folder, IReadOnlyDictionary<string, object?>[] Requests, string Description)>();
        foreach (var name in options.Pipelines)
        {
            var recipe = RecipeCatalog.Find(name);
            var pipelineFolder = Path.Combine(options.PipelinesRoot, name);
            var spec = Path.Combine(pipelineFolder, PipelineSpecLoader.SpecFileName);
            if (!File.Exists(spec))
            {
                throw new CliException($"pipeline '{name}' has no spec at {spec}", 2);
            }

            DatasetFetcher.Require(recipe.DatasetSet, recipe.DatasetFile);
            var definition = PipelineSpecLoader.Load(pipelineFolder, RepositoryPaths.Data);
            if (!File.Exists(definition.ModelFile))
            {
                throw new CliException($"pipeline '{name}' has no model at {definition.ModelFile}: run `prepare --pipeline {name}` first");
            }

            var drawn = await recipe.LoadRequestsAsync(RepositoryPaths.Data, RecipeSizes.Full, options.Seed).ConfigureAwait(false);
            var test = drawn.Test.Take(options.Requests).ToArray();
            if (test.Length == 0)
            {
                throw new CliException($"pipeline '{name}' has no held-out requests");
            }

            var description = $"the first {test.Length} held-out test requests of `run` (seed {options.Seed}) from {recipe.DatasetFile}, " +
                              $"stream time {test.Min(t => t.Time):yyyy-MM-dd HH:mm} to {test.Max(t => t.Time):yyyy-MM-dd HH:mm}";
            sets.Add((recipe, pipelineFolder, test.Select(t => (IReadOnlyDictionary<string, object?>)t.ToRequest()).ToArray(), description));
            progress.Report($"{name}: {test.Length} requests");
        }

        var uptimeBefore = await UptimeAsync().ConfigureAwait(false);
        progress.Report($"uptime before: {uptimeBefore}");
        var cells = new List<StoreBenchCell>();
        var pipelines = new List<StoreBenchPipeline>();
        foreach (var (recipe, pipelineFolder, requests, description) in sets)
        {
            var name = recipe.Name;
            var exact = new ConcurrentDictionary<int, double>();
            var measured = new List<(StoreBenchCell Cell, List<BenchSample> Biathlon, bool Classification)>();
            var uploads = new List<StoreBenchUpload>();
            var footprints = new List<EngineFootprint>();
            if (options.Memory)
            {
                footprints.Add(await ServeAsync(
                    "in process",
                    () => BiathlonEngine.LoadAsync(pipelineFolder, new EngineOptions { DataDirectory = RepositoryPaths.Data, Progress = progress }),
                    async engine =>
                    {
                        foreach (var clients in options.Clients)
                        {
                            measured.Add(await CellAsync(engine, requests, options, exact, name, "memory", "in-process", "-", clients, progress).ConfigureAwait(false));
                        }
                    }).ConfigureAwait(false));
            }

            foreach (var topology in options.Topologies)
            {
                progress.Report($"starting redis ({topology})");
                await using var redis = await RedisDeployment.StartAsync(topology).ConfigureAwait(false);
                progress.Report($"redis {topology} at {redis.Configuration}");
                var copy = Path.Combine(Path.GetTempPath(), $"biathlon-store-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
                try
                {
                    var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
                    var redisFolder = WriteRedisCopy(pipelineFolder, copy);
                    var log = new List<string>();
                    var uploadProgress = new Progress(progress, log);
                    var watch = Stopwatch.StartNew();
                    await StoreLoader.UploadAsync(redisFolder, EngineOptionsFor(pipelineFolder, RedisOptions(redis, prefix, defaults.CacheBytes, options), uploadProgress)).ConfigureAwait(false);
                    var seconds = watch.Elapsed.TotalSeconds;
                    var footprint = await redis.FootprintAsync().ConfigureAwait(false);
                    uploads.Add(new StoreBenchUpload(topology, seconds, footprint.Keys, footprint.UsedMemoryBytes, footprint.DatasetBytes, log.Where(l => l.Contains("is current", StringComparison.Ordinal)).ToArray()));
                    progress.Report(string.Create(CultureInfo.InvariantCulture, $"uploaded in {seconds:F1} s: {footprint.Keys:N0} keys, used_memory {footprint.UsedMemoryBytes / 1048576:F1} MiB"));
                    foreach (var cache in options.Cache)
                    {
                        var bytes = cache == "on" ? defaults.CacheBytes : 0;
                        footprints.Add(await ServeAsync(
                            $"redis {topology}, cache {cache}",
                            () => BiathlonEngine.LoadAsync(redisFolder, EngineOptionsFor(pipelineFolder, RedisOptions(redis, prefix, bytes, options), progress)),
                            async engine =>
                            {
                                foreach (var clients in options.Clients)
                                {
                                    measured.Add(await CellAsync(engine, requests, options, exact, name, "redis", topology, cache, clients, progress).ConfigureAwait(false));
                                }
                            }).ConfigureAwait(false));
                    }
                }
                finally
                {
                    if (Directory.Exists(copy))
                    {
                        Directory.Delete(copy, recursive: true);
                    }
                }
            }

            // A biathlon answer is compared with the exact answer to the same request from any cell of the pipeline (exact
            // answers are the same in every store), so agreement is computed once all cells have run.
            foreach (var (cell, biathlon, classification) in measured)
            {
                cells.Add(cell with { Biathlon = cell.Biathlon with { WithinDeltaShare = BenchStats.WithinDelta(biathlon, exact, classification) } });
            }

            pipelines.Add(new StoreBenchPipeline(name, requests.Length, description, uploads) { Engines = footprints });
        }

        var uptimeAfter = await UptimeAsync().ConfigureAwait(false);
        var results = new StoreBenchResults
        {
            StartedUtc = started,
            FinishedUtc = DateTime.UtcNow,
            Command = "dotnet run -c Release --project experiments/Biathlon.Experiments -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            Machine = HarnessCommands.Machine(),
            Cores = Environment.ProcessorCount,
            Build = typeof(StoreBenchCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "?",
            RedisVersion = version,
            UptimeBefore = uptimeBefore,
            UptimeAfter = uptimeAfter,
            DryRun = options.DryRun,
            Settings = settings,
            Pipelines = pipelines,
            Cells = cells,
            Goals = StoreBenchReport.Goals(cells),
        };
        var files = StoreBenchReport.Write(results, folder);
        Console.WriteLine();
        foreach (var goal in results.Goals)
        {
            Console.WriteLine($"goal: {goal.Goal} ({goal.Scope}): {goal.Verdict} ({goal.Measured})");
        }

        Console.WriteLine($"report: {string.Join(", ", files)}");
        return 0;
    }

    /// <summary>One cell: a warm-up per mode, then the slices, exact and biathlon alternating.</summary>
    private static async Task<(StoreBenchCell Cell, List<BenchSample> Biathlon, bool Classification)> CellAsync(
        BiathlonEngine engine, IReadOnlyDictionary<string, object?>[] requests, StoreBenchOptions options, ConcurrentDictionary<int, double> exact,
        string pipeline, string store, string topology, string cache, int clients, IProgress<string> progress)
    {
        var loop = new BenchLoop(engine, requests, clients);
        foreach (var mode in new[] { BenchMode.Exact, BenchMode.Biathlon })
        {
            var (warm, _) = await loop.RunSliceAsync(mode, options.Warmup).ConfigureAwait(false);
            Remember(warm, mode, exact);
        }

        var samples = new[] { new List<BenchSample>(), new List<BenchSample>() };
        var seconds = new double[2];
        for (var s = 0; s < options.Slices; s++)
        {
            var order = s % 2 == 0 ? new[] { BenchMode.Exact, BenchMode.Biathlon } : [BenchMode.Biathlon, BenchMode.Exact];
            foreach (var mode in order)
            {
                var (slice, elapsed) = await loop.RunSliceAsync(mode, options.Slice).ConfigureAwait(false);
                Remember(slice, mode, exact);
                samples[(int)mode].AddRange(slice);
                seconds[(int)mode] += elapsed.TotalSeconds;
            }
        }

        var classification = engine.Definition.Task != PredictionTask.Regression;
        var exactStats = BenchStats.Of(samples[0], seconds[0], exact, classification);
        var biathlonStats = BenchStats.Of(samples[1], seconds[1], exact, classification);
        var cell = new StoreBenchCell(pipeline, store, topology, cache, clients, exactStats, biathlonStats, BenchStats.Ratios(exactStats, biathlonStats, samples[0], samples[1]));
        progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"{pipeline} {cell.Label}: exact p50 {exactStats.P50Ms:F2} ms, {exactStats.BytesMean / 1024:F0} KiB, {exactStats.ThroughputRps:F1} req/s ({exactStats.Requests}, {exactStats.Errors} errors); " +
            $"biathlon p50 {biathlonStats.P50Ms:F2} ms, {biathlonStats.BytesMean / 1024:F0} KiB, {biathlonStats.ThroughputRps:F1} req/s ({biathlonStats.Requests}, {biathlonStats.Errors} errors); " +
            $"×{cell.Ratios.P50Latency:F1} p50, ×{cell.Ratios.BytesMean:F1} bytes; on the same {cell.Ratios.PairedRequests} requests ×{cell.Ratios.PairedP50Latency:F1} p50, ×{cell.Ratios.PairedBytesMean:F1} bytes"));
        foreach (var message in exactStats.ErrorMessages.Concat(biathlonStats.ErrorMessages).Distinct(StringComparer.Ordinal))
        {
            progress.Report($"  error: {message}");
        }

        return (cell, samples[1], classification);
    }

    private static (long Heap, long WorkingSet) Footprint()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }

    /// <summary>
    /// Loads an engine, measures what the load added (heap after a full collection, working set), serves with it and
    /// disposes it. No reference to it outlives this call, so the next engine's "before" does not count this one.
    /// </summary>
    private static async Task<EngineFootprint> ServeAsync(string label, Func<Task<BiathlonEngine>> load, Func<BiathlonEngine, Task> serve)
    {
        var before = Footprint();
        BiathlonEngine? engine = await load().ConfigureAwait(false);
        EngineFootprint footprint;
        try
        {
            var after = Footprint();
            footprint = new EngineFootprint(label, after.Heap - before.Heap, after.WorkingSet - before.WorkingSet);
            await serve(engine).ConfigureAwait(false);
        }
        finally
        {
            engine.Dispose();
            engine = null;
        }

        return footprint with { RetainedHeapBytes = Footprint().Heap - before.Heap };
    }

    private static void Remember(List<BenchSample> samples, BenchMode mode, ConcurrentDictionary<int, double> exact)
    {
        if (mode != BenchMode.Exact)
        {
            return;
        }

        foreach (var s in samples.Where(s => s.Error is null))
        {
            exact.TryAdd(s.Index, s.Value);
        }
    }

    private static RedisStoreOptions RedisOptions(RedisDeployment redis, string prefix, long cacheBytes, StoreBenchOptions options) => new()
    {
        Configuration = redis.Configuration,
        KeyPrefix = prefix,
        CacheBytes = cacheBytes,
        SegmentRows = options.SegmentRows,
        OperationTimeout = s_operationTimeout,
    };

    /// <summary>Engine options that read the original pipeline's data and table cache, with its tables in <paramref name="redis"/>.</summary>
    private static EngineOptions EngineOptionsFor(string pipelineFolder, RedisStoreOptions redis, IProgress<string> progress) => new()
    {
        DataDirectory = RepositoryPaths.Data,
        CacheDirectory = Path.Combine(pipelineFolder, ".cache"),
        Progress = progress,
        Redis = redis,
    };

    /// <summary>
    /// A copy of the pipeline's spec in <paramref name="copy"/> whose tables that queries read say <c>"store": "redis"</c>;
    /// the model is the original's (by absolute path) and so is the cost profile. Returns the copy's folder.
    /// </summary>
    private static string WriteRedisCopy(string pipelineFolder, string copy)
    {
        Directory.CreateDirectory(copy);
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipelineFolder, PipelineSpecLoader.SpecFileName)))!.AsObject();
        var read = spec["queries"]!.AsArray().Select(q => (string)q!["table"]!).ToHashSet(StringComparer.Ordinal);
        foreach (var table in spec["tables"]!.AsArray())
        {
            if (read.Contains((string)table!["name"]!))
            {
                table["store"] = "redis";
            }
        }

        if (spec["model"] is JsonObject model && model["file"] is JsonValue file)
        {
            model["file"] = Path.GetFullPath(Path.Combine(pipelineFolder, (string)file!));
        }

        File.WriteAllText(Path.Combine(copy, PipelineSpecLoader.SpecFileName), spec.ToJsonString());
        var profile = Path.Combine(pipelineFolder, "cost-profile.json");
        if (File.Exists(profile))
        {
            File.Copy(profile, Path.Combine(copy, "cost-profile.json"));
        }

        return copy;
    }

    private static async Task<string> UptimeAsync()
    {
        try
        {
            var (code, output) = await RedisNode.RunAsync("uptime", [], CancellationToken.None).ConfigureAwait(false);
            if (code == 0)
            {
                return output.Trim();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        return File.Exists("/proc/loadavg") ? "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
    }

    /// <summary>Passes messages on and keeps them.</summary>
    private sealed class Progress(IProgress<string> inner, List<string> log) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (log)
            {
                log.Add(value);
            }

            inner.Report(value);
        }
    }
}
