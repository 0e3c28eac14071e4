using System.Text.Json;

namespace Biathlon.Host.Audit;

/// <summary>
/// Checks an audit log's hash chain from its first line: each line must be one JSON object whose <c>seq</c> is its
/// line number, whose <c>prev</c> is the SHA-256 of the line before, and whose seal matches (<see cref="AuditChain"/>).
/// Reports the first line that fails, so one changed byte in record k is reported at record k.
/// </summary>
internal static class AuditVerifier
{
    /// <summary>Exit code: the chain holds (possibly with a torn tail, reported as a warning).</summary>
    public const int ExitValid = 0;

    /// <summary>Exit code: a record does not verify.</summary>
    public const int ExitBroken = 1;

    /// <summary>Exit code: the file is missing or cannot be read.</summary>
    public const int ExitUnreadable = 2;

    /// <summary>Verifies the log at <paramref name="path"/>; a running server may go on appending meanwhile.</summary>
    public static AuditVerification Verify(string path)
    {
        using var stream = new FileStream(
            path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        return Verify(stream);
    }

    /// <summary>Verifies the log read from <paramref name="stream"/>'s current position to its end.</summary>
    public static AuditVerification Verify(Stream stream)
    {
        var reader = new AuditLineReader(stream);
        var chain = new AuditChain();
        long lineNumber = 0;
        while (true)
        {
            var verifiedLength = reader.CompleteLength;
            var read = reader.Read(out var line);
            if (read == AuditLineRead.End)
            {
                var tail = reader.TornTailLength;
                var status = tail > 0 ? AuditVerificationStatus.TornTail : AuditVerificationStatus.Valid;
                return new AuditVerification(status, lineNumber, chain.PreviousHashText, reader.CompleteLength, tail, null);
            }

            lineNumber++;
            var problem = read == AuditLineRead.TooLong
                ? new AuditChainBreak(lineNumber, AuditBreakReason.InvalidJson,
                    $"the line is at least {AuditLineReader.MaxLineBytes} bytes long, longer than any record")
                : Check(line, lineNumber, chain);
            if (problem is not null)
            {
                return new AuditVerification(
                    AuditVerificationStatus.Broken, lineNumber - 1, chain.PreviousHashText, verifiedLength, 0, problem);
            }

            chain.Advance(line);
        }
    }

    /// <summary>
    /// Verifies the log at <paramref name="path"/> for the <c>verify-audit</c> command, writing the outcome to
    /// <paramref name="output"/>; returns <see cref="ExitValid"/>, <see cref="ExitBroken"/> or
    /// <see cref="ExitUnreadable"/>.
    /// </summary>
    public static int RunCommand(string path, TextWriter output)
    {
        if (!File.Exists(path))
        {
            output.WriteLine($"verify-audit: no audit log at '{path}'.");
            return ExitUnreadable;
        }

        AuditVerification result;
        try
        {
            result = Verify(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"verify-audit: cannot read '{path}': {exception.Message}");
            return ExitUnreadable;
        }

        switch (result.Status)
        {
            case AuditVerificationStatus.Broken:
                output.WriteLine($"BROKEN: '{path}' at {result.Break}.");
                output.WriteLine($"The {result.RecordCount} record(s) before it verify.");
                return ExitBroken;
            case AuditVerificationStatus.TornTail:
                output.WriteLine(
                    $"WARNING: '{path}' has a torn tail: {result.TornTailLength} byte(s) after record " +
                    $"{result.RecordCount} without a newline, left by an interrupted write (not tampering). The " +
                    "server truncates them when it next opens the log.");
                break;
        }

        output.WriteLine(
            $"OK: '{path}': {result.RecordCount} record(s), seq 1..{result.LastSequence}, chain intact; " +
            $"hash of the last record {result.LastLineHash}.");
        return ExitValid;
    }

    /// <summary>Why <paramref name="line"/> does not continue <paramref name="chain"/>, or null when it does.</summary>
    private static AuditChainBreak? Check(ReadOnlySpan<byte> line, long lineNumber, AuditChain chain)
    {
        long? sequence = null;
        var previousFound = false;
        var previousMatches = false;
        try
        {
            var json = new Utf8JsonReader(line);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
            {
                return new AuditChainBreak(lineNumber, AuditBreakReason.InvalidJson, "the line is not a JSON object");
            }

            // Reading every token validates the whole line; a single-value reader rejects anything after the object.
            while (json.Read())
            {
                if (json.TokenType != JsonTokenType.PropertyName || json.CurrentDepth != 1)
                {
                    continue;
                }

                if (json.ValueTextEquals(AuditFieldNames.Sequence.EncodedUtf8Bytes))
                {
                    json.Read();
                    sequence = json.TokenType == JsonTokenType.Number && json.TryGetInt64(out var number) ? number : null;
                }
                else if (json.ValueTextEquals(AuditFieldNames.Previous.EncodedUtf8Bytes))
                {
                    json.Read();
                    previousFound = json.TokenType == JsonTokenType.String;
                    previousMatches = previousFound && !json.ValueIsEscaped && chain.Follows(json.ValueSpan);
                }
            }
        }
        catch (JsonException exception)
        {
            return new AuditChainBreak(
                lineNumber, AuditBreakReason.InvalidJson, "the line is not valid JSON: " + exception.Message);
        }

        if (sequence is null || !previousFound)
        {
            return new AuditChainBreak(
                lineNumber, AuditBreakReason.MissingChainField, "the record lacks an integer seq or a string prev");
        }

        if (sequence != lineNumber)
        {
            return new AuditChainBreak(
                lineNumber, AuditBreakReason.SequenceGap, $"seq is {sequence}, expected {lineNumber}");
        }

        if (!previousMatches)
        {
            var previous = lineNumber == 1 ? "64 zeros (the first record)" : $"the SHA-256 of line {lineNumber - 1}";
            return new AuditChainBreak(
                lineNumber, AuditBreakReason.PreviousHashMismatch, $"prev is not {previous}");
        }

        return AuditChain.IsSealed(line)
            ? null
            : new AuditChainBreak(lineNumber, AuditBreakReason.SealMismatch, "its hash does not match the record's bytes");
    }
}
