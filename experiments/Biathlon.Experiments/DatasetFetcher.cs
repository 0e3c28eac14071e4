using System.Diagnostics;

namespace Biathlon.Experiments;

/// <summary>Runs the pinned, checksummed fetch script for the datasets a command needs.</summary>
internal static class DatasetFetcher
{
    /// <summary>Makes sure <paramref name="file"/> exists in the data folder, fetching <paramref name="set"/> when it does not.</summary>
    public static string Require(string set, string file)
    {
        var path = Path.Combine(RepositoryPaths.Data, file);
        if (File.Exists(path))
        {
            return path;
        }

        Console.Error.WriteLine($"{file} is missing; fetching dataset '{set}' ...");
        Run(set);
        return File.Exists(path)
            ? path
            : throw new CliException($"The fetch script finished but {path} is still missing.");
    }

    /// <summary>Runs scripts/fetch-datasets.sh for the given sets; throws when it fails.</summary>
    public static void Run(params string[] sets)
    {
        var script = Path.Combine(RepositoryPaths.Root, "scripts", "fetch-datasets.sh");
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(RepositoryPaths.Data);
        foreach (var set in sets)
        {
            start.ArgumentList.Add(set);
        }

        using var process = Process.Start(start) ?? throw new CliException("Could not start bash to fetch the datasets.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new CliException($"Fetching datasets ({string.Join(", ", sets)}) failed with exit code {process.ExitCode}; see the messages above.");
        }
    }
}
