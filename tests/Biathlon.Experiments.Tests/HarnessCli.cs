using System.Diagnostics;

namespace Biathlon.Experiments.Tests;

/// <summary>The harness CLI as a user runs it: a child process of the built tool, in the repository root, on the real data.</summary>
internal static class HarnessCli
{
    /// <summary>Runs <c>biathlon-experiments ARGS</c> and returns its exit code, standard output and standard error.</summary>
    public static (int ExitCode, string Output, string Errors) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RealData.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "biathlon-experiments.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["BIATHLON_DATA"] = RealData.Directory;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors);
    }
}
