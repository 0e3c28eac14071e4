namespace EmbeddedScoring;

/// <summary>A command line that cannot be run: exit code 2, with the usage text.</summary>
internal sealed class UsageException(string message) : Exception(message);
