namespace Biathlon.Host.Tests.Server;

/// <summary>The test harness itself: it must fail early and say why, rather than hang or pass on a server that cannot serve.</summary>
[Collection(ServerCollection.Name)]
public sealed class ServerHostTests
{
    [Fact]
    public void Missing_model_names_the_command_that_trains_it()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TestPipelines.RequireTrained("no-such-pipeline"));
        Assert.Contains("pipelines/no-such-pipeline/model.onnx is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet run -c Release --project experiments/Biathlon.Experiments -- prepare --pipeline no-such-pipeline", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_cannot_load_its_pipeline_fails_to_start_with_the_reason()
    {
        using var stage = new PipelineStage();
        stage.Copy(TestPipelines.Sensor);
        File.Delete(Path.Combine(stage.PathOf(TestPipelines.Sensor), "model.onnx"));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerHost.StartAsync(
            [$"--Biathlon:PipelinesFolder={stage.Folder}", $"--Biathlon:DataDirectory={RealData.Directory}"], readyTimeout: TimeSpan.FromSeconds(60)));
        Assert.Contains("not ready", e.Message, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"failed\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_binds_a_free_loopback_port()
    {
        using var stage = new PipelineStage();
        stage.Link(TestPipelines.Sensor);
        await using var host = await ServerHost.StartAsync([$"--Biathlon:PipelinesFolder={stage.Folder}", $"--Biathlon:DataDirectory={RealData.Directory}"]);
        Assert.Equal("127.0.0.1", host.Address.Host);
        Assert.NotEqual(0, host.Address.Port);
        await Api.GetOkAsync(host.Client, "readyz");
    }
}
