using System.Diagnostics;
using System.Net;
using System.Text;
using Biathlon.Host.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// Graceful drain: a flight-delay predict-exact is in flight (its body half sent) when the server is told to stop, as
/// SIGTERM does. Readiness must turn to "draining" at once, and the call must still complete with its 200 and the right
/// answer before the server stops.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DrainTests(ITestOutputHelper output)
{
    private const string GatedHeader = "X-Test-Gated";

    [Fact]
    public async Task Stopping_turns_readiness_to_draining_and_lets_the_call_in_flight_finish()
    {
        using var stage = new PipelineStage();
        stage.Link(TestPipelines.Flight);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await ServerHost.StartAsync(
            [$"--Biathlon:PipelinesFolder={stage.Folder}", $"--Biathlon:DataDirectory={RealData.Directory}", "--Biathlon:DrainSeconds=30"],
            app => app.Use(async (context, next) =>
            {
                // Kestrel has parsed the call's headers and is running it: it is in flight from here on.
                if (context.Request.Headers.ContainsKey(GatedHeader))
                {
                    arrived.TrySetResult();
                }

                await next(context);
            }));

        var request = TestPipelines.FlightBusyRoute;
        var reference = await Api.PredictAsync(host.Client, TestPipelines.Flight, request, "predict-exact");
        var lifecycle = host.App.Services.GetRequiredService<ServerLifecycle>();
        Assert.False(lifecycle.Draining);

        // The call: headers and half the body now, the rest when the test says so. Its deadline leaves room for the wait.
        var body = Encoding.UTF8.GetBytes(Api.Body(request, ("deadlineMs", 20_000)).ToJsonString());
        using var content = new GatedContent(body, body.Length / 2);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Api.PredictPath(TestPipelines.Flight, "predict-exact"), UriKind.Relative)) { Content = content };
        message.Headers.Add(GatedHeader, "1");
        var inFlight = host.Client.SendAsync(message);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        var stopping = host.StopAsync();
        while (!lifecycle.Draining)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "The server did not start draining within 10 s of being told to stop.");
            await Task.Delay(10);
        }

        // Over HTTP, readiness is observable only while the listener still takes connections; when it is, it says draining.
        using (var probe = host.NewClientForServer())
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                using var ready = await probe.GetAsync(new Uri("readyz", UriKind.Relative), timeout.Token);
                var readiness = await Api.JsonOf(ready);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Equal("draining", readiness["status"]!.GetValue<string>());
                output.WriteLine("GET /readyz while draining: 503 draining");
            }
            catch (HttpRequestException e)
            {
                output.WriteLine($"GET /readyz while draining: no connection ({e.Message}); the drain flag was checked in process");
            }
        }

        Assert.False(stopping.IsCompleted, "The server stopped while a call was still in flight.");
        content.Release();
        using var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        var answer = await Api.OkJsonAsync(response);
        Api.AssertSamePrediction(reference, answer, "the call that was in flight during the drain");
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"stopped {clock.ElapsedMilliseconds} ms after being told to, the call in flight answered 200");
    }

    /// <summary>
    /// With a drain delay, the listener stays open after the stop signal: a balancer polling /readyz over HTTP sees 503
    /// "draining", and a prediction sent then is still served, before the server closes its listeners.
    /// </summary>
    [Fact]
    public async Task A_drain_delay_keeps_answering_so_balancers_see_readiness_turn_to_draining()
    {
        using var stage = new PipelineStage();
        stage.Link(TestPipelines.Sensor);
        await using var host = await ServerHost.StartAsync([$"--Biathlon:PipelinesFolder={stage.Folder}", $"--Biathlon:DataDirectory={RealData.Directory}", "--Biathlon:DrainDelaySeconds=2"]);
        var lifecycle = host.App.Services.GetRequiredService<ServerLifecycle>();
        var clock = Stopwatch.StartNew();
        var stopping = Task.Run(() => host.StopAsync());
        while (!lifecycle.Draining)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "The server did not start draining within 10 s of being told to stop.");
            await Task.Delay(10);
        }

        using var probe = host.NewClientForServer();
        using var ready = await probe.GetAsync(new Uri("readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("draining", (await Api.JsonOf(ready))["status"]!.GetValue<string>());
        var answer = await Api.PredictAsync(probe, TestPipelines.Sensor, TestPipelines.SensorSelfTest);
        Assert.True(answer["value"] is not null);
        Assert.False(stopping.IsCompleted, "The server stopped before its drain delay was over.");
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"stopped after {clock.Elapsed}, before the 2 s delay");
        output.WriteLine($"readiness 503 draining over HTTP, a prediction served, stopped after {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>A body sent in two parts: the first at once, the rest after <see cref="Release"/>.</summary>
    private sealed class GatedContent(byte[] body, int firstPart) : HttpContent
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, firstPart));
            await stream.FlushAsync();
            await _gate.Task;
            await stream.WriteAsync(body.AsMemory(firstPart));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
