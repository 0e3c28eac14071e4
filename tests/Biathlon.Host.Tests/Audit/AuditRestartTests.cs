using System.Text.Json;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditRestartTests
{
    [Fact]
    public async Task Reopening_continues_the_sequence_and_chains_to_the_last_old_line()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 10);
        var lastOld = AuditTestLogs.Lines(path)[^1];

        await using (var log = AuditLog.Open(new AuditOptions { Path = path }))
        {
            Assert.Equal(10, log.LastSequence);
            Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(AuditTestLogs.Entry(0), out var seq));
            Assert.Equal(11, seq);
        }

        var lines = AuditTestLogs.Lines(path);
        Assert.Equal(11, lines.Count);
        using var firstNew = JsonDocument.Parse(lines[10]);
        Assert.Equal(11, firstNew.RootElement.GetProperty("seq").GetInt64());
        Assert.Equal(AuditTestLogs.Sha256Hex(lastOld), firstNew.RootElement.GetProperty("prev").GetString());
        Assert.Equal(AuditVerificationStatus.Valid, AuditVerifier.Verify(path).Status);
    }

    [Fact]
    public async Task A_second_writer_on_the_same_file_is_refused_while_readers_can_verify_it()
    {
        using var temp = new TempDirectory();
        var path = temp.File("logs/audit.jsonl");
        await using var log = AuditLog.Open(new AuditOptions { Path = path });
        Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(AuditTestLogs.Entry(0), out _));
        await log.FlushAsync();

        var error = Assert.Throws<IOException>(() => AuditLog.Open(new AuditOptions { Path = path }));
        Assert.Contains(Path.GetFullPath(path), error.Message, StringComparison.Ordinal);

        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.Valid, verification.Status);
        Assert.Equal(1, verification.RecordCount);
    }
}
