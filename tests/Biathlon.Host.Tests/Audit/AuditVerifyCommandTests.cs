using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditVerifyCommandTests
{
    [Fact]
    public async Task A_valid_log_exits_0_with_its_record_count()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 25);
        var output = new StringWriter();

        Assert.Equal(AuditVerifier.ExitValid, AuditVerifier.RunCommand(path, output));

        Assert.StartsWith("OK", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("25 record(s)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_log_is_valid()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 0);

        Assert.Equal(AuditVerifier.ExitValid, AuditVerifier.RunCommand(path, new StringWriter()));
        Assert.Equal(0, AuditVerifier.Verify(path).RecordCount);
    }

    [Fact]
    public async Task A_changed_byte_exits_1_naming_the_record()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 100);
        var bytes = File.ReadAllBytes(path);
        var lines = AuditTestLogs.Lines(path);
        bytes[lines.Take(41).Sum(line => line.Length + 1) + 100] ^= 0x20;
        File.WriteAllBytes(path, bytes);
        var output = new StringWriter();

        Assert.Equal(AuditVerifier.ExitBroken, AuditVerifier.RunCommand(path, output));

        Assert.Contains("BROKEN", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("line 42", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("41 record(s) before it verify", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_exits_2_naming_it()
    {
        using var temp = new TempDirectory();
        var path = temp.File("nowhere.jsonl");
        var output = new StringWriter();

        Assert.Equal(AuditVerifier.ExitUnreadable, AuditVerifier.RunCommand(path, output));

        Assert.Contains(path, output.ToString(), StringComparison.Ordinal);
    }
}
