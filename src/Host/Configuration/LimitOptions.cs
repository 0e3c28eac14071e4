namespace Biathlon.Host.Configuration;

/// <summary>
/// Limits the operator sets on what a call may ask for and on how much work the server admits (section
/// <c>Biathlon:Limits</c>). A call outside them gets a 400 naming the field; work beyond them gets a 429.
/// </summary>
internal sealed class LimitOptions
{
    /// <summary>Largest request body, in bytes (413 beyond it).</summary>
    public int MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Longest string a request field may hold, in characters.</summary>
    public int MaxStringLength { get; set; } = 256;

    /// <summary>Most requests in one batch call.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Smallest δ a call may ask for, as a share of the pipeline's own δ (a tighter δ reads more rows).</summary>
    public double MinDeltaRatio { get; set; } = 0.01;

    /// <summary>Largest δ a call may ask for, as a multiple of the pipeline's own δ.</summary>
    public double MaxDeltaRatio { get; set; } = 100;

    /// <summary>Smallest τ a call may ask for.</summary>
    public double MinTau { get; set; } = 0.5;

    /// <summary>Largest τ a call may ask for (τ near 1 reads nearly everything).</summary>
    public double MaxTau { get; set; } = 0.999;

    /// <summary>Deadline of a call that sets none, in milliseconds: queueing included; an approximate prediction stops at it with its best answer, an exact one fails with 504.</summary>
    public int DefaultDeadlineMs { get; set; } = 2_000;

    /// <summary>Longest deadline a call may ask for, in milliseconds.</summary>
    public int MaxDeadlineMs { get; set; } = 30_000;

    /// <summary>Predictions running at once (default: the processor count); more wait in the queue.</summary>
    public int MaxConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Calls that may wait for a slot; beyond it a call gets 429 with Retry-After at once.</summary>
    public int QueueLength { get; set; } = 64;
}
