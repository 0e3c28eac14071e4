using System.Buffers;

namespace Biathlon.Host.Audit;

/// <summary>
/// The log file on disk: opened exclusively, its existing chain verified (a torn tail truncated), then extended by
/// batches of sealed, chained records that <see cref="Commit"/> writes and fsyncs. Used by one thread at a time.
/// </summary>
internal sealed class AuditFile : IDisposable
{
    private readonly FileStream _lock;
    private readonly FileStream _stream;
    private readonly AuditChain _chain;
    private readonly AuditRecordSerializer _serializer;
    private readonly ArrayBufferWriter<byte> _batch = new(64 * 1024);

    private AuditFile(
        string path, FileStream lockFile, FileStream stream, AuditVerification existing, IEnumerable<string> maskedFields)
    {
        Path = path;
        _lock = lockFile;
        _stream = stream;
        _chain = existing.RecordCount == 0 ? new AuditChain() : new AuditChain(existing.LastLineHash);
        _serializer = new AuditRecordSerializer(maskedFields);
        LastSequence = existing.LastSequence;
        TruncatedTornBytes = existing.TornTailLength;
    }

    /// <summary>The log's full path.</summary>
    public string Path { get; }

    /// <summary>The last sequence number added (committed or not); the records found on opening, at first.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Bytes of a torn tail removed on opening.</summary>
    public long TruncatedTornBytes { get; }

    /// <summary>Bytes added since the last <see cref="Commit"/>.</summary>
    public int PendingBytes => _batch.WrittenCount;

    /// <summary>
    /// Opens or creates the log at <paramref name="path"/> and prepares to continue its chain. A torn tail is truncated
    /// (it was never reported durable); a broken chain throws <see cref="AuditChainBrokenException"/>. A sibling
    /// <c>.lock</c> file held exclusively keeps a second writer (an overlapping restart) off the same log, while
    /// readers such as <c>verify-audit</c> can still open the log itself.
    /// </summary>
    public static AuditFile Open(string path, IEnumerable<string> maskedFields)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        var lockFile = Lock(fullPath);
        FileStream? stream = null;
        try
        {
            stream = new FileStream(fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
            var existing = AuditVerifier.Verify(stream);
            if (existing.Status == AuditVerificationStatus.Broken)
            {
                throw new AuditChainBrokenException(fullPath, existing.Break!);
            }

            if (existing.Status == AuditVerificationStatus.TornTail)
            {
                stream.SetLength(existing.CompleteLength);
            }

            // What a crashed predecessor wrote may still sit in the page cache: make it durable before counting on it.
            stream.Flush(flushToDisk: true);
            stream.Position = existing.CompleteLength;
            return new AuditFile(fullPath, lockFile, stream, existing, maskedFields);
        }
        catch
        {
            stream?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Serializes, seals and chains record <paramref name="sequence"/> into the pending batch.</summary>
    /// <returns>Why the entry was replaced by an error record, or null when it was written as given.</returns>
    public Exception? Add(long sequence, AuditEntry entry)
    {
        if (sequence != LastSequence + 1)
        {
            throw new InvalidOperationException($"Audit record {sequence} arrived after {LastSequence}.");
        }

        var record = _serializer.Serialize(sequence, _chain.PreviousHash, entry, out var failure);
        _chain.AppendSealed(record, _batch);
        LastSequence = sequence;
        return failure;
    }

    /// <summary>Writes the pending batch and fsyncs: every record added so far is durable when this returns.</summary>
    public void Commit()
    {
        _stream.Write(_batch.WrittenSpan);
        _stream.Flush(flushToDisk: true);
        _batch.ResetWrittenCount();
    }

    public void Dispose()
    {
        _stream.Dispose();
        _lock.Dispose();
    }

    private static FileStream Lock(string logPath)
    {
        var lockPath = logPath + ".lock";
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException exception)
        {
            throw new IOException(
                $"Cannot lock '{lockPath}': is another server writing the audit log '{logPath}'?", exception);
        }
    }
}
