namespace Biathlon.Host.Audit;

/// <summary>What <see cref="AuditVerifier"/> found in an audit log.</summary>
/// <param name="Status">Whether the chain holds.</param>
/// <param name="RecordCount">Complete records that verify, from the first (up to the first broken one).</param>
/// <param name="LastLineHash">SHA-256 (hex) of the last record that verifies: the next record's <c>prev</c>.</param>
/// <param name="CompleteLength">Bytes from the start of the file to the end of the last record that verifies.</param>
/// <param name="TornTailLength">
/// Bytes after the last newline (an interrupted write); 0 unless <see cref="AuditVerificationStatus.TornTail"/>.
/// </param>
/// <param name="Break">The first broken record, when <see cref="AuditVerificationStatus.Broken"/>.</param>
internal sealed record AuditVerification(
    AuditVerificationStatus Status,
    long RecordCount,
    string LastLineHash,
    long CompleteLength,
    long TornTailLength,
    AuditChainBreak? Break)
{
    /// <summary>The last record's sequence number (sequence numbers are the line numbers of a valid log).</summary>
    public long LastSequence => RecordCount;
}

/// <summary>Whether an audit log's chain holds.</summary>
internal enum AuditVerificationStatus
{
    /// <summary>Every line is a record that verifies.</summary>
    Valid,

    /// <summary>
    /// Every complete line verifies, and the file ends with a partial line without a newline: a write cut short
    /// (a killed process or a crash), not tampering. Such a record was never reported durable.
    /// </summary>
    TornTail,

    /// <summary>A complete line does not verify: see <see cref="AuditVerification.Break"/>.</summary>
    Broken,
}

/// <summary>The first record that does not verify.</summary>
/// <param name="LineNumber">Its line, from 1; also the sequence number it should carry.</param>
/// <param name="Reason">What is wrong with it.</param>
/// <param name="Detail">A sentence for people.</param>
internal sealed record AuditChainBreak(long LineNumber, AuditBreakReason Reason, string Detail)
{
    /// <summary>"line 7 (expected seq 7): prev does not match ..." for messages.</summary>
    public override string ToString() => $"line {LineNumber} (expected seq {LineNumber}): {Detail}";
}

/// <summary>Why a record does not verify, in the order the checks run.</summary>
internal enum AuditBreakReason
{
    /// <summary>Not a single JSON object, or longer than any record the writer writes.</summary>
    InvalidJson,

    /// <summary>No integer <c>seq</c> or no string <c>prev</c>.</summary>
    MissingChainField,

    /// <summary><c>seq</c> is not its line number: a record was removed, inserted or renumbered.</summary>
    SequenceGap,

    /// <summary><c>prev</c> is not the SHA-256 of the previous line: that line, or this <c>prev</c>, changed.</summary>
    PreviousHashMismatch,

    /// <summary>The record's <c>hash</c> seal does not match its bytes: this line changed.</summary>
    SealMismatch,
}
