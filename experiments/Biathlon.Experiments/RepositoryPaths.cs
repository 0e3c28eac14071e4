namespace Biathlon.Experiments;

/// <summary>Where the harness finds the repository, the fetched datasets and its built tables.</summary>
internal static class RepositoryPaths
{
    /// <summary>The repository root: the nearest folder above the working directory or the binary that holds Biathlon.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Fetched datasets: $BIATHLON_DATA, or data/real under the root.</summary>
    public static string Data => Environment.GetEnvironmentVariable("BIATHLON_DATA") is { Length: > 0 } data
        ? data
        : Path.Combine(Root, "data", "real");

    /// <summary>Built tables (Arrow IPC folders), beside the data.</summary>
    public static string Tables => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Data))!, "tables");

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Biathlon.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new CliException("Cannot find the repository root (a folder holding Biathlon.sln); run from inside the repository.");
    }
}
