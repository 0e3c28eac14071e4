using System.Diagnostics;
using System.Net;
using System.Reflection;

namespace Biathlon.Experiments.Load;

/// <summary>
/// The scoring server (src/Host) as a child process on a loopback port the kernel picks (<c>--urls http://127.0.0.1:0</c>;
/// the port is read from Kestrel's "Now listening on" line, so no other process can take it in between), ready once
/// <c>/readyz</c> answers 200. Disposing stops it with SIGTERM (the server drains and flushes its audit log), and kills it
/// if it has not exited within 15 seconds.
/// </summary>
internal sealed class ScoringServerProcess : IAsyncDisposable
{
    private const string ListeningPrefix = "Now listening on: ";
    private const int TailLines = 60;

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ScoringServerProcess(Process process, string hostDll)
    {
        _process = process;
        HostDll = hostDll;
    }

    /// <summary>The server's root address, e.g. http://127.0.0.1:43691/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The dll that was started.</summary>
    public string HostDll { get; }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// The server dll built beside this harness (its path is written into the assembly at build time), or, when that
    /// file is gone, src/Host/bin/CONFIGURATION/... under the repository; a <see cref="CliException"/> naming what to
    /// build when neither exists.
    /// </summary>
    public static string LocateHostDll()
    {
        var assembly = typeof(ScoringServerProcess).Assembly;
        var built = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BiathlonHostDll")?.Value;
        if (built is { Length: > 0 } && File.Exists(built))
        {
            return built;
        }

        var configuration = assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var fallback = Path.Combine(RepositoryPaths.Root, "src", "Host", "bin", configuration, "net10.0", "linux-x64", "Biathlon.Host.dll");
        return File.Exists(fallback)
            ? fallback
            : throw new CliException(
                $"The scoring server is not built: {(built is { Length: > 0 } ? built : fallback)} is missing. Build it with " +
                $"'dotnet build -c {configuration} src/Host' (building the experiments project builds it too), or load a running server with --server URL.");
    }

    /// <summary>Starts the server on <paramref name="pipelines"/> and waits until it is ready.</summary>
    /// <param name="hostDll">The server's dll (<see cref="LocateHostDll"/>).</param>
    /// <param name="pipelinesRoot">The folder of pipeline folders.</param>
    /// <param name="pipelines">The pipeline folders to serve.</param>
    /// <param name="auditPath">Audit log file, or null to run without auditing.</param>
    /// <param name="readyTimeout">How long loading (tables, models, self-tests) may take.</param>
    public static async Task<ScoringServerProcess> StartAsync(string hostDll, string pipelinesRoot, IReadOnlyList<string> pipelines, string? auditPath, TimeSpan readyTimeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // The server's folder: its appsettings.json (content root) applies, as when an operator starts it there.
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.ArgumentList.Add($"--Biathlon:PipelinesFolder={pipelinesRoot}");
        for (var i = 0; i < pipelines.Count; i++)
        {
            start.ArgumentList.Add($"--Biathlon:Pipelines:{i}={pipelines[i]}");
        }

        start.ArgumentList.Add($"--Biathlon:DataDirectory={RepositoryPaths.Data}");
        // No per-request log lines (they would be part of what is measured); the listening address must be logged.
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.AspNetCore=Warning");
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
        if (auditPath is not null)
        {
            start.ArgumentList.Add($"--Biathlon:Audit:Path={auditPath}");
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ScoringServerProcess(process, hostDll);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        if (!process.Start())
        {
            throw new CliException($"Could not start 'dotnet {hostDll}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(readyTimeout).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The server's last lines of output, for error messages.</summary>
    public string Tail()
    {
        lock (_tail)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited())
        {
            // SIGTERM: ASP.NET Core stops accepting, drains and disposes its services (the audit log flushes).
            using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false }))
            {
                if (kill is not null)
                {
                    await kill.WaitForExitAsync().ConfigureAwait(false);
                }
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }

    private bool HasExited()
    {
        try
        {
            return _process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }

        var at = line.IndexOf(ListeningPrefix, StringComparison.Ordinal);
        if (at >= 0 && Uri.TryCreate(line[(at + ListeningPrefix.Length)..].Trim(), UriKind.Absolute, out var uri))
        {
            _listening.TrySetResult(new Uri(uri.GetLeftPart(UriPartial.Authority) + "/"));
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_listening.Task, exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (first != _listening.Task)
        {
            throw Failure(first == exited ? $"exited with code {_process.ExitCode} before listening" : $"did not start listening within {timeout.TotalSeconds:0} s");
        }

        BaseAddress = await _listening.Task.ConfigureAwait(false);
        var last = "";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (HasExited())
            {
                throw Failure($"exited with code {_process.ExitCode} while loading");
            }

            (var ready, last) = await ReadinessAsync(BaseAddress).ConfigureAwait(false);
            if (ready)
            {
                return;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw Failure($"was not ready within {timeout.TotalSeconds:0} s (last /readyz: {last})");
    }

    /// <summary>Asks <paramref name="baseAddress"/>/readyz once: whether it answered 200, and what it said.</summary>
    public static async Task<(bool Ready, string Detail)> ReadinessAsync(Uri baseAddress)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri(baseAddress, "readyz")).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return (response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        }
        catch (HttpRequestException e)
        {
            return (false, e.Message);
        }
        catch (TaskCanceledException)
        {
            return (false, "no answer within 10 s");
        }
    }

    private CliException Failure(string what) =>
        new($"The scoring server ({HostDll}) {what}. Its last output:{Environment.NewLine}{Tail()}");
}
