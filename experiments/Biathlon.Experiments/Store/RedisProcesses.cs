using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Biathlon.Experiments.Store;

/// <summary>
/// A private <c>redis-server</c> on a free loopback port, a child process of the harness with its own folder under the
/// temp directory; nothing is persisted (<c>--save ''</c>, no AOF). Never started with <c>--daemonize yes</c>, so the
/// harness can wait for it and kill it. Commands go through <c>redis-cli</c>.
/// </summary>
public sealed class RedisNode : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_cliTimeout = TimeSpan.FromSeconds(30);
    private static readonly HashSet<Process> s_running = [];
    private static bool s_exitHandler;

    private readonly Process _process;
    private bool _disposed;

    private RedisNode(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The node's folder (its log, a cluster node's nodes.conf); deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>The server's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The <c>redis-server</c> on PATH, or a <see cref="CliException"/> naming the package.</summary>
    public static string ServerBinary() => FindOnPath("redis-server")
        ?? throw new CliException("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");

    /// <summary>The <c>redis-cli</c> on PATH, or a <see cref="CliException"/> naming the package.</summary>
    public static string CliBinary() => FindOnPath("redis-cli")
        ?? throw new CliException("redis-cli is not installed: apt-get install redis-server (.ci/run installs it; redis-tools comes with it)");

    /// <summary><c>redis-server --version</c>, one line.</summary>
    public static async Task<string> VersionAsync()
    {
        var (code, output) = await RunAsync(ServerBinary(), ["--version"], CancellationToken.None).ConfigureAwait(false);
        return code == 0 ? output.Trim() : "unknown";
    }

    /// <summary>
    /// Starts a node and returns once it answers PING (a fresh pair of ports is tried when another process took the
    /// port first). With <paramref name="cluster"/> the node runs in cluster mode, owning no slots yet.
    /// </summary>
    public static async Task<RedisNode> StartAsync(bool cluster, CancellationToken ct = default)
    {
        var binary = ServerBinary();
        CliBinary();
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts(2);
            var directory = Path.Combine(Path.GetTempPath(), "biathlon-bench-redis-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(directory);
            var start = new ProcessStartInfo(binary)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory,
            };
            string[] arguments =
            [
                "--port", ports[0].ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--dir", directory, "--logfile", Path.Combine(directory, "redis.log"),
            ];
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            if (cluster)
            {
                // The bus port defaults to port + 10000, which does not exist above 55535: it gets a free port of its own.
                foreach (var argument in new[] { "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000", "--cluster-port", ports[1].ToString(CultureInfo.InvariantCulture) })
                {
                    start.ArgumentList.Add(argument);
                }
            }

            var process = Process.Start(start) ?? throw new CliException($"{binary} could not be started.");
            Track(process);
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var node = new RedisNode(process, ports[0], directory);
            var outcome = await node.WaitReadyAsync(ct).ConfigureAwait(false);
            if (outcome is null)
            {
                return node;
            }

            var log = node.LogTail();
            await node.DisposeAsync().ConfigureAwait(false);
            if (attempt >= Attempts || !outcome.Contains("taken", StringComparison.Ordinal))
            {
                throw new CliException($"redis-server on port {ports[0]} did not start: {outcome}\n{log}");
            }
        }
    }

    /// <summary>Runs <c>redis-cli -p PORT ARGS</c> and returns its output; a non-zero exit is a <see cref="CliException"/>.</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var (code, output) = await RunAsync(CliBinary(), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. args], CancellationToken.None).ConfigureAwait(false);
        return code == 0 ? output : throw new CliException($"redis-cli -p {Port} {string.Join(' ', args)} exited with {code}: {output.Trim()}");
    }

    /// <summary>A field of <c>INFO</c> (such as <c>used_memory</c>) as a number; NaN when missing.</summary>
    public async Task<double> InfoNumberAsync(string section, string field)
    {
        var info = await CliAsync("INFO", section).ConfigureAwait(false);
        foreach (var line in info.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith(field + ":", StringComparison.Ordinal)
                && double.TryParse(trimmed[(field.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return double.NaN;
    }

    /// <summary>Stops the server (<c>SHUTDOWN NOSAVE</c>, SIGKILL after 5 s), waits for it and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            try
            {
                await RunAsync(CliBinary(), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "SHUTDOWN", "NOSAVE"], CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
            {
            }

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(exit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
            }

            _process.WaitForExit();
        }

        lock (s_running)
        {
            s_running.Remove(_process);
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Null once this process answers PING; otherwise why not ("taken": another server holds the port).</summary>
    private async Task<string?> WaitReadyAsync(CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var port = Port.ToString(CultureInfo.InvariantCulture);
        while (deadline.Elapsed < s_startTimeout)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                _process.WaitForExit();
                return LogTail().Contains("Address already in use", StringComparison.Ordinal)
                    ? "the port was taken"
                    : $"it exited with {_process.ExitCode}";
            }

            var (code, output) = await RunAsync(CliBinary(), ["-h", "127.0.0.1", "-p", port, "INFO", "server"], ct).ConfigureAwait(false);
            if (code == 0 && output.Contains("process_id:", StringComparison.Ordinal))
            {
                return output.Contains($"process_id:{_process.Id.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
                    ? null
                    : "the port was taken by another server";
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        return $"no answer to PING within {s_startTimeout.TotalSeconds:0} s";
    }

    /// <summary>Servers still running when the harness exits (an error, Ctrl+C) are killed, never left behind.</summary>
    private static void Track(Process process)
    {
        lock (s_running)
        {
            s_running.Add(process);
            if (!s_exitHandler)
            {
                s_exitHandler = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    lock (s_running)
                    {
                        foreach (var running in s_running)
                        {
                            try
                            {
                                running.Kill();
                            }
                            catch (InvalidOperationException)
                            {
                            }
                        }
                    }
                };
            }
        }
    }

    private string LogTail()
    {
        var log = Path.Combine(Directory, "redis.log");
        return File.Exists(log) ? string.Join('\n', File.ReadAllLines(log).TakeLast(15)) : "";
    }

    internal static async Task<(int Code, string Output)> RunAsync(string binary, IReadOnlyList<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new CliException($"{binary} could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_cliTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            process.WaitForExit();
            ct.ThrowIfCancellationRequested();
            throw new CliException($"{Path.GetFileName(binary)} {string.Join(' ', args)} did not finish within {s_cliTimeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static int[] FreePorts(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>What a store deployment holds after an upload: keys, and memory as Redis counts it (summed over nodes).</summary>
/// <param name="Keys">DBSIZE: segments, indexes, manifest and pointer.</param>
/// <param name="UsedMemoryBytes">INFO memory <c>used_memory</c>, including the server's own overhead.</param>
/// <param name="DatasetBytes">INFO memory <c>used_memory_dataset</c>: the data and per-key overhead.</param>
public sealed record RedisFootprint(long Keys, double UsedMemoryBytes, double DatasetBytes);

/// <summary>One node, or a 3-master Redis Cluster formed with <c>redis-cli --cluster create</c>; stopped on dispose.</summary>
public sealed class RedisDeployment : IAsyncDisposable
{
    private static readonly TimeSpan s_okTimeout = TimeSpan.FromSeconds(30);

    private RedisDeployment(string topology, IReadOnlyList<RedisNode> nodes)
    {
        Topology = topology;
        Nodes = nodes;
    }

    /// <summary>"single" or "cluster".</summary>
    public string Topology { get; }

    public IReadOnlyList<RedisNode> Nodes { get; }

    /// <summary>The StackExchange.Redis configuration string: every node's endpoint.</summary>
    public string Configuration => string.Join(',', Nodes.Select(n => n.Endpoint));

    /// <summary>"single" (one node) or "cluster" (3 masters, no replicas).</summary>
    public static async Task<RedisDeployment> StartAsync(string topology, CancellationToken ct = default)
    {
        if (topology == "single")
        {
            return new RedisDeployment(topology, [await RedisNode.StartAsync(cluster: false, ct).ConfigureAwait(false)]);
        }

        var nodes = new List<RedisNode>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await RedisNode.StartAsync(cluster: true, ct).ConfigureAwait(false));
            }

            var (code, output) = await RedisNode.RunAsync(RedisNode.CliBinary(),
                ["--cluster", "create", .. nodes.Select(n => n.Endpoint), "--cluster-replicas", "0", "--cluster-yes"], ct).ConfigureAwait(false);
            if (code != 0)
            {
                throw new CliException($"redis-cli --cluster create exited with {code}: {output.Trim()}");
            }

            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var states = new List<string>();
                foreach (var node in nodes)
                {
                    states.Add(await node.CliAsync("CLUSTER", "INFO").ConfigureAwait(false));
                }

                if (states.All(s => s.Contains("cluster_state:ok", StringComparison.Ordinal)))
                {
                    return new RedisDeployment(topology, nodes);
                }

                if (deadline.Elapsed > s_okTimeout)
                {
                    throw new CliException($"the cluster did not reach cluster_state:ok within {s_okTimeout.TotalSeconds:0} s");
                }

                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Keys and memory summed over the nodes.</summary>
    public async Task<RedisFootprint> FootprintAsync()
    {
        long keys = 0;
        double used = 0, dataset = 0;
        foreach (var node in Nodes)
        {
            keys += long.Parse((await node.CliAsync("DBSIZE").ConfigureAwait(false)).Trim(), CultureInfo.InvariantCulture);
            used += await node.InfoNumberAsync("memory", "used_memory").ConfigureAwait(false);
            dataset += await node.InfoNumberAsync("memory", "used_memory_dataset").ConfigureAwait(false);
        }

        return new RedisFootprint(keys, used, dataset);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
