using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;

namespace Biathlon.Host.Audit;

/// <summary>
/// The scoring server's audit log: one hash-chained JSON line per prediction (format in <see cref="AuditChain"/>,
/// fields in docs/server.md).
/// </summary>
/// <remarks>
/// <para><b>Request path.</b> <see cref="TryAppend"/> numbers the entry with the next sequence number and queues it;
/// it does no I/O and never waits. A full queue refuses the entry (<see cref="AuditAppendStatus.QueueFull"/>, which
/// the server turns into a 503): entries are refused, never dropped.</para>
/// <para><b>Flush policy.</b> A single background writer takes the queued entries in sequence order, serializes,
/// chains and seals them into one batch, writes it, fsyncs the file (<c>FileStream.Flush(flushToDisk: true)</c>),
/// and only then raises <see cref="DurableSequence"/> to the batch's last sequence number. With
/// <see cref="AuditOptions.FlushInterval"/> above zero the writer waits that long after the first queued entry
/// before draining (group commit: fewer fsyncs, later durability). A record is acknowledged, that is durable, exactly
/// when its sequence number is at most <see cref="DurableSequence"/>; the server sends both numbers with each
/// response (<c>X-Audit-Sequence</c>, <c>X-Audit-Durable</c>).</para>
/// <para><b>Failure.</b> If a write or fsync fails, the writer stops for good: <see cref="Fault"/> is set, later
/// appends return <see cref="AuditAppendStatus.Faulted"/>, and <see cref="DurableSequence"/> no longer moves, so no
/// record is reported durable that might not be. Whatever part of the failed batch reached the file is a torn tail
/// or complete records after the durable ones, both of which the next start handles.</para>
/// <para><b>Restart.</b> Opening an existing log verifies its whole chain, truncates a torn tail, and continues
/// from the last record; a broken chain refuses to open (<see cref="AuditChainBrokenException"/>).</para>
/// <para><b>Shutdown.</b> <see cref="DisposeAsync"/> refuses new entries, lets the writer drain and fsync everything
/// queued, and closes the file.</para>
/// </remarks>
internal sealed class AuditLog : IAsyncDisposable
{
    /// <summary>The most bytes the writer gathers before it commits, so a steady stream still gets fsynced.</summary>
    private const int MaxBatchBytes = 1 << 20;

    private readonly Lock _appendLock = new();
    private readonly AuditFile? _file;
    private readonly Channel<PendingRecord>? _queue;
    private readonly TimeSpan _flushInterval;
    private readonly Func<Task>? _beforeEachBatch;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _writer = Task.CompletedTask;
    private TaskCompletionSource _durableAdvanced = NewSignal();
    private long _lastSequence;
    private long _durableSequence;
    private bool _closed;
    private Exception? _fault;
    private volatile bool _writerStopped;

    private AuditLog(AuditFile? file, AuditOptions options, ILogger logger, Func<Task>? beforeEachBatch)
    {
        _logger = logger;
        if (file is null)
        {
            return;
        }

        _file = file;
        _flushInterval = options.FlushInterval;
        _beforeEachBatch = beforeEachBatch;
        _lastSequence = file.LastSequence;
        _durableSequence = file.LastSequence;
        var queue = Channel.CreateBounded<PendingRecord>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _queue = queue;
        _writer = Task.Run(() => WriteAsync(file, queue.Reader));
    }

    /// <summary>False when no path is configured: appends return <see cref="AuditAppendStatus.Disabled"/>.</summary>
    public bool IsEnabled => _file is not null;

    /// <summary>The log's full path, or null when auditing is off.</summary>
    public string? Path => _file?.Path;

    /// <summary>The sequence number of the last accepted entry (0 before the first).</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>
    /// The highest sequence number written and fsynced: every record up to it is durable. Records found on opening
    /// count as durable (they are fsynced before the log accepts entries).
    /// </summary>
    public long DurableSequence => Volatile.Read(ref _durableSequence);

    /// <summary>Why the writer stopped, when it did: the log then refuses entries (readiness should fail).</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Opens the log configured by <paramref name="options"/>, or a disabled one when <see cref="AuditOptions.Path"/>
    /// is empty. Continues an existing file's chain after verifying it.
    /// </summary>
    /// <exception cref="AuditChainBrokenException">The existing file's chain does not verify.</exception>
    /// <exception cref="IOException">The file cannot be opened, or another writer holds it.</exception>
    public static AuditLog Open(AuditOptions options, ILogger<AuditLog>? logger = null) =>
        Open(options, logger, beforeEachBatch: null);

