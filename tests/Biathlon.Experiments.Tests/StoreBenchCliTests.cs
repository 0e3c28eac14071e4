using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Store;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The <c>store-bench</c> verb as a user runs it, with <c>--dry-run</c> (tiny counts) on sensor-anomaly, against real
/// <c>redis-server</c> processes the command starts itself (a single node and a 3-master cluster; .CI/run installs
/// the package): every cell is measured, nothing fails, the report and its JSON are written and the servers are gone
/// afterwards. Bad input is one line and exit 2.
/// </summary>
public sealed class StoreBenchCliTests : IDisposable
{
    private const string Pipeline = "sensor-anomaly";

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_dry_run_measures_every_cell_against_real_redis_servers_and_writes_the_report()
    {
        var pipelines = await CopyPipelineAsync();
        var output = Path.Combine(_dir.Path, "out");
        var (code, stdout, errors) = HarnessCli.Run("store-bench", "--dry-run", "--pipeline", Pipeline, "--pipelines", pipelines, "--out", output);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{errors}");

        var queries = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(pipelines, Pipeline, "pipeline.json")))!["queries"]!.AsArray().Count;
        var results = StoreBenchReport.Load(Path.Combine(output, StoreBenchCommand.JsonFile));
        Assert.True(results.DryRun);
        Assert.StartsWith("Redis server v=", results.RedisVersion, StringComparison.Ordinal);
        Assert.Contains("load average", results.UptimeBefore);

        // In process at 1 and 2 clients, then single node and cluster × cache off and on × 1 and 2 clients.
        Assert.Equal(2 + (2 * 2 * 2), results.Cells.Count);
        Assert.Equal(
            ["in-process", "in-process", "single", "single", "single", "single", "cluster", "cluster", "cluster", "cluster"],
            results.Cells.Select(c => c.Topology).ToArray());
        Assert.All(results.Cells, c =>
        {
            foreach (var m in new[] { c.Exact, c.Biathlon })
            {
                Assert.True(m.Errors == 0, $"{c.Label}: {string.Join("; ", m.ErrorMessages)}");
                Assert.True(m.Requests >= c.Clients * 2, $"{c.Label}: {m.Requests} answers");
                Assert.True(m.ThroughputRps > 0 && m.P50Ms > 0);
                Assert.True(m.P50Ms <= m.P95Ms && m.P95Ms <= m.P99Ms && m.P99Ms <= m.MaxMs, $"{c.Label}: p50 {m.P50Ms}, p95 {m.P95Ms}, p99 {m.P99Ms}, max {m.MaxMs}");
                Assert.Equal(queries, m.Queries.Count);
            }

            Assert.InRange(c.Biathlon.WithinDeltaShare, 0, 1);

            // Both modes walk the same request stream, so some requests were answered by both: the paired ratios exist.
            Assert.True(c.Ratios.PairedRequests > 0 && double.IsFinite(c.Ratios.PairedP50Latency) && c.Ratios.PairedP50Latency > 0, c.Label);
            if (c.Store == "memory")
            {
                Assert.Equal(0, c.Exact.BytesMean + c.Biathlon.BytesMean);
            }
        });

        // With the cache off every segment crosses the network: exact reads every partition, so it fetches bytes.
        Assert.All(results.Cells.Where(c => c.Cache == "off"), c => Assert.True(c.Exact.BytesMean > 0 && c.Exact.ValuesMean > 0 && c.Exact.CacheHitsMean == 0, c.Label));
        Assert.All(results.Pipelines.Single().Uploads, u => Assert.True(u.Keys > 100 && u.UsedMemoryBytes > 0, u.Topology));
        Assert.Equal(
            ["in process", "redis single, cache off", "redis single, cache on", "redis cluster, cache off", "redis cluster, cache on"],
            results.Pipelines.Single().Engines.Select(e => e.Engine).ToArray());

        // The goal is about flight-delay: not measured here, and said so.
        Assert.Equal(4, results.Goals.Count);
        Assert.All(results.Goals, g => Assert.Equal("not measured", g.Verdict));

        var report = File.ReadAllText(Path.Combine(output, StoreBenchCommand.MarkdownFile));
        Assert.Contains("dry run", report);
        Assert.Contains("## Goals", report);
        Assert.Contains("| redis cluster, cache off, 2 clients | exact |", report);
        Assert.Contains("Where biathlon's rows go", report);

        // Every server the command started (each with its folder biathlon-bench-redis-*) is stopped.
        Assert.Empty(BenchRedisServers());
    }

    [Theory]
    [InlineData("option --topology: 'mesh' is not allowed", "--topology", "mesh")]
    [InlineData("option --clients needs comma-separated integers", "--clients", "0")]
    [InlineData("option --cache: 'maybe' is not allowed", "--cache", "maybe")]
    [InlineData("option --slice needs a duration", "--slice", "0s")]
    [InlineData("unknown pipeline 'taxi'", "--pipeline", "taxi")]
    public void Bad_input_prints_a_clear_message_and_exit_2(string message, params string[] args)
    {
        var (code, output, errors) = HarnessCli.Run(["store-bench", .. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, output + errors);
        Assert.DoesNotContain("   at ", output + errors);
    }

    /// <summary>
    /// Ids of running redis-server processes whose working folder is a store-bench one (biathlon-bench-redis-*). Their
    /// command lines cannot tell: redis-server rewrites its process title.
    /// </summary>
    private static int[] BenchRedisServers()
    {
        var found = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var id))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(folder, "comm")).Trim() == "redis-server"
                    && new DirectoryInfo(Path.Combine(folder, "cwd")).LinkTarget is { } cwd
                    && cwd.Contains("biathlon-bench-redis-", StringComparison.Ordinal))
                {
                    found.Add(id);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile, or is not ours to inspect.
            }
        }

        return [.. found];
    }

    /// <summary>sensor-anomaly's spec and model in a temporary pipelines folder (the model trained there when the repository has none).</summary>
    private async Task<string> CopyPipelineAsync()
    {
        var recipe = RecipeCatalog.Find(Pipeline);
        RealData.Require(recipe.DatasetSet, recipe.DatasetFile);
        var root = Path.Combine(_dir.Path, "pipelines");
        var folder = Path.Combine(root, Pipeline);
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "pipeline.json", "model.onnx", "cost-profile.json" })
        {
            var source = Path.Combine(RealData.RepositoryRoot, "pipelines", Pipeline, file);
            if (File.Exists(source))
            {
                File.Copy(source, Path.Combine(folder, file));
            }
        }

        if (!File.Exists(Path.Combine(folder, "model.onnx")))
        {
            var requests = await recipe.LoadRequestsAsync(RealData.Directory, RecipeSizes.Quick, seed: 0);
            await PipelinePreparation.PrepareAsync(recipe, folder, RealData.Directory, requests, retrain: false, seed: 0);
        }

        return root;
    }

    public void Dispose() => _dir.Dispose();
}
