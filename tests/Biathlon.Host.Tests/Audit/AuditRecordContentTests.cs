using System.Text.Json;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditRecordContentTests
{
    [Fact]
    public async Task Masked_fields_are_replaced_case_insensitively_and_the_rest_kept()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await using (var log = AuditLog.Open(new AuditOptions { Path = path, MaskedFields = ["ApiToken", "ssn"] }))
        {
            log.TryAppend(AuditTestLogs.Entry(0, new Dictionary<string, object?>
            {
                ["apiTOKEN"] = "tok-5f2c",
                ["SSN"] = 123456789L,
                ["origin"] = "ORD",
            }), out _);
        }

        Assert.DoesNotContain("tok-5f2c", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.DoesNotContain("123456789", File.ReadAllText(path), StringComparison.Ordinal);
        using var record = JsonDocument.Parse(AuditTestLogs.Lines(path)[0]);
        var request = record.RootElement.GetProperty("request");
        Assert.Equal("***", request.GetProperty("apiTOKEN").GetString());
        Assert.Equal("***", request.GetProperty("SSN").GetString());
        Assert.Equal("ORD", request.GetProperty("origin").GetString());
    }

    [Fact]
    public async Task Non_finite_numbers_are_written_as_strings()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        var entry = AuditTestLogs.Entry(0);
        await using (var log = AuditLog.Open(new AuditOptions { Path = path }))
        {
            log.TryAppend(new AuditEntry
            {
                Time = entry.Time,
                PipelineName = entry.PipelineName,
                PipelineVersion = 1,
                Request = entry.Request,
                Plan = [],
                Value = double.PositiveInfinity,
                BoundKind = "ErrorAtConfidence",
                Delta = 1,
                Confidence = double.NaN,
                S1 = new Dictionary<string, double> { ["q"] = double.NegativeInfinity },
                StopReason = "FixedFraction",
                Caller = AuditEntry.AnonymousCaller,
                Exact = false,
            }, out _);
        }

        using var record = JsonDocument.Parse(AuditTestLogs.Lines(path)[0]);
        Assert.Equal("NaN", record.RootElement.GetProperty("confidence").GetString());
        Assert.Equal("Infinity", record.RootElement.GetProperty("value").GetString());
        Assert.Equal("-Infinity", record.RootElement.GetProperty("s1").GetProperty("q").GetString());
        Assert.Equal(JsonValueKind.Null, record.RootElement.GetProperty("model").ValueKind);
        Assert.Equal("anonymous", record.RootElement.GetProperty("caller").GetString());
        Assert.Equal(AuditVerificationStatus.Valid, AuditVerifier.Verify(path).Status);
    }

    [Fact]
    public async Task An_entry_that_cannot_be_serialized_keeps_its_place_as_an_error_record()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await using (var log = AuditLog.Open(new AuditOptions { Path = path }))
        {
            log.TryAppend(AuditTestLogs.Entry(0), out _);
            var unprintable = new Dictionary<string, object?> { ["origin"] = new Unprintable() };
            log.TryAppend(AuditTestLogs.Entry(1, unprintable), out var bad);
            log.TryAppend(AuditTestLogs.Entry(2), out _);
            Assert.Equal(2, bad);
        }

        var lines = AuditTestLogs.Lines(path);
        using var substitute = JsonDocument.Parse(lines[1]);
        Assert.Equal(2, substitute.RootElement.GetProperty("seq").GetInt64());
        var error = substitute.RootElement.GetProperty("error").GetString();
        Assert.Equal("record not serializable: System.FormatException", error);
        Assert.False(substitute.RootElement.TryGetProperty("request", out _));
        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.Valid, verification.Status);
        Assert.Equal(3, verification.RecordCount);
    }

    private sealed class Unprintable
    {
        public override string ToString() => throw new FormatException("no text for this value");
    }
}
