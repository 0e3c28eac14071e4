using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// Shadows over HTTP: sensor-anomaly served with a shadow that receives every approximate prediction (share 1). The
/// primary's responses must be exactly those of the same pipeline served without a shadow (<see cref="MainServer"/>),
/// and the comparisons must show up in the pipeline's description.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ShadowTests(MainServer reference, ITestOutputHelper output)
{
    private const int Predictions = 40;

    [Fact]
    public async Task Shadow_of_the_same_spec_agrees_on_every_call_and_never_shows_in_responses()
    {
        using var stage = new PipelineStage();
        stage.Copy(TestPipelines.Sensor, TestPipelines.Replayable);
        await using var host = await StartWithShadowAsync(stage, stage.PathOf(TestPipelines.Sensor));

        await AssertResponsesUnchangedAsync(host, seed: 81);
        var comparisons = await WaitForComparisonsAsync(host);
        Assert.Equal(0, comparisons["failed"]!.GetValue<long>());
        Assert.Equal(comparisons["compared"]!.GetValue<long>(), comparisons["agreed"]!.GetValue<long>());
        Assert.True(comparisons["compared"]!.GetValue<long>() >= 1);
        Assert.Equal(1.0, comparisons["agreement"]!.GetValue<double>());
    }

    [Fact]
    public async Task Shadow_of_another_spec_never_changes_the_primary_response()
    {
        using var stage = new PipelineStage();
        stage.Copy(TestPipelines.Sensor, TestPipelines.Replayable);
        using var elsewhere = new TempDirectory();
        var variant = Path.Combine(elsewhere.Path, "variant");
        PipelineStage.CopyTo(variant, TestPipelines.Sensor, spec =>
        {
            TestPipelines.Replayable(spec);
            spec["planner"]!["seed"] = 7;
            spec["planner"]!["initialFraction"] = 0.02;
            spec["bound"]!["tau"] = 0.9;
        });
        await using var host = await StartWithShadowAsync(stage, variant);

        await AssertResponsesUnchangedAsync(host, seed: 82);
        var comparisons = await WaitForComparisonsAsync(host);
        Assert.Equal(0, comparisons["failed"]!.GetValue<long>());
        Assert.True(comparisons["compared"]!.GetValue<long>() >= 1);
        Assert.InRange(comparisons["agreement"]!.GetValue<double>(), 0, 1);
    }

    /// <summary>
    /// A shadow whose window reaches past the request's reading (to +60) overflows where the primary's (to 0) does not:
    /// with the reading at its largest, the primary serves and the shadow fails. That failure is counted, and the server
    /// goes on serving: a shadow must never take the primary down.
    /// </summary>
    [Fact]
    public async Task Shadow_failing_a_request_the_primary_served_is_counted_and_the_server_keeps_serving()
    {
        using var stage = new PipelineStage();
        stage.Copy(TestPipelines.Sensor, TestPipelines.Replayable);
        using var elsewhere = new TempDirectory();
        var variant = Path.Combine(elsewhere.Path, "variant");
        PipelineStage.CopyTo(variant, TestPipelines.Sensor, spec =>
        {
            TestPipelines.Replayable(spec);
            spec["queries"]![0]!["window"]!["to"] = "60";
        });
        await using var host = await StartWithShadowAsync(stage, variant);

        var edge = TestPipelines.SensorSelfTest;
        edge["reading"] = long.MaxValue;
        await Api.PredictAsync(host.Client, TestPipelines.Sensor, edge);
        var clock = Stopwatch.StartNew();
        JsonObject? comparisons = null;
        while (comparisons?["failed"]?.GetValue<long>() is not 1)
        {
            Assert.False(host.App.Lifetime.ApplicationStopping.IsCancellationRequested, "The shadow's failure stopped the server.");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The shadow's failure was not counted in 30 s: {comparisons?.ToJsonString()}");
            await Task.Delay(50);
            comparisons = (await Api.GetOkAsync(host.Client, $"v1/pipelines/{TestPipelines.Sensor}"))["shadow"]!["comparisons"] as JsonObject;
        }

        output.WriteLine($"shadow after the failing request: {comparisons.ToJsonString()}");
        var request = TestPipelines.SensorRequests(1, seed: 83)[0];
        Api.AssertSamePrediction(await reference.ReferenceAsync(request), await Api.PredictAsync(host.Client, TestPipelines.Sensor, request), "after the shadow failed");
        Assert.True((await Api.GetOkAsync(host.Client, "readyz"))["ready"]!.GetValue<bool>());
        Assert.False(host.App.Lifetime.ApplicationStopping.IsCancellationRequested, "The server is stopping.");
    }

    /// <summary>
    /// A shadow whose folder cannot load (its model is gone) must not take the primary down: the server becomes ready,
    /// serves the primary's answers, lists no shadow version, and a reload of the pipeline succeeds.
    /// </summary>
    [Fact]
    public async Task Shadow_that_fails_to_load_leaves_the_primary_serving_and_reloadable()
    {
        using var stage = new PipelineStage();
        stage.Copy(TestPipelines.Sensor, TestPipelines.Replayable);
        using var elsewhere = new TempDirectory();
        var broken = Path.Combine(elsewhere.Path, "broken");
        PipelineStage.CopyTo(broken, TestPipelines.Sensor, TestPipelines.Replayable);
        File.Delete(Path.Combine(broken, "model.onnx"));
        await using var host = await StartWithShadowAsync(stage, broken);

        await AssertResponsesUnchangedAsync(host, seed: 83);
        var described = (await Api.JsonOf(await host.Client.GetAsync(new Uri($"v1/pipelines/{TestPipelines.Sensor}", UriKind.Relative)))).AsObject();
        Assert.Null(described["shadow"]!["version"]);
        using var reload = await host.Client.PostAsync(new Uri($"v1/admin/pipelines/{TestPipelines.Sensor}/reload", UriKind.Relative), null);
        Assert.Equal(System.Net.HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal(2, (await Api.JsonOf(reload))["version"]!.GetValue<long>());
    }

    private static Task<ServerHost> StartWithShadowAsync(PipelineStage stage, string shadowFolder) => ServerHost.StartAsync(
    [
        $"--Biathlon:PipelinesFolder={stage.Folder}",
        $"--Biathlon:DataDirectory={RealData.Directory}",
        $"--Biathlon:Shadows:{TestPipelines.Sensor}:Folder={shadowFolder}",
        $"--Biathlon:Shadows:{TestPipelines.Sensor}:Share=1",
    ]);

    /// <summary>Sends <see cref="Predictions"/> predictions, each of which must equal the shadowless server's answer.</summary>
    private async Task AssertResponsesUnchangedAsync(ServerHost host, int seed)
    {
        foreach (var request in TestPipelines.SensorRequests(Predictions, seed))
        {
            var expected = await reference.ReferenceAsync(request);
            var actual = await Api.PredictAsync(host.Client, TestPipelines.Sensor, request);
            Api.AssertSamePrediction(expected, actual, "a response with a shadow");
            Assert.Equal(1, actual["version"]!.GetValue<long>());
        }
    }

    /// <summary>Waits until every offered prediction is accounted for (compared, failed or skipped) and returns the figures.</summary>
    private async Task<JsonObject> WaitForComparisonsAsync(ServerHost host)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var described = await Api.GetOkAsync(host.Client, $"v1/pipelines/{TestPipelines.Sensor}");
            var shadow = described["shadow"]!.AsObject();
            Assert.Equal(1, shadow["version"]!.GetValue<long>());
            Assert.Equal(1.0, shadow["share"]!.GetValue<double>());
            if (shadow["comparisons"] is JsonObject comparisons)
            {
                var compared = comparisons["compared"]!.GetValue<long>();
                var skipped = comparisons["skipped"]!.GetValue<long>();
                var failed = comparisons["failed"]!.GetValue<long>();
                if (compared + skipped + failed >= Predictions)
                {
                    output.WriteLine($"shadow after {Predictions} predictions: {comparisons.ToJsonString()}");
                    Assert.Equal(Predictions, compared + skipped + failed);
                    Assert.Equal(1, comparisons["version"]!.GetValue<long>());
                    return comparisons;
                }
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The shadow did not account for {Predictions} predictions in 30 s: {shadow.ToJsonString()}");
            await Task.Delay(50);
        }
    }
}
