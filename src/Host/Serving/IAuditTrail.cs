namespace Biathlon.Host.Serving;

/// <summary>Where served predictions are recorded for audit, without blocking the call that served them.</summary>
internal interface IAuditTrail
{
    /// <summary>False when auditing is off.</summary>
    bool Enabled { get; }

    /// <summary>The highest record sequence known durable (0: none yet).</summary>
    long DurableSequence { get; }

    /// <summary>Queues a record; false when the queue is full (the call is then refused, never unaudited).</summary>
    bool TryRecord(ServedPrediction prediction, out long sequence);
}
