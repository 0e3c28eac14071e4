using System.Text;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditTamperTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(100)]
    public async Task Any_one_changed_byte_in_record_k_is_reported_at_record_k(int k)
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 100);
        var original = File.ReadAllBytes(path);
        var lines = AuditTestLogs.Lines(path);
        var start = lines.Take(k - 1).Sum(line => line.Length + 1);
        // Every byte of the line and its newline; the last newline excepted, as removing it reads as a torn write.
        var end = start + lines[k - 1].Length + (k < lines.Count ? 1 : 0);

        for (var position = start; position < end; position++)
        {
            var tampered = (byte[])original.Clone();
            tampered[position] ^= 0x01;
            var verification = AuditVerifier.Verify(new MemoryStream(tampered));
            Assert.True(verification.Status == AuditVerificationStatus.Broken,
                $"byte {position - start} of record {k} changed, yet {verification.Status}");
            Assert.Equal(k, verification.Break!.LineNumber);
            Assert.Equal(k - 1, verification.RecordCount);
        }
    }

    [Fact]
    public async Task Each_kind_of_change_is_named()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 100);
        var lines = AuditTestLogs.Lines(path);

        AuditChainBreak BreakAfter(Func<string, string> change)
        {
            var tampered = lines.ToList();
            tampered[49] = Encoding.UTF8.GetBytes(change(Encoding.UTF8.GetString(tampered[49])));
            var file = tampered.SelectMany(l => l.Append((byte)'\n')).ToArray();
            var verification = AuditVerifier.Verify(new MemoryStream(file));
            Assert.Equal(AuditVerificationStatus.Broken, verification.Status);
            return verification.Break!;
        }

        Assert.Equal(AuditBreakReason.SealMismatch, BreakAfter(l => l.Replace("\"ORD\"", "\"ORF\"")).Reason);
        Assert.Equal(AuditBreakReason.SequenceGap, BreakAfter(l => l.Replace("\"seq\":50", "\"seq\":51")).Reason);
        Assert.Equal(AuditBreakReason.PreviousHashMismatch, BreakAfter(ChangePrev).Reason);
        Assert.Equal(AuditBreakReason.MissingChainField, BreakAfter(l => l.Replace("\"seq\":", "\"sequence\":")).Reason);
        Assert.Equal(AuditBreakReason.InvalidJson, BreakAfter(l => l[..^1]).Reason);

        static string ChangePrev(string line)
        {
            var digit = line.IndexOf("\"prev\":\"", StringComparison.Ordinal) + 8;
            return line[..digit] + (line[digit] == '0' ? '1' : '0') + line[(digit + 1)..];
        }
    }

    [Fact]
    public async Task A_changed_record_with_a_recomputed_seal_is_caught_by_the_next_records_prev()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 100);
        var lines = AuditTestLogs.Lines(path);
        var changed = Encoding.UTF8.GetString(lines[49]).Replace("\"ORD\"", "\"ORF\"", StringComparison.Ordinal);
        lines[49] = AuditTestLogs.Reseal(Encoding.UTF8.GetBytes(changed));
        AuditTestLogs.WriteLines(path, lines);

        var verification = AuditVerifier.Verify(path);

        Assert.Equal(AuditVerificationStatus.Broken, verification.Status);
        Assert.Equal(51, verification.Break!.LineNumber);
        Assert.Equal(AuditBreakReason.PreviousHashMismatch, verification.Break.Reason);
    }

    [Fact]
    public async Task A_deleted_middle_line_is_reported_as_a_sequence_gap_with_exit_code_1()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 100);
        var lines = AuditTestLogs.Lines(path);
        lines.RemoveAt(49);
        AuditTestLogs.WriteLines(path, lines);

        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.Broken, verification.Status);
        Assert.Equal(50, verification.Break!.LineNumber);
        Assert.Equal(AuditBreakReason.SequenceGap, verification.Break.Reason);

        var output = new StringWriter();
        Assert.Equal(AuditVerifier.ExitBroken, AuditVerifier.RunCommand(path, output));
        Assert.Contains("BROKEN", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("line 50", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_a_broken_log_throws_naming_the_file_and_the_record_and_leaves_it_as_it_was()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 20);
        var bytes = File.ReadAllBytes(path);
        var lines = AuditTestLogs.Lines(path);
        bytes[lines.Take(6).Sum(line => line.Length + 1) + 40] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<AuditChainBrokenException>(() => AuditLog.Open(new AuditOptions { Path = path }));

        Assert.Contains(Path.GetFullPath(path), error.Message, StringComparison.Ordinal);
        Assert.Contains("line 7", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, error.Break.LineNumber);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        // The failed open released its lock: a second attempt fails the same way, not as "in use".
        Assert.Throws<AuditChainBrokenException>(() => AuditLog.Open(new AuditOptions { Path = path }));
    }
}
