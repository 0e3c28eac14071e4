using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Biathlon.Testing;

/// <summary>
/// A private <c>redis-server</c> (Debian's package, 7.0) on a free loopback port, started as a child process of the
/// test host with its own folder under the temp directory. Nothing is persisted (<c>--save ""</c>, no AOF), so a
/// <see cref="Kill"/> followed by <see cref="RestartAsync"/> brings back an empty server on the same port: that is the
/// point, a real crash and restart. Started with <c>appendOnly</c>, the server logs every write to an append-only file in
/// its folder, fsynced before it answers (<c>--appendonly yes --appendfsync always</c>), so a restart after a
/// <see cref="Kill"/> comes back with every acknowledged write: a crash of the store, not a loss of its data. Commands go over a raw socket in RESP (<see cref="CommandAsync"/>), so the shared
/// test helpers need no Redis client package.
/// </summary>
/// <remarks>
/// The server is never started with <c>--daemonize yes</c>: a daemon double-forks away from the test host, so the
/// host could neither wait for it nor kill it, and a crashed run would leave it behind. As a child it is killed on
/// <see cref="DisposeAsync"/> and, as a last resort, when the test host process exits.
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>How long <see cref="StartAsync"/> and <see cref="RestartAsync"/> wait for the first PONG.</summary>
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A limit on every <see cref="CommandAsync"/>, so a hung server fails a test instead of hanging it.</summary>
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(10);

    private static readonly object s_gate = new();
    private static readonly HashSet<Process> s_running = [];
    private static bool s_exitHandlerRegistered;

    private readonly string _binary;
    private readonly bool _clusterEnabled;
    private readonly bool _appendOnly;
    private readonly int _clusterPort;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private bool _disposed;
    private bool _portTaken;

    private RedisServer(string binary, int port, int clusterPort, bool clusterEnabled, bool appendOnly, string directory)
    {
        _binary = binary;
        Port = port;
        _clusterPort = clusterPort;
        _clusterEnabled = clusterEnabled;
        _appendOnly = appendOnly;
        Directory = directory;
    }

    /// <summary>The loopback port the server listens on (the same across <see cref="RestartAsync"/>).</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:Port</c>, as Redis clients and <c>redis-cli --cluster</c> take it.</summary>
    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The server's folder (<c>redis.log</c>, and the cluster's <c>nodes-PORT.conf</c>), deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>The current process's id (it changes on <see cref="RestartAsync"/>).</summary>
    public int ProcessId { get; private set; }

    /// <summary>Whether the current process has ended (after <see cref="Kill"/> or dispose, say, or a crash).</summary>
    public bool HasExited => _disposed || _process!.HasExited;

    /// <summary>
    /// Starts a server on a free loopback port and returns once it answers PING (10 s at most; then the process is
    /// killed and the exception quotes its log). With <paramref name="clusterEnabled"/> the node starts in cluster mode,
    /// owning no slots until a cluster is created (<see cref="RedisCluster"/> does that). With <paramref name="appendOnly"/>
    /// every write is fsynced to an append-only file before the reply, and <see cref="RestartAsync"/> reloads it.
    /// </summary>
    /// <exception cref="InvalidOperationException">redis-server is not installed, or it did not start.</exception>
    public static async Task<RedisServer> StartAsync(bool clusterEnabled = false, bool appendOnly = false, CancellationToken ct = default)
    {
        var binary = FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");

        // A free port is only free until someone else takes it: another fixture starting in parallel can be handed the
        // same one between our probe and the server's bind. The server then exits with "Address already in use", and
        // a fresh pair of ports is worth one more try; any other failure is reported as it is.
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts(2);
            var directory = Path.Combine(Path.GetTempPath(), "biathlon-redis-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(directory);
            var server = new RedisServer(binary, ports[0], ports[1], clusterEnabled, appendOnly, directory);
            try
            {
                await server.LaunchAsync(ct).ConfigureAwait(false);
                return server;
            }
            catch (InvalidOperationException) when (attempt < Attempts && server.PortWasTaken())
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>
    /// SIGKILL: the server ends at once, as in a crash; returns once the process has exited (and been reaped, so no
    /// zombie is left). Connections to <see cref="Port"/> are then refused until <see cref="RestartAsync"/>.
    /// </summary>
    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        process.WaitForExit();
        Untrack(process);
    }

    /// <summary>
    /// Starts the server again on the same port and folder (killing it first if it still runs) and waits for PING.
    /// Its data is gone, since nothing is persisted (unless it was started append-only: then it reloads its append-only
    /// file, every acknowledged write); a cluster node keeps its identity and slots, though, because its
    /// <c>nodes-PORT.conf</c> stays in the folder, so it rejoins its cluster.
    /// </summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Kill();
        await LaunchAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one command over a fresh connection and returns the server's reply as raw RESP text: <c>+PONG\r\n</c>,
    /// <c>:0\r\n</c>, <c>$5\r\nvalue\r\n</c>, <c>$-1\r\n</c> for a missing key, <c>*2\r\n...</c> for an array. An error
    /// reply comes back as text too (<c>-ERR ...</c>, <c>-MOVED ...</c>), since tests may want to see one. A server
    /// that is down throws <see cref="SocketException"/> (connection refused); a reply slower than 10 s throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public Task<string> CommandAsync(params string[] args) => SendAsync(Port, args, CancellationToken.None);

    /// <summary>
    /// Stops the server (<c>SHUTDOWN NOSAVE</c>, or SIGKILL if it does not exit within 5 s), waits for its process and
    /// deletes its folder. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var process = _process;
        if (process is not null)
        {
            if (!process.HasExited)
            {
                try
                {
                    // The server closes the connection without a reply when it shuts down, so the read fails: expected.
                    await SendAsync(Port, ["SHUTDOWN", "NOSAVE"], CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                }

                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(exit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                }

                // The parameterless wait also drains the redirected output, and reaps the process.
                process.WaitForExit();
            }

            Untrack(process);
            process.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The last lines of <c>redis.log</c> and of the process's own output, for failure messages.</summary>
    public string LogTail(int lines = 30)
    {
        var log = Path.Combine(Directory, "redis.log");
        var text = File.Exists(log) ? File.ReadAllLines(log) : [];
        var tail = string.Join('\n', text.Skip(Math.Max(0, text.Length - lines)));
        string output;
        lock (_output)
        {
            output = _output.ToString().Trim();
        }

        return output.Length == 0 ? tail : tail + "\n(stdout/stderr)\n" + output;
    }

    /// <summary>
    /// Runs one RESP command against <c>127.0.0.1:port</c> and returns the raw reply. Internal to the shared helpers:
    /// <see cref="RedisCluster"/> uses it too.
    /// </summary>
    internal static async Task<string> SendAsync(int port, IReadOnlyList<string> args, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_commandTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();

        // A command is an array of bulk strings; lengths count bytes, not characters.
        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"*{args.Count}\r\n");
        foreach (var arg in args)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token).ConfigureAwait(false);
        var reader = new RespReader(stream);
        await reader.ReadReplyAsync(timeout.Token).ConfigureAwait(false);
        return reader.Raw;
    }

    /// <summary>The path of <paramref name="name"/> in a PATH folder, or null.</summary>
    internal static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private async Task LaunchAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        var port = Port.ToString(CultureInfo.InvariantCulture);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port);
        start.ArgumentList.Add("--bind");
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add("--save");
        start.ArgumentList.Add("");
        start.ArgumentList.Add("--appendonly");
        start.ArgumentList.Add(_appendOnly ? "yes" : "no");
        if (_appendOnly)
        {
            start.ArgumentList.Add("--appendfsync");
            start.ArgumentList.Add("always");
        }

        start.ArgumentList.Add("--daemonize");
        start.ArgumentList.Add("no");
        start.ArgumentList.Add("--dir");
        start.ArgumentList.Add(Directory);
        start.ArgumentList.Add("--logfile");
        start.ArgumentList.Add(Path.Combine(Directory, "redis.log"));
        if (_clusterEnabled)
        {
            start.ArgumentList.Add("--cluster-enabled");
            start.ArgumentList.Add("yes");
            start.ArgumentList.Add("--cluster-config-file");
            start.ArgumentList.Add($"nodes-{port}.conf");
            start.ArgumentList.Add("--cluster-node-timeout");
            start.ArgumentList.Add("2000");

            // The cluster bus defaults to port + 10000, which does not exist for a port above 55535, and Linux hands
            // out free ports up to 60999; so the bus gets a free port of its own (an option since Redis 7.0).
            start.ArgumentList.Add("--cluster-port");
            start.ArgumentList.Add(_clusterPort.ToString(CultureInfo.InvariantCulture));
        }

        lock (_output)
        {
            _output.Clear();
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{_binary} could not be started.");
        _process?.Dispose();
        _process = process;
        ProcessId = process.Id;
        Track(process);

        // With --logfile the server writes next to nothing here (a fatal config error before the log opens), but the
        // pipes must be drained all the same, or a chatty server would block on a full one.
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new InvalidOperationException(
                    $"redis-server on port {port} exited with {process.ExitCode} before it answered PING:\n{LogTail()}");
            }

            try
            {
                var reply = await SendAsync(Port, ["PING"], ct).ConfigureAwait(false);
                if (reply.StartsWith("+PONG", StringComparison.Ordinal))
                {
                    // A PONG proves only that something on the port is a Redis: if another fixture's server took the
                    // port first, ours is about to exit with "Address already in use". Its process id tells them apart.
                    var info = await SendAsync(Port, ["INFO", "server"], ct).ConfigureAwait(false);
                    if (info.Contains($"process_id:{process.Id.ToString(CultureInfo.InvariantCulture)}\r\n", StringComparison.Ordinal))
                    {
                        return;
                    }

                    _portTaken = true;
                    Kill();
                    throw new InvalidOperationException($"Port {port} was taken by another server before ours could bind it.");
                }
            }
            catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // Not listening yet (refused), or listening but still loading: try again.
            }

            if (deadline.Elapsed > s_startTimeout)
            {
                Kill();
                throw new InvalidOperationException(
                    $"redis-server on port {port} did not answer PING within {s_startTimeout.TotalSeconds:0} s:\n{LogTail()}");
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private bool PortWasTaken() => _portTaken || LogTail().Contains("Address already in use", StringComparison.Ordinal);

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>
    /// Distinct free loopback ports. The listeners are all held open until every port is read, so the kernel cannot
    /// hand the same port out twice; they are closed before the server binds.
    /// </summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            var ports = new int[count];
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
                ports[i] = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            return ports;
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
                listener.Dispose();
            }
        }
    }

    /// <summary>
    /// Remembers a running child so that the test host kills it when it exits without disposing the fixture (a test
    /// that throws before its <c>await using</c>, a host stopped by the runner's timeout). A host killed by SIGKILL
    /// runs no handler at all; nothing short of a supervisor covers that.
    /// </summary>
    private static void Track(Process process)
    {
        lock (s_gate)
        {
            s_running.Add(process);
            if (!s_exitHandlerRegistered)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllRunning();
                s_exitHandlerRegistered = true;
            }
        }
    }

    private static void Untrack(Process process)
    {
        lock (s_gate)
        {
            s_running.Remove(process);
        }
    }

    private static void KillAllRunning()
    {
        Process[] running;
        lock (s_gate)
        {
            running = [.. s_running];
            s_running.Clear();
        }

        foreach (var process in running)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(1_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone or disposed: nothing to kill.
            }
        }
    }

    /// <summary>
    /// Reads exactly one RESP2 reply (nested arrays included) and keeps its bytes: the framing must be parsed to know
    /// where a reply ends, since the connection stays open after it.
    /// </summary>
    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[8192];
        private readonly MemoryStream _raw = new();
        private int _position;
        private int _length;

        public string Raw => Encoding.UTF8.GetString(_raw.GetBuffer(), 0, (int)_raw.Length);

        public async Task ReadReplyAsync(CancellationToken ct)
        {
            var line = await ReadLineAsync(ct).ConfigureAwait(false);
            if (line.Length == 0)
            {
                throw new IOException("Empty RESP line.");
            }

            switch (line[0])
            {
                case '+' or '-' or ':':
                    return;
                case '$':
                {
                    var length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                    if (length >= 0)
                    {
                        await ReadBytesAsync(length + 2, ct).ConfigureAwait(false);
                    }

                    return;
                }
                case '*':
                {
                    var count = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                    for (var i = 0; i < count; i++)
                    {
                        await ReadReplyAsync(ct).ConfigureAwait(false);
                    }

                    return;
                }
                default:
                    throw new IOException($"Unexpected RESP reply: {line}");
            }
        }

        /// <summary>One line without its CRLF (which is kept in <see cref="Raw"/>).</summary>
        private async Task<string> ReadLineAsync(CancellationToken ct)
        {
            var start = _raw.Length;
            while (true)
            {
                var b = await ReadByteAsync(ct).ConfigureAwait(false);
                _raw.WriteByte(b);
                if (b == '\n' && _raw.Length - start >= 2 && _raw.GetBuffer()[_raw.Length - 2] == '\r')
                {
                    return Encoding.UTF8.GetString(_raw.GetBuffer(), (int)start, (int)(_raw.Length - start - 2));
                }
            }
        }

        private async Task ReadBytesAsync(int count, CancellationToken ct)
        {
            for (var i = 0; i < count; i++)
            {
                _raw.WriteByte(await ReadByteAsync(ct).ConfigureAwait(false));
            }
        }

        private async ValueTask<byte> ReadByteAsync(CancellationToken ct)
        {
            if (_position == _length)
            {
                _length = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
                _position = 0;
                if (_length == 0)
                {
                    throw new IOException("The server closed the connection before the end of its reply.");
                }
            }

            return _buffer[_position++];
        }
    }
}

