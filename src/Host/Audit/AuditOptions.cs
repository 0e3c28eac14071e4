namespace Biathlon.Host.Audit;

/// <summary>
/// Where and how the scoring server writes its audit log, bound from configuration section
/// <see cref="SectionName"/>.
/// </summary>
internal sealed record AuditOptions
{
    /// <summary>The configuration section the server binds these options from.</summary>
    public const string SectionName = "Biathlon:Audit";

    /// <summary>The JSON-lines file the records are appended to; null or empty turns auditing off.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// Records accepted but not yet written. When the queue is full, <see cref="AuditLog.TryAppend"/> refuses the
    /// record instead of waiting, so a stalled disk turns into 503s rather than blocked requests.
    /// </summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>
    /// Group-commit delay: how long the writer waits after the first queued record for more to arrive before it
    /// writes and fsyncs them together. Zero fsyncs as soon as it has drained the queue.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.Zero;

    /// <summary>Request fields (matched case-insensitively) whose values are written as <c>"***"</c>.</summary>
    public IReadOnlyList<string> MaskedFields { get; set; } = [];
}
