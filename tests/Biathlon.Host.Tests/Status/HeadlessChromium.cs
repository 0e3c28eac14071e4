using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Biathlon.Host.Tests.Status;

/// <summary>
/// Drives Debian's headless Chromium for page tests: dump the DOM after load, or take a screenshot. Each call runs one
/// browser with a throw-away profile, waits for it with a timeout, and kills its whole process tree if it overruns,
/// so a hung renderer neither blocks the test run nor outlives it. A missing browser is a failure with instructions,
/// never a skip: CI installs it (.ci/run).
/// </summary>
public static class HeadlessChromium
{
    /// <summary>Overrides the browser looked up on PATH (chromium, chromium-browser).</summary>
    public const string PathVariable = "BIATHLON_CHROMIUM";

    /// <summary>Generous: a cold start on a loaded 2-core machine takes several seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The page's DOM as serialised after load (scripts run, meta refresh not followed).</summary>
    public static async Task<string> DumpDomAsync(Uri url, TimeSpan? timeout = null)
    {
        var result = await RunAsync(["--dump-dom", url.AbsoluteUri], timeout ?? DefaultTimeout);
        if (string.IsNullOrWhiteSpace(result.Stdout))
        {
            throw new InvalidOperationException($"chromium --dump-dom {url} printed nothing; stderr:\n{result.Stderr}");
        }

        return result.Stdout;
    }

    /// <summary>Saves a PNG screenshot of the page at the given window size.</summary>
    public static async Task ScreenshotAsync(
        Uri url, string pngPath, int width = 1280, int height = 900, TimeSpan? timeout = null)
    {
        var fullPath = Path.GetFullPath(pngPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        File.Delete(fullPath);
        var size = string.Create(CultureInfo.InvariantCulture, $"--window-size={width},{height}");
        var result = await RunAsync(
            ["--screenshot=" + fullPath, size, "--hide-scrollbars", url.AbsoluteUri], timeout ?? DefaultTimeout);
        if (!File.Exists(fullPath))
        {
            throw new InvalidOperationException($"chromium --screenshot wrote no {fullPath}; stderr:\n{result.Stderr}");
        }
    }

    /// <summary>The browser to run, or an exception saying how to install one.</summary>
    public static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{PathVariable}={configured} does not exist.");
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in (string[])["chromium", "chromium-browser"])
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException(
            "Headless Chromium is required for the status page tests but was not found on PATH. Install Debian's " +
            $"package: `apt-get install -y chromium` (.ci/run does this), or set {PathVariable} to the browser.");
    }

    private static async Task<(string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var profile = Directory.CreateTempSubdirectory("biathlon-chromium-");
        var start = new ProcessStartInfo(Locate())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        // --no-sandbox: tests and CI run as root, where Chromium's sandbox refuses to start.
        foreach (var argument in (string[])[
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--mute-audio",
                     "--user-data-dir=" + profile.FullName])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            try
            {
                process.Start();
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException($"Could not start {start.FileName}: {e.Message}", e);
            }

            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var deadline = new CancellationTokenSource(timeout))
            {
                try
                {
                    await process.WaitForExitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                    throw new TimeoutException(
                        $"chromium {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s; " +
                        $"stderr:\n{await stderr}");
                }
            }

            var output = (await stdout, await stderr);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"chromium {string.Join(' ', arguments)} exited with {process.ExitCode}; stderr:\n{output.Item2}");
            }

            return output;
        }
        finally
        {
            // Helpers (zygote, utility processes) normally leave with the browser; make sure none lingers.
            KillTree(process);
            DeleteProfile(profile);
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Not started, or already gone.
        }
    }

    private static void DeleteProfile(DirectoryInfo profile)
    {
        try
        {
            profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A helper still closing a file: the temp folder is cleaned eventually anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
