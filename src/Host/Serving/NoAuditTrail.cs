namespace Biathlon.Host.Serving;

/// <summary>Auditing off (no <c>Biathlon:Audit:Path</c>).</summary>
internal sealed class NoAuditTrail : IAuditTrail
{
    public bool Enabled => false;

    public long DurableSequence => 0;

    public bool TryRecord(ServedPrediction prediction, out long sequence)
    {
        sequence = 0;
        return true;
    }
}
