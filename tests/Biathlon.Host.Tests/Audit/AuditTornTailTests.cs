using System.Text;
using System.Text.Json;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditTornTailTests
{
    private static readonly byte[] s_partialLine = Encoding.UTF8.GetBytes("{\"seq\":11,\"prev\":\"3fa9");

    [Fact]
    public async Task A_partial_last_line_is_a_torn_tail_not_tampering()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 10);
        await AppendAsync(path, s_partialLine);

        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.TornTail, verification.Status);
        Assert.Equal(10, verification.RecordCount);
        Assert.Equal(s_partialLine.Length, verification.TornTailLength);
        Assert.Null(verification.Break);

        var output = new StringWriter();
        Assert.Equal(AuditVerifier.ExitValid, AuditVerifier.RunCommand(path, output));
        Assert.Contains("WARNING", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("torn tail", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("BROKEN", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reopening_truncates_the_torn_bytes_and_continues_the_chain()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 10);
        var complete = File.ReadAllBytes(path);
        await AppendAsync(path, s_partialLine);

        await using (var log = AuditLog.Open(new AuditOptions { Path = path }))
        {
            Assert.Equal(10, log.LastSequence);
            Assert.Equal(10, log.DurableSequence);
            Assert.Equal(complete, File.ReadAllBytes(path));
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(AuditTestLogs.Entry(i), out var seq));
                Assert.Equal(11 + i, seq);
            }
        }

        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.Valid, verification.Status);
        Assert.Equal(15, verification.RecordCount);
        Assert.Equal(complete, File.ReadAllBytes(path)[..complete.Length]);
    }

    [Fact]
    public async Task A_file_holding_only_a_torn_line_restarts_at_seq_1()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AppendAsync(path, s_partialLine);

        await AuditTestLogs.WriteAsync(path, 3);

        using var first = JsonDocument.Parse(AuditTestLogs.Lines(path)[0]);
        Assert.Equal(1, first.RootElement.GetProperty("seq").GetInt64());
        Assert.Equal(new string('0', 64), first.RootElement.GetProperty("prev").GetString());
        Assert.Equal(AuditVerificationStatus.Valid, AuditVerifier.Verify(path).Status);
    }

    private static async Task AppendAsync(string path, byte[] bytes)
    {
        await using var file = new FileStream(path, FileMode.Append);
        await file.WriteAsync(bytes);
    }
}
