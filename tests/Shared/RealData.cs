using System.Diagnostics;

namespace Biathlon.Testing;

/// <summary>
/// Locates the real datasets, running the pinned, checksummed fetch script when they are missing. Tests that need
/// real data fail (they are not skipped) when it cannot be fetched: an untested build must not look green.
/// </summary>
public static class RealData
{
    private static readonly object s_gate = new();

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Directory => Environment.GetEnvironmentVariable("BIATHLON_DATA") is { Length: > 0 } data
        ? data
        : Path.Combine(RepositoryRoot, "data", "real");

    /// <summary>The path of <paramref name="file"/> from dataset <paramref name="set"/>, fetched if needed.</summary>
    public static string Require(string set, string file)
    {
        lock (s_gate)
        {
            var path = Path.Combine(Directory, file);
            if (!File.Exists(path))
            {
                var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
                start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", "fetch-datasets.sh"));
                start.ArgumentList.Add("--out");
                start.ArgumentList.Add(Directory);
                start.ArgumentList.Add(set);
                using var process = Process.Start(start)!;
                var output = process.StandardOutput.ReadToEndAsync();
                var errors = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0 || !File.Exists(path))
                {
                    throw new InvalidOperationException($"Could not fetch dataset '{set}' ({file}): {errors} {output.Result}");
                }
            }

            return path;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Biathlon.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
    }
}
