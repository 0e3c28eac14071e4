namespace Biathlon.Host.Audit;

/// <summary>What <see cref="AuditLog.TryAppend"/> did with a record.</summary>
internal enum AuditAppendStatus
{
    /// <summary>
    /// Queued under the returned sequence number; durable once <see cref="AuditLog.DurableSequence"/> reaches it.
    /// </summary>
    Accepted,

    /// <summary>Auditing is off (no path configured); nothing was recorded and no sequence number was assigned.</summary>
    Disabled,

    /// <summary>The queue is full: the writer is behind. Nothing was recorded; the server answers 503.</summary>
    QueueFull,

    /// <summary>The log is shutting down. Nothing was recorded.</summary>
    Closed,

    /// <summary>The writer stopped on an I/O error (<see cref="AuditLog.Fault"/>). Nothing was recorded.</summary>
    Faulted,
}
