using Microsoft.Extensions.Options;

namespace Biathlon.Host.Tests.Server;

/// <summary>Bad settings stop the start, and the message names each bad setting.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConfigurationTests
{
    [Fact]
    public async Task Bad_settings_stop_the_start_naming_each_setting()
    {
        using var stage = new PipelineStage();
        stage.Link(TestPipelines.Sensor);
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ServerHost.StartAsync(
        [
            $"--Biathlon:PipelinesFolder={stage.Folder}",
            "--Biathlon:Limits:MaxTau=1.5",
            "--Biathlon:Limits:QueueLength=-1",
            "--Biathlon:DrainDelaySeconds=-3",
            "--Biathlon:Compute:BatchWaitMicroseconds=20000",
            "--Biathlon:Compute:DeviceMemoryBudgetMiB=-1",
            $"--Biathlon:Shadows:{TestPipelines.Sensor}:Share=2",
            $"--Biathlon:Shadows:{TestPipelines.Sensor}:Folder={stage.PathOf(TestPipelines.Sensor)}",
        ], readyTimeout: TimeSpan.FromSeconds(30)));
        Assert.Contains("Biathlon:Limits:MaxTau", e.Message, StringComparison.Ordinal);
        Assert.Contains("Biathlon:Limits:QueueLength", e.Message, StringComparison.Ordinal);
        Assert.Contains("Biathlon:DrainDelaySeconds", e.Message, StringComparison.Ordinal);
        Assert.Contains("Biathlon:Compute:BatchWaitMicroseconds", e.Message, StringComparison.Ordinal);
        Assert.Contains("Biathlon:Compute:DeviceMemoryBudgetMiB", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Biathlon:Compute:Backend", e.Message, StringComparison.Ordinal);
        Assert.Contains($"Biathlon:Shadows:{TestPipelines.Sensor}:Share", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Biathlon:Limits:MinTau", e.Message, StringComparison.Ordinal);
    }
}
