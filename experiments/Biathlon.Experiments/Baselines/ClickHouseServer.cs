using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// A private ClickHouse server (Debian's <c>clickhouse-server</c>, 18.16) on loopback for the ClickHouse baselines:
/// free TCP and HTTP ports, its own data folder under the temp folder, and a config and users file written here (so
/// nothing under /etc is needed or changed). <see cref="StartAsync"/> returns once HTTP <c>/ping</c> answers;
/// <see cref="Dispose"/> kills the server's process tree and deletes the folder. Statements go over HTTP:
/// <see cref="QueryAsync"/> posts SQL and returns the TabSeparated text the server answers.
/// </summary>
/// <remarks>
/// 18.16 runs as root when started directly (it only refuses to run as root through its init script, which we do not
/// use), so no <c>--</c> options or user switch are needed. The server keeps running a query after its client goes
/// away, so statements are sent with <c>max_execution_time</c> as a guard.
/// </remarks>
public sealed class ClickHouseServer : IDisposable
{
    /// <summary>The binary's name on PATH.</summary>
    public const string BinaryName = "clickhouse-server";

    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly string _folder;
    private bool _disposed;

    private ClickHouseServer(Process process, HttpClient http, string folder, int httpPort)
    {
        _process = process;
        _http = http;
        _folder = folder;
        HttpPort = httpPort;
    }

    /// <summary>The loopback HTTP port the server listens on.</summary>
    public int HttpPort { get; }

    /// <summary>The server's process id.</summary>
    public int ProcessId { get; private init; }

    /// <summary>The server's folder (config, users, data, logs), deleted on dispose.</summary>
    public string Folder => _folder;

    /// <summary>Statements run with this many threads (default 1: one core per request, as the other exact baselines).</summary>
    public int MaxThreads { get; set; } = 1;

