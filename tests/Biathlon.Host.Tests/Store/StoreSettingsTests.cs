using Biathlon.Host.Tests.OutOfProcess;
using Biathlon.Host.Tests.Server;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// The store's settings (<c>Biathlon:Store:Redis:*</c>), checked at start like every other setting, and the
/// <c>load-store</c> verb's refusals: bad input exits 2 naming what is wrong, a store that does not answer exits 1.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class StoreSettingsTests
{
    [Theory]
    [InlineData("SegmentRows", "3")]
    [InlineData("CacheMiB", "-1")]
    [InlineData("KeyPrefix", "two words")]
    [InlineData("OperationTimeoutMilliseconds", "5")]
    [InlineData("CacheTtlMilliseconds", "0")]
    [InlineData("Configuration", "   ")]
    public async Task A_bad_store_setting_stops_the_start_naming_it(string setting, string value)
    {
        using var stage = new RedisSensorStage();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StoreServer.StartAsync(
            stage.ServerArguments("127.0.0.1:1", $"--Biathlon:Store:Redis:{setting}={value}")));
        Assert.Contains($"Biathlon:Store:Redis:{setting}", e.Message, StringComparison.Ordinal);
        Assert.Single(e.Failures);
    }

    [Fact]
    public async Task Load_store_refuses_bad_arguments_with_exit_code_2_naming_them()
    {
        using var stage = new RedisSensorStage();
        var missing = Path.Combine(stage.Stage.Folder, "no-such-pipeline");
        (string[] Args, string Names)[] cases =
        [
            ([], "pipeline folder"),
            ([missing, "--redis", "127.0.0.1:1"], "does not exist"),
            ([stage.Folder, "--redis", "127.0.0.1:1", "--verbose", "yes"], "--verbose"),
            ([stage.Folder, "--redis"], "--redis needs a value"),
            ([stage.Folder, "--redis", "127.0.0.1:1", "--segment-rows", "many"], "--segment-rows"),
            ([stage.Folder, "--redis", "127.0.0.1:1", "--segment-rows", "3"], "--segment-rows"),
            ([stage.Folder, "--redis", "127.0.0.1:1", "--key-prefix", "a{b}"], "--key-prefix"),
            ([stage.Folder, "--redis", "127.0.0.1:1", "--data", missing], "--data"),
            ([stage.Folder, stage.Folder, "--redis", "127.0.0.1:1"], "one pipeline folder"),
        ];
        foreach (var (args, names) in cases)
        {
            var (code, output) = await RunAsync(args);
            Assert.True(code == 2, $"load-store {string.Join(' ', args)} exited with {code}:\n{output}");
            Assert.Contains(names, output, StringComparison.Ordinal);
            Assert.Contains("usage: Biathlon.Host load-store", output, StringComparison.Ordinal);
        }

        // A pipeline with no Redis table has nothing to upload: bad input too, said before any connection is tried.
        using var local = new PipelineStage();
        local.Copy(TestPipelines.Sensor);
        var (nothing, said) = await RunAsync([local.PathOf(TestPipelines.Sensor), "--redis", "127.0.0.1:1", "--data", RealData.Directory]);
        Assert.True(nothing == 2, said);
        Assert.Contains("nothing to upload", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_store_without_a_store_is_exit_code_2_and_with_a_store_that_is_down_exit_code_1()
    {
        using var stage = new RedisSensorStage();
        var environment = Environment.GetEnvironmentVariable("BIATHLON_REDIS");
        Environment.SetEnvironmentVariable("BIATHLON_REDIS", null);
        try
        {
            var (code, output) = await RunAsync([stage.Folder, "--data", RealData.Directory]);
            Assert.True(code == 2, output);
            Assert.Contains("--redis", output, StringComparison.Ordinal);
            Assert.Contains("BIATHLON_REDIS", output, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BIATHLON_REDIS", environment);
        }

        await using var redis = await RedisServer.StartAsync();
        redis.Kill();
        var (down, said) = await RunAsync([stage.Folder, "--redis", redis.Endpoint, "--data", RealData.Directory, "--timeout-ms", "500"]);
        Assert.True(down == 1, said);
        Assert.Contains("did not answer", said, StringComparison.Ordinal);
        Assert.Contains(redis.Endpoint, said, StringComparison.Ordinal);
    }

    [Fact]
    public void The_published_host_lists_the_verb_and_refuses_it_without_a_folder()
    {
        var (help, text) = ServerProcess.RunVerb("help");
        Assert.Equal(0, help);
        Assert.Contains("load-store PIPELINE_FOLDER [--redis CONFIG] [--data DIR]", text, StringComparison.Ordinal);

        var (bare, usage) = ServerProcess.RunVerb("load-store");
        Assert.Equal(2, bare);
        Assert.Contains("load-store PIPELINE_FOLDER", usage, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        var code = await StoreLoadCommand.RunAsync(args, output, output);
        return (code, output.ToString());
    }
}
