using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Load;

/// <summary>
/// The <c>loadtest</c> verb: the scoring server under closed-loop HTTP load, pipeline × mode × audit × client count,
/// with a CSV, a JSON and a Markdown report (docs: experiments/README.md). It starts the server built beside the harness
/// as a child process, one per audit setting, or loads a running one (<c>--server</c>). The cells of the audit settings
/// run one after the other at each pipeline, mode and client count, so that both see the machine in the same state.
/// </summary>
public static class LoadTestCommand
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["--report", var reportFolder])
        {
            return Rerender(Path.GetFullPath(reportFolder));
        }

        var options = LoadTestOptions.Parse(args);
        var progress = new ConsoleProgress();
        var hostDll = options.Server is null ? ScoringServerProcess.LocateHostDll() : null;
        var sets = await LoadRequestSetsAsync(options, progress).ConfigureAwait(false);
        var folder = options.OutFolder ?? Path.Combine(RepositoryPaths.Root, "experiments", "reports", DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

        var started = DateTime.UtcNow;
        var servers = new List<(AuditSetting Audit, Uri BaseAddress, ScoringServerProcess? Process)>();
        var auditFolder = Path.Combine(Path.GetTempPath(), $"biathlon-loadtest-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var cells = new List<LoadCell>();
        var probes = new Dictionary<(string, LoadMode, AuditSetting, int), List<ProbeAnswer>>();
        string loadBefore;
        try
        {
            foreach (var audit in options.Audit)
            {
                if (options.Server is { } url)
                {
                    var (ready, detail) = await ScoringServerProcess.ReadinessAsync(url).ConfigureAwait(false);
                    if (!ready)
                    {
                        throw new CliException($"The server at {url} is not ready: GET /readyz answered {detail}");
                    }

                    servers.Add((audit, url, null));
                    continue;
                }

                string? auditPath = null;
                if (audit == AuditSetting.On)
                {
                    Directory.CreateDirectory(auditFolder);
                    auditPath = Path.Combine(auditFolder, "audit.log");
                }

                progress.Report($"starting the server (audit {LoadNames.Of(audit)}): dotnet {hostDll}");
                var process = await ScoringServerProcess.StartAsync(hostDll!, options.PipelinesRoot, options.Pipelines, auditPath, s_readyTimeout).ConfigureAwait(false);
                servers.Add((audit, process.BaseAddress, process));
                progress.Report($"server ready at {process.BaseAddress} (pid {process.Id})");
            }

            foreach (var set in sets)
            {
                foreach (var mode in options.Modes)
                {
                    foreach (var server in servers)
                    {
                        await CheckOneAsync(server.BaseAddress, set, mode, server.Process).ConfigureAwait(false);
                    }
                }
            }

            var meter = new CpuMeter([Environment.ProcessId, .. servers.Where(s => s.Process is not null).Select(s => s.Process!.Id)]);
            loadBefore = LoadAverage();
            progress.Report($"load average before: {loadBefore}");
            foreach (var set in sets)
            {
                foreach (var mode in options.Modes)
                {
                    foreach (var clients in options.Clients)
                    {
                        foreach (var server in servers)
                        {
                            var endpoint = Endpoint(server.BaseAddress, set.Pipeline, mode);
                            using var http = ClosedLoop.CreateClient(clients);
                            var before = meter.Read();
                            var measured = await ClosedLoop.RunAsync(http, endpoint, set.Bodies, clients, options.Warmup, options.Duration, probeIndex: 0).ConfigureAwait(false);
                            var cell = LoadCell.From(set.Pipeline, mode, server.Audit, clients, measured) with { OtherCpuShare = CpuMeter.OtherShare(before, meter.Read()) };
                            cells.Add(cell);
                            probes[(set.Pipeline, mode, server.Audit, clients)] = measured.Probes.Select(p => PredictionBodies.Probe(p)).ToList();
                            Print(cell, measured.TransportErrors);
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server.Process is { } process)
                {
                    await process.DisposeAsync().ConfigureAwait(false);
                }
            }

            if (Directory.Exists(auditFolder))
            {
                Directory.Delete(auditFolder, recursive: true);
            }
        }

        var derived = LoadGoals.Derive(cells);
        var results = new LoadTestResults
        {
            StartedUtc = started,
            FinishedUtc = DateTime.UtcNow,
            Machine = HarnessCommands.Machine(),
            CpuModel = CpuModel(),
            Cores = Environment.ProcessorCount,
            DotNet = RuntimeInformation.FrameworkDescription + (hostDll is null ? " (the client's)" : " (client and server)"),
            Command = "dotnet run -c Release --project experiments/Biathlon.Experiments -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            Server = Describe(options, hostDll),
            ExternalServer = options.Server is not null,
            LoadBefore = loadBefore,
            LoadAfter = LoadAverage(),
            WarmupSeconds = options.Warmup.TotalSeconds,
            WindowSeconds = options.Duration.TotalSeconds,
            RequestSets = sets.Select(s => s.Set).ToArray(),
            Cells = derived,
            S1Checks = StabilityChecks(options, probes),
            Goals = LoadGoals.Evaluate(derived),
        };
        var files = LoadTestReport.Write(results, folder);
        Console.WriteLine();
        foreach (var goal in results.Goals)
        {
            Console.WriteLine($"goal: {goal.Goal}: {goal.Verdict} ({goal.Measured})");
        }

        foreach (var check in results.S1Checks)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"s1: {check.Pipeline} {check.Mode} audit {check.Audit}: {(check.Identical ? "identical" : "differs")} at {check.HighClients} vs {check.LowClients} clients (max |Δ value| {check.MaxAbsValueDiff:G3}, max |Δ s1| {check.MaxAbsS1Diff:G3})"));
        }

        Console.WriteLine($"report: {string.Join(", ", files)}");
        return 0;
    }

    /// <summary>Writes the report and the CSV of <paramref name="folder"/>'s loadtest.json again (the goals judged anew), as after a change to the report.</summary>
    private static int Rerender(string folder)
    {
        var file = Path.Combine(folder, LoadTestReport.JsonFile);
        if (!File.Exists(file))
        {
            throw new CliException($"{file} not found: no load test results to report", 2);
        }

        var loaded = LoadTestReport.Load(file);
        var results = loaded with { Goals = LoadGoals.Evaluate(loaded.Cells) };
        Console.WriteLine($"report: {string.Join(", ", LoadTestReport.Write(results, folder))}");
        return 0;
    }

    /// <summary>A pipeline's request bodies and what they are.</summary>
    private sealed record PipelineBodies(string Pipeline, byte[][] Bodies, RequestSet Set);

    private static async Task<List<PipelineBodies>> LoadRequestSetsAsync(LoadTestOptions options, IProgress<string> progress)
    {
        var sets = new List<PipelineBodies>();
        foreach (var name in options.Pipelines)
        {
            var recipe = RecipeCatalog.Find(name);
            if (options.Server is null && !File.Exists(Path.Combine(options.PipelinesRoot, name, PipelineSpecLoader.SpecFileName)))
            {
                throw new CliException($"pipeline '{name}' has no spec at {Path.Combine(options.PipelinesRoot, name, PipelineSpecLoader.SpecFileName)}", 2);
            }

            DatasetFetcher.Require(recipe.DatasetSet, recipe.DatasetFile);
            var requests = await recipe.LoadRequestsAsync(RepositoryPaths.Data, RecipeSizes.Full, options.Seed).ConfigureAwait(false);
            var test = requests.Test.Take(options.Requests ?? int.MaxValue).ToArray();
            if (test.Length == 0)
            {
                throw new CliException($"pipeline '{name}' has no held-out requests to send");
            }

            var first = test.Min(t => t.Time);
            var last = test.Max(t => t.Time);
            var description = $"the held-out test requests of `run` (seed {options.Seed}) from {recipe.DatasetFile}, " +
                              $"stream time {first:yyyy-MM-dd HH:mm} to {last:yyyy-MM-dd HH:mm}";
            sets.Add(new PipelineBodies(name, test.Select(PredictionBodies.RequestBody).ToArray(), new RequestSet(name, test.Length, description)));
            progress.Report($"{name}: {test.Length} requests");
        }

        return sets;
    }

    private static Uri Endpoint(Uri baseAddress, string pipeline, LoadMode mode) =>
        new(baseAddress, $"v1/pipelines/{Uri.EscapeDataString(pipeline)}/{(mode == LoadMode.Exact ? "predict-exact" : "predict")}");

    /// <summary>One request before any cell, so that a server that cannot serve it fails the run at once, with its answer.</summary>
    private static async Task CheckOneAsync(Uri baseAddress, PipelineBodies set, LoadMode mode, ScoringServerProcess? process)
    {
        using var http = ClosedLoop.CreateClient(1);
        using var content = new ByteArrayContent(set.Bodies[0]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var endpoint = Endpoint(baseAddress, set.Pipeline, mode);
        try
        {
            using var response = await http.PostAsync(endpoint, content).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                throw new CliException($"POST {endpoint} answered {(int)response.StatusCode}: {body}" + (process is null ? "" : $"{Environment.NewLine}The server's last output:{Environment.NewLine}{process.Tail()}"));
            }
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"POST {endpoint} failed: {e.Message}");
        }
    }

    private static IReadOnlyList<S1Check> StabilityChecks(LoadTestOptions options, Dictionary<(string, LoadMode, AuditSetting, int), List<ProbeAnswer>> probes)
    {
        if (options.Clients.Count < 2)
        {
            return [];
        }

        var low = options.Clients.Min();
        var high = options.Clients.Max();
        var checks = new List<S1Check>();
        foreach (var pipeline in options.Pipelines)
        {
            foreach (var mode in options.Modes)
            {
                foreach (var audit in options.Audit)
                {
                    if (probes.TryGetValue((pipeline, mode, audit, low), out var lowAnswers) && probes.TryGetValue((pipeline, mode, audit, high), out var highAnswers))
                    {
                        checks.Add(S1Check.Compare(pipeline, LoadNames.Of(mode), LoadNames.Of(audit), 0, low, lowAnswers, high, highAnswers));
                    }
                }
            }
        }

        return checks;
    }

    private static void Print(LoadCell c, IReadOnlyList<string> transport)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{c.Pipeline} {c.Mode} audit {c.Audit}{(c.Audit == "on" && !c.Audited ? " (not audited)" : "")} clients {c.Clients}: {c.Throughput:F1} req/s, " +
            $"p50 {c.P50Ms:F3} ms, p99 {c.P99Ms:F3} ms, p99.9 {c.P999Ms:F3} ms, engine p50 {c.EngineP50Ms:F3} ms, overhead p50 {c.OverheadP50Ms:F3} ms, errors {c.ErrorSummary()}, other CPU {c.OtherCpuShare:P0}"));
        foreach (var message in transport)
        {
            Console.Error.WriteLine($"  no answer: {message}");
        }
    }

    private static string Describe(LoadTestOptions options, string? hostDll)
    {
        if (options.Server is { } url)
        {
            return $"the running server at {url} (`--server`), audited as it is configured to";
        }

        var configuration = typeof(LoadTestCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "?";
        var root = RepositoryPaths.Root;
        var dll = hostDll!.StartsWith(root, StringComparison.Ordinal) ? Path.GetRelativePath(root, hostDll) : hostDll;
        return $"`dotnet {dll}` ({configuration} build, as the harness), a child process per audit setting on 127.0.0.1 " +
               $"(a port the kernel picks), serving {string.Join(", ", options.Pipelines)}; default limits (at most " +
               $"{Environment.ProcessorCount} predictions at once, the processor count), no API keys, request logging off; " +
               "audit on: `--Biathlon:Audit:Path=FILE` in a temporary folder, deleted afterwards";
    }

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : RuntimeInformation.ProcessArchitecture.ToString();

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