    /// <summary>
    /// The server binary on PATH (or under /usr/bin, /usr/sbin), or null when it is not installed.
    /// </summary>
    public static string? FindBinary()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/usr/bin"]))
        {
            var candidate = Path.Combine(folder, BinaryName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Starts a server and waits (up to <paramref name="timeout"/>, default 60 s) until it answers <c>/ping</c>.
    /// Throws <see cref="ClickHouseUnavailableException"/> when the binary is missing ("install clickhouse-server") or
    /// the server exits or does not answer in time (its log is quoted). The server is also killed when this process
    /// exits without disposing it.
    /// </summary>
    /// <param name="timeout">How long to wait for <c>/ping</c>.</param>
    /// <param name="binary">The server binary; null looks it up (<see cref="FindBinary"/>).</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public static async Task<ClickHouseServer> StartAsync(TimeSpan? timeout = null, string? binary = null, CancellationToken cancellationToken = default)
    {
        binary ??= FindBinary();
        if (binary is null || !File.Exists(binary))
        {
            throw new ClickHouseUnavailableException(
                $"'{binary ?? BinaryName}' was not found; install clickhouse-server (apt-get install -y clickhouse-server) to run the ClickHouse baselines.");
        }

        var folder = Path.Combine(Path.GetTempPath(), $"biathlon-clickhouse-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        Directory.CreateDirectory(Path.Combine(folder, "tmp"));
        var httpPort = FreePort();
        var tcpPort = FreePort();
        var config = Path.Combine(folder, "config.xml");
        File.WriteAllText(Path.Combine(folder, "users.xml"), UsersXml);
        File.WriteAllText(config, ConfigXml(folder, httpPort, tcpPort));

        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add($"--config-file={config}");
        var process = Process.Start(start) ?? throw new ClickHouseUnavailableException($"'{binary}' could not be started.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromMinutes(10) };
        var server = new ClickHouseServer(process, http, folder, httpPort) { ProcessId = process.Id };
        AppDomain.CurrentDomain.ProcessExit += server.OnProcessExit;
        try
        {
            await server.WaitForPingAsync(timeout ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs one statement and returns the server's answer (TabSeparated for a SELECT, empty for DDL). Throws
    /// <see cref="InvalidOperationException"/> with the server's error and the statement when it fails.
    /// </summary>
    public async Task<string> QueryAsync(string sql, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var content = new StringContent(sql, Encoding.UTF8);
        using var response = await _http.PostAsync(SettingsQuery(null), content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"ClickHouse failed ({(int)response.StatusCode}) on: {Shorten(sql)}{Environment.NewLine}{text.Trim()}");
        }

        return text;
    }

    /// <summary>The synchronous form of <see cref="QueryAsync"/>, for the per-request paths of the baselines.</summary>
    public string Query(string sql)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var request = new HttpRequestMessage(HttpMethod.Post, SettingsQuery(null)) { Content = new StringContent(sql, Encoding.UTF8) };
        using var response = _http.Send(request);
        using var reader = new StreamReader(response.Content.ReadAsStream(), Encoding.UTF8);
        var text = reader.ReadToEnd();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"ClickHouse failed ({(int)response.StatusCode}) on: {Shorten(sql)}{Environment.NewLine}{text.Trim()}");
        }

        return text;
    }

    /// <summary>
    /// Runs <paramref name="insert"/> (an <c>INSERT … FORMAT TabSeparated</c> statement) with <paramref name="body"/>
    /// as its data, streamed. Throws <see cref="InvalidOperationException"/> with the server's error.
    /// </summary>
    public async Task InsertAsync(string insert, HttpContent body, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var response = await _http.PostAsync(SettingsQuery(insert), body, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"ClickHouse failed ({(int)response.StatusCode}) on: {insert}{Environment.NewLine}{text.Trim()}");
        }
    }

    /// <summary>Kills the server's process tree and deletes its folder.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held: the temp folder keeps it
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private string SettingsQuery(string? query)
    {
        var settings = $"?max_threads={MaxThreads.ToString(CultureInfo.InvariantCulture)}&max_execution_time=600";
        return query is null ? settings : settings + "&query=" + Uri.EscapeDataString(query);
    }

    private async Task WaitForPingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new ClickHouseUnavailableException(
                    $"clickhouse-server exited with code {_process.ExitCode} while starting.{Environment.NewLine}{ReadLog()}");
            }

            try
            {
                using var ping = await _http.GetAsync("ping", cancellationToken).ConfigureAwait(false);
                if (ping.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new ClickHouseUnavailableException(
            $"clickhouse-server did not answer /ping on port {HttpPort} within {timeout.TotalSeconds:F0} s.{Environment.NewLine}{ReadLog()}");
    }

    private string ReadLog()
    {
        var log = Path.Combine(_folder, "server.err.log");
        if (!File.Exists(log))
        {
            return "(no log)";
        }

        var text = File.ReadAllText(log);
        return text.Length > 4000 ? text[^4000..] : text;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Shorten(string sql) => sql.Length > 2000 ? sql[..2000] + " …" : sql;

    private static string ConfigXml(string folder, int httpPort, int tcpPort) => $"""
        <?xml version="1.0"?>
        <yandex>
          <logger>
            <level>warning</level>
            <log>{folder}/server.log</log>
            <errorlog>{folder}/server.err.log</errorlog>
          </logger>
          <http_port>{httpPort.ToString(CultureInfo.InvariantCulture)}</http_port>
          <tcp_port>{tcpPort.ToString(CultureInfo.InvariantCulture)}</tcp_port>
          <listen_host>127.0.0.1</listen_host>
          <path>{folder}/data/</path>
          <tmp_path>{folder}/tmp/</tmp_path>
          <users_config>{folder}/users.xml</users_config>
          <default_profile>default</default_profile>
          <default_database>default</default_database>
          <mark_cache_size>536870912</mark_cache_size>
          <max_concurrent_queries>16</max_concurrent_queries>
        </yandex>
        """;

    /// <summary>One user, "default", without a password, reachable from loopback only; no quotas.</summary>
    private const string UsersXml = """
        <?xml version="1.0"?>
        <yandex>
          <profiles>
            <default>
              <max_memory_usage>10000000000</max_memory_usage>
            </default>
          </profiles>
          <users>
            <default>
              <password></password>
              <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
              </networks>
              <profile>default</profile>
              <quota>default</quota>
            </default>
          </users>
          <quotas>
            <default>
              <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
              </interval>
            </default>
          </quotas>
        </yandex>
        """;
}