    /// <summary>
    /// <see cref="Open(AuditOptions, ILogger{AuditLog})"/> with a hook the writer awaits before each batch (tests
    /// stall the writer with it).
    /// </summary>
    internal static AuditLog Open(AuditOptions options, ILogger? logger, Func<Task>? beforeEachBatch)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        if (string.IsNullOrEmpty(options.Path))
        {
            return new AuditLog(null, options, logger, null);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FlushInterval, TimeSpan.Zero);
        var file = AuditFile.Open(options.Path, options.MaskedFields);
        if (file.TruncatedTornBytes > 0)
        {
            logger.TornTailTruncated(file.Path, file.TruncatedTornBytes, file.LastSequence);
        }

        logger.Opened(file.Path, file.LastSequence, file.LastSequence + 1);
        return new AuditLog(file, options, logger, beforeEachBatch);
    }

    /// <summary>
    /// Queues <paramref name="entry"/> under the next sequence number without waiting. The entry is serialized later
    /// on the writer: nothing it references may change afterwards.
    /// </summary>
    /// <param name="entry">The prediction to record.</param>
    /// <param name="sequence">The record's sequence number when <see cref="AuditAppendStatus.Accepted"/>, else 0.</param>
    public AuditAppendStatus TryAppend(AuditEntry entry, out long sequence)
    {
        ArgumentNullException.ThrowIfNull(entry);
        sequence = 0;
        if (_queue is null)
        {
            return AuditAppendStatus.Disabled;
        }

        // Numbering and queueing under one lock puts entries in the queue in sequence order, which the chain needs.
        lock (_appendLock)
        {
            if (_fault is not null)
            {
                return AuditAppendStatus.Faulted;
            }

            if (_closed)
            {
                return AuditAppendStatus.Closed;
            }

            var next = _lastSequence + 1;
            if (!_queue.Writer.TryWrite(new PendingRecord(next, entry)))
            {
                return AuditAppendStatus.QueueFull;
            }

            Volatile.Write(ref _lastSequence, next);
            sequence = next;
            return AuditAppendStatus.Accepted;
        }
    }

    /// <summary>Completes when every entry accepted before the call is durable.</summary>
    /// <exception cref="InvalidOperationException">The writer stopped first (closed or <see cref="Fault"/>).</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = LastSequence;
        while (true)
        {
            // Take the signal before reading the sequence: a batch published in between completes this signal.
            var advanced = Volatile.Read(ref _durableAdvanced);
            if (DurableSequence >= target)
            {
                return;
            }

            if (_writerStopped)
            {
                throw new InvalidOperationException(
                    $"The audit writer stopped before seq {target} was durable (durable: {DurableSequence}).", Fault);
            }

            await advanced.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Refuses new entries, writes and fsyncs everything queued, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue is null)
        {
            return;
        }

        bool first;
        lock (_appendLock)
        {
            first = !_closed;
            _closed = true;
            _queue.Writer.TryComplete();
        }

        if (first)
        {
            // Cuts a group-commit wait short: the queue is final.
            await _closing.CancelAsync().ConfigureAwait(false);
        }

        await _writer.ConfigureAwait(false);
        if (first)
        {
            _file!.Dispose();
            _closing.Dispose();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task WriteAsync(AuditFile file, ChannelReader<PendingRecord> queue)
    {
        try
        {
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                if (_beforeEachBatch is not null)
                {
                    await _beforeEachBatch().ConfigureAwait(false);
                }

                if (_flushInterval > TimeSpan.Zero)
                {
                    await Task.Delay(_flushInterval, _closing.Token)
                        .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                while (file.PendingBytes < MaxBatchBytes && queue.TryRead(out var pending))
                {
                    if (file.Add(pending.Sequence, pending.Entry) is { } failure)
                    {
                        _logger.RecordSubstituted(failure, pending.Sequence);
                    }
                }

                file.Commit();
                Volatile.Write(ref _durableSequence, file.LastSequence);
                SignalDurableAdvanced();
            }
        }
        catch (Exception exception)
        {
            // Fail-stop: after a failed write or fsync the file's state is unknown, so nothing more may be chained.
            lock (_appendLock)
            {
                _fault = exception;
                _queue!.Writer.TryComplete();
            }

            _logger.WriterFailed(exception, file.Path, DurableSequence);
        }
        finally
        {
            _writerStopped = true;
            SignalDurableAdvanced();
        }
    }

    private void SignalDurableAdvanced() => Interlocked.Exchange(ref _durableAdvanced, NewSignal()).TrySetResult();

    /// <summary>An accepted entry and the sequence number it was given.</summary>
    private readonly record struct PendingRecord(long Sequence, AuditEntry Entry);
}
