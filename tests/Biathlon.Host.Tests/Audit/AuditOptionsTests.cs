using Biathlon.Host.Audit;
using Microsoft.Extensions.Configuration;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditOptionsTests
{
    [Fact]
    public void Options_bind_from_the_Biathlon_Audit_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Biathlon:Audit:Path"] = "/var/log/biathlon/audit.jsonl",
            ["Biathlon:Audit:QueueCapacity"] = "1024",
            ["Biathlon:Audit:FlushInterval"] = "00:00:00.005",
            ["Biathlon:Audit:MaskedFields:0"] = "ssn",
            ["Biathlon:Audit:MaskedFields:1"] = "email",
        }).Build();

        var options = new AuditOptions();
        configuration.GetSection(AuditOptions.SectionName).Bind(options);

        Assert.Equal("/var/log/biathlon/audit.jsonl", options.Path);
        Assert.Equal(1024, options.QueueCapacity);
        Assert.Equal(TimeSpan.FromMilliseconds(5), options.FlushInterval);
        Assert.Equal(["ssn", "email"], options.MaskedFields);
    }

    [Fact]
    public void Defaults_are_a_65536_queue_and_an_fsync_per_batch()
    {
        var options = new AuditOptions();
        Assert.Null(options.Path);
        Assert.Equal(65_536, options.QueueCapacity);
        Assert.Equal(TimeSpan.Zero, options.FlushInterval);
        Assert.Empty(options.MaskedFields);
    }

    [Fact]
    public async Task Without_a_path_auditing_is_off_and_nothing_is_written()
    {
        using var temp = new TempDirectory();
        await using var log = AuditLog.Open(new AuditOptions { Path = "" });

        Assert.False(log.IsEnabled);
        Assert.Equal(AuditAppendStatus.Disabled, log.TryAppend(AuditTestLogs.Entry(0), out var seq));
        Assert.Equal(0, seq);
        await log.FlushAsync();
        Assert.Equal(0, log.DurableSequence);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Invalid_settings_are_refused_on_open()
    {
        using var temp = new TempDirectory();
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            AuditLog.Open(new AuditOptions { Path = temp.File("a.jsonl"), QueueCapacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            AuditLog.Open(new AuditOptions { Path = temp.File("a.jsonl"), FlushInterval = TimeSpan.FromSeconds(-1) }));
    }
}
