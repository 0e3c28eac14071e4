using System.CommandLine;
using System.Globalization;
using Biathlon.Experiments.Load;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Store;

/// <summary>The <c>store-bench</c> verb's options; a bad value is a <see cref="CliException"/> (exit 2) naming the option.</summary>
public sealed record StoreBenchOptions
{
    public IReadOnlyList<string> Pipelines { get; init; } = ["flight-delay"];

    /// <summary>"single" and/or "cluster".</summary>
    public IReadOnlyList<string> Topologies { get; init; } = ["single", "cluster"];

    public IReadOnlyList<int> Clients { get; init; } = [1, 8];

    /// <summary>"off" and/or "on": the hot-segment cache.</summary>
    public IReadOnlyList<string> Cache { get; init; } = ["off", "on"];

    /// <summary>Measured time of one slice of one mode.</summary>
    public TimeSpan Slice { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Slices per mode and cell.</summary>
    public int Slices { get; init; } = 4;

    /// <summary>Unrecorded time per mode before each cell (at least one request per client).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Distinct requests per pipeline: the first N held-out test requests.</summary>
    public int Requests { get; init; } = 300;

    public int Seed { get; init; }

    /// <summary>Rows per stored segment at upload.</summary>
    public int SegmentRows { get; init; } = 4096;

    /// <summary>Whether to run the in-process (memory store) reference cells.</summary>
    public bool Memory { get; init; } = true;

    /// <summary>The folder of pipeline folders (<c>--pipelines DIR</c>; default pipelines/).</summary>
    public string PipelinesRoot { get; init; } = Path.Combine(RepositoryPaths.Root, "pipelines");

    /// <summary>Where the report goes; null: experiments/reports/DATE.</summary>
    public string? OutFolder { get; init; }

    /// <summary>Tiny counts, to check that the command works.</summary>
    public bool DryRun { get; init; }

    /// <summary>The command with its options and generated help.</summary>
    public static Command Create(Func<StoreBenchOptions, Task<int>> run)
    {
        var command = new Command("store-bench",
            "Exact vs biathlon with the pipeline's table in Redis (a single node and a 3-master cluster the command starts on loopback): latency "
            + "p50/p95/p99, throughput and bytes fetched per request, closed-loop clients, the hot-segment cache off and on, and an in-process "
            + "reference; the two modes alternate slice by slice in the same process. Writes redis-store.md and redis-store.json to DIR "
            + "(default experiments/reports/DATE/).");
        var pipeline = new Option<string?>("--pipeline", "-p") { Description = "Pipelines, comma-separated (default flight-delay; also pm10-forecast, sensor-anomaly, ...)", HelpName = "a,b" };
        var topology = new Option<string?>("--topology") { Description = "single, cluster or both (default single,cluster)", HelpName = "LIST" };
        var clients = new Option<string?>("--clients", "-c") { Description = "Closed-loop client counts (default 1,8)", HelpName = "LIST" };
        var cache = new Option<string?>("--cache") { Description = "The hot-segment cache: off, on or both (default off,on; off is the store-remote figure)", HelpName = "LIST" };
        var slice = new Option<string?>("--slice") { Description = "Measured time of one slice of one mode (default 3s)", HelpName = "TIME" };
        var slices = new Option<string?>("--slices") { Description = "Slices per mode and cell, modes alternating (default 4)", HelpName = "N" };
        var warmup = new Option<string?>("--warmup") { Description = "Unrecorded time per mode before each cell (default 1.5s; each client sends at least one request)", HelpName = "TIME" };
        var requests = new Option<string?>("--requests", "-n") { Description = "Distinct held-out requests per pipeline (default 300)", HelpName = "N" };
        var seed = new Option<string?>("--seed") { Description = "Seed of the request sets (default 0: those of `run`)", HelpName = "N" };
        var segmentRows = new Option<string?>("--segment-rows") { Description = "Rows per stored segment at upload (default 4096)", HelpName = "N" };
        var noMemory = new Option<bool>("--no-memory") { Description = "Skip the in-process reference cells" };
        var pipelines = new Option<string?>("--pipelines") { Description = "Folder of pipeline folders (default pipelines/); each needs its model", HelpName = "DIR" };
        var output = new Option<string?>("--out") { Description = "Report folder (default experiments/reports/DATE/)", HelpName = "DIR" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Tiny counts (12 requests, clients 1,2, two 150 ms slices, no warm-up time) to check the command end to end" };
        foreach (var option in new Option[] { pipeline, topology, clients, cache, slice, slices, warmup, requests, seed, segmentRows, noMemory, pipelines, output, dryRun })
        {
            command.Options.Add(option);
        }

        command.SetAction((result, _) =>
        {
            var dry = result.GetValue(dryRun);
            var parsed = new StoreBenchOptions { DryRun = dry, Memory = !result.GetValue(noMemory) };
            if (dry)
            {
                parsed = parsed with { Requests = 12, Clients = [1, 2], Slice = TimeSpan.FromMilliseconds(150), Slices = 2, Warmup = TimeSpan.Zero };
            }

            parsed = result.GetValue(pipeline) is { } p ? parsed with { Pipelines = Names(p) } : parsed;
            parsed = result.GetValue(topology) is { } t ? parsed with { Topologies = Words(t, "--topology", ["single", "cluster"]) } : parsed;
            parsed = result.GetValue(clients) is { } c ? parsed with { Clients = Integers(c, "--clients", 1, 256) } : parsed;
            parsed = result.GetValue(cache) is { } k ? parsed with { Cache = Words(k, "--cache", ["off", "on"]) } : parsed;
            parsed = result.GetValue(slice) is { } s ? parsed with { Slice = LoadTestOptions.Time(s, "--slice", allowZero: false) } : parsed;
            parsed = result.GetValue(slices) is { } n ? parsed with { Slices = Integer(n, "--slices", 1, 1000) } : parsed;
            parsed = result.GetValue(warmup) is { } w ? parsed with { Warmup = LoadTestOptions.Time(w, "--warmup", allowZero: true) } : parsed;
            parsed = result.GetValue(requests) is { } r ? parsed with { Requests = Integer(r, "--requests", 1, 100_000) } : parsed;
            parsed = result.GetValue(seed) is { } e ? parsed with { Seed = Integer(e, "--seed", 0, int.MaxValue) } : parsed;
            parsed = result.GetValue(segmentRows) is { } g ? parsed with { SegmentRows = Integer(g, "--segment-rows", 16, 1 << 20) } : parsed;
            parsed = result.GetValue(pipelines) is { } d ? parsed with { PipelinesRoot = Path.GetFullPath(d) } : parsed;
            parsed = result.GetValue(output) is { } o ? parsed with { OutFolder = Path.GetFullPath(o) } : parsed;
            return run(parsed);
        });
        return command;
    }

    private static string[] Names(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            throw new CliException($"option --pipeline needs distinct comma-separated pipeline names (got '{text}')", 2);
        }

        foreach (var name in names)
        {
            RecipeCatalog.Find(name);
        }

        return names;
    }

    private static string[] Words(string text, string option, string[] allowed)
    {
        var words = text.Split(',', StringSplitOptions.TrimEntries);
        foreach (var word in words)
        {
            if (!allowed.Contains(word, StringComparer.Ordinal))
            {
                throw new CliException($"option {option}: '{word}' is not allowed (allowed: {string.Join(", ", allowed)})", 2);
            }
        }

        return words.Distinct(StringComparer.Ordinal).Count() == words.Length
            ? words
            : throw new CliException($"option {option} names a value twice (got '{text}')", 2);
    }

    private static int Integer(string text, string option, int min, int max) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new CliException($"option {option} needs an integer in [{min}, {max}] (got '{text}')", 2);

    private static int[] Integers(string text, string option, int min, int max)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] < min || values[i] > max)
            {
                throw new CliException($"option {option} needs comma-separated integers in [{min}, {max}] (got '{text}')", 2);
            }
        }

        if (values.Distinct().Count() != values.Length)
        {
            throw new CliException($"option {option} names a value twice (got '{text}')", 2);
        }

        return values;
    }
}
