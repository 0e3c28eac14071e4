namespace Biathlon.Experiments;

/// <summary>An error the CLI reports as one line and a non-zero exit code, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
