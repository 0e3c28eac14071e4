namespace Biathlon.Host.Audit;

/// <summary>
/// Thrown when an existing audit log's chain does not verify: the server refuses to append to it, because records
/// chained after a broken one would look valid.
/// </summary>
internal sealed class AuditChainBrokenException : Exception
{
    public AuditChainBrokenException(string path, AuditChainBreak chainBreak)
        : base($"The audit log '{path}' is broken at {chainBreak}. Refusing to append to it: keep it as evidence, " +
               "check it with 'verify-audit', and point Biathlon:Audit:Path at a new file.")
    {
        Path = path;
        Break = chainBreak;
    }

    /// <summary>The log's full path.</summary>
    public string Path { get; }

    /// <summary>The first record that does not verify.</summary>
    public AuditChainBreak Break { get; }
}