/// <summary>
/// A Redis Cluster of private masters on loopback (no replicas): <c>masters</c> cluster-enabled
/// <see cref="RedisServer"/>s joined by <c>redis-cli --cluster create</c>, which splits the 16384 hash slots evenly
/// between them. <see cref="StartAsync"/> returns once every node reports <c>cluster_state:ok</c>.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan s_createTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_okTimeout = TimeSpan.FromSeconds(20);

    private RedisCluster(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    /// <summary>The masters, in the order their slots were assigned (the first owns slot 0).</summary>
    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>Every node's endpoint, comma-separated (<c>127.0.0.1:p1,127.0.0.1:p2,...</c>), as cluster clients take it.</summary>
    public string ConnectionString => string.Join(',', Nodes.Select(n => n.Endpoint));

    /// <summary>
    /// Starts <paramref name="masters"/> nodes (3 at least: redis-cli refuses fewer), creates the cluster and waits
    /// (20 s at most) until every node says <c>cluster_state:ok</c>. On failure every node is stopped and the exception
    /// quotes redis-cli's output or the nodes' <c>CLUSTER INFO</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">redis-server or redis-cli is missing, or the cluster did not form.</exception>
    public static async Task<RedisCluster> StartAsync(int masters = 3, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(masters, 3);
        var cli = RedisServer.FindOnPath("redis-cli")
            ?? throw new InvalidOperationException("redis-cli is not installed: apt-get install redis-server (.ci/run installs it; redis-tools comes with it)");

        var nodes = new List<RedisServer>();
        try
        {
            // Started one after the other: each start takes milliseconds, and a failure then leaves nothing in flight.
            for (var i = 0; i < masters; i++)
            {
                nodes.Add(await RedisServer.StartAsync(clusterEnabled: true, ct: ct).ConfigureAwait(false));
            }

            await CreateAsync(cli, nodes, ct).ConfigureAwait(false);
            await WaitForOkAsync(nodes, ct).ConfigureAwait(false);
            return new RedisCluster(nodes);
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

    /// <summary>Stops every node and deletes their folders.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task CreateAsync(string cli, List<RedisServer> nodes, CancellationToken ct)
    {
        var start = new ProcessStartInfo(cli) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--cluster");
        start.ArgumentList.Add("create");
        foreach (var node in nodes)
        {
            start.ArgumentList.Add(node.Endpoint);
        }

        start.ArgumentList.Add("--cluster-replicas");
        start.ArgumentList.Add("0");

        // Without it redis-cli asks "Can I set the above configuration? (type 'yes' to accept)" on stdin.
        start.ArgumentList.Add("--cluster-yes");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{cli} could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_createTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            process.WaitForExit();
            ct.ThrowIfCancellationRequested();
            throw new InvalidOperationException(
                $"redis-cli --cluster create did not finish within {s_createTimeout.TotalSeconds:0} s:\n{await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"redis-cli --cluster create exited with {process.ExitCode}:\n{await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        }
    }

    /// <summary>
    /// redis-cli returns once the nodes agree on the slots, but each node turns its state to ok on its own, a moment
    /// later; a client connecting in between would be told CLUSTERDOWN.
    /// </summary>
    private static async Task WaitForOkAsync(List<RedisServer> nodes, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var notOk = new List<string>();
            foreach (var node in nodes)
            {
                var info = await node.CommandAsync("CLUSTER", "INFO").ConfigureAwait(false);
                if (!info.Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    notOk.Add($"{node.Endpoint}:\n{info}");
                }
            }

            if (notOk.Count == 0)
            {
                return;
            }

            if (deadline.Elapsed > s_okTimeout)
            {
                throw new InvalidOperationException(
                    $"The cluster did not reach cluster_state:ok within {s_okTimeout.TotalSeconds:0} s:\n{string.Join('\n', notOk)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }
}
