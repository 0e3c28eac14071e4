using System.Diagnostics;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditDurabilityTests
{
    [Fact]
    public async Task Dispose_drains_the_queue_and_makes_every_record_durable()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        var log = AuditLog.Open(new AuditOptions { Path = path });
        for (var i = 0; i < 5_000; i++)
        {
            Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(AuditTestLogs.Entry(i), out _));
        }

        await log.DisposeAsync();

        Assert.Equal(5_000, log.LastSequence);
        Assert.Equal(5_000, log.DurableSequence);
        Assert.Equal(5_000, AuditVerifier.Verify(path).RecordCount);
        Assert.Equal(AuditAppendStatus.Closed, log.TryAppend(AuditTestLogs.Entry(0), out var refused));
        Assert.Equal(0, refused);
    }

    [Fact]
    public async Task Flush_returns_once_the_records_appended_before_it_are_on_disk()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await using var log = AuditLog.Open(new AuditOptions { Path = path });
        for (var i = 0; i < 100; i++)
        {
            log.TryAppend(AuditTestLogs.Entry(i), out _);
        }

        await log.FlushAsync();

        Assert.Equal(100, log.DurableSequence);
        Assert.Equal(100, AuditVerifier.Verify(path).RecordCount);
    }

    [Fact]
    public async Task Group_commit_waits_the_flush_interval_and_dispose_cuts_the_wait_short()
    {
        using var temp = new TempDirectory();
        var interval = TimeSpan.FromMilliseconds(300);
        var log = AuditLog.Open(new AuditOptions { Path = temp.File("a.jsonl"), FlushInterval = interval });
        var clock = Stopwatch.StartNew();
        log.TryAppend(AuditTestLogs.Entry(0), out _);
        await log.FlushAsync();
        Assert.True(clock.Elapsed >= interval - TimeSpan.FromMilliseconds(20), $"durable after {clock.Elapsed}");
        await log.DisposeAsync();

        var slow = AuditLog.Open(new AuditOptions { Path = temp.File("b.jsonl"), FlushInterval = TimeSpan.FromHours(1) });
        slow.TryAppend(AuditTestLogs.Entry(0), out _);
        clock.Restart();
        await slow.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, slow.DurableSequence);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_without_using_a_sequence_number()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        var writerGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var log = AuditLog.Open(
            new AuditOptions { Path = path, QueueCapacity = 4 }, logger: null, beforeEachBatch: () => writerGate.Task);
        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(AuditTestLogs.Entry(i), out var seq));
            Assert.Equal(i, seq);
        }

        var clock = Stopwatch.StartNew();
        var status = log.TryAppend(AuditTestLogs.Entry(5), out var refused);
        clock.Stop();

        Assert.Equal(AuditAppendStatus.QueueFull, status);
        Assert.Equal(0, refused);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"TryAppend took {clock.Elapsed}");
        Assert.Equal(4, log.LastSequence);
        Assert.Equal(0, log.DurableSequence);

        writerGate.SetResult();
        await log.FlushAsync();
        Assert.Equal(4, log.DurableSequence);
        Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(AuditTestLogs.Entry(5), out var next));
        Assert.Equal(5, next);
        await log.DisposeAsync();
        Assert.Equal(5, AuditVerifier.Verify(path).RecordCount);
    }

    [Fact]
    public async Task A_failed_writer_stops_the_log_without_reporting_anything_more_durable()
    {
        using var temp = new TempDirectory();
        var failNextBatch = false;
        await using var log = AuditLog.Open(
            new AuditOptions { Path = temp.File("audit.jsonl") }, logger: null,
            beforeEachBatch: () => failNextBatch ? throw new IOException("disk full") : Task.CompletedTask);
        log.TryAppend(AuditTestLogs.Entry(0), out _);
        await log.FlushAsync();
        Volatile.Write(ref failNextBatch, true);

        log.TryAppend(AuditTestLogs.Entry(1), out _);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => log.FlushAsync());

        Assert.IsType<IOException>(error.InnerException);
        Assert.IsType<IOException>(log.Fault);
        Assert.Equal(1, log.DurableSequence);
        Assert.Equal(AuditAppendStatus.Faulted, log.TryAppend(AuditTestLogs.Entry(2), out _));
    }
}
