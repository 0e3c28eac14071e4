using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// Reloads while predictions keep coming: 4 clients predict sensor-anomaly without pause while the pipeline is reloaded
/// 5 times. Every call must succeed, every answer must equal the reference answer of its request, and each client must
/// see the versions only go up, ending at the last one.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ReloadUnderLoadTests(MainServer server, ITestOutputHelper output)
{
    private const int Clients = 4;
    private const int Reloads = 5;

    [Fact]
    public async Task Reloads_under_load_fail_no_call_and_change_no_answer()
    {
        var requests = TestPipelines.SensorRequests(16, seed: 71);
        var references = new List<JsonObject>();
        foreach (var request in requests)
        {
            references.Add(await server.ReferenceAsync(request));
        }

        var first = (await Api.GetOkAsync(server.Client, $"v1/pipelines/{TestPipelines.Sensor}"))["version"]!.GetValue<long>();
        var last = first + Reloads;
        var failures = new ConcurrentQueue<string>();
        var calls = new long[Clients];
        var versionsSeen = new ConcurrentDictionary<long, int>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var previous = 0L;
            var sawLast = false;
            for (var n = c; !stop.IsCancellationRequested || !sawLast; n++)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    failures.Enqueue($"client {c}: never saw version {last}");
                    return;
                }

                var r = n % requests.Length;
                using var response = await Api.PostAsync(server.Client, Api.PredictPath(TestPipelines.Sensor), Api.Body(requests[r]));
                calls[c]++;
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"client {c}, call {calls[c]}: {(int)response.StatusCode} {Api.Shorten(text, 300)}");
                    continue;
                }

                var body = JsonNode.Parse(text)!;
                var version = body["version"]!.GetValue<long>();
                var header = response.Headers.GetValues("X-Pipeline-Version").Single();
                if (header != version.ToString(CultureInfo.InvariantCulture))
                {
                    failures.Enqueue($"client {c}: header version {header}, body version {version}");
                }

                if (version < previous)
                {
                    failures.Enqueue($"client {c}: version went back from {previous} to {version}");
                }

                previous = version;
                sawLast |= version == last;
                versionsSeen.AddOrUpdate(version, 1, (_, k) => k + 1);
                try
                {
                    Api.AssertSamePrediction(references[r], body, $"request {r} on version {version}");
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    failures.Enqueue($"client {c}: {e.Message}");
                }
            }
        })).ToArray();

        for (var k = 1; k <= Reloads; k++)
        {
            await Task.Delay(150);
            using var reload = await server.Client.PostAsync(new Uri($"v1/admin/pipelines/{TestPipelines.Sensor}/reload", UriKind.Relative), null);
            var reloaded = await Api.OkJsonAsync(reload);
            Assert.Equal(first + k, reloaded["version"]!.GetValue<long>());
            Assert.True(reloaded["selfTest"]!["passed"]!.GetValue<bool>());
        }

        await Task.Delay(100);
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        clock.Stop();

        output.WriteLine($"{calls.Sum()} predictions by {Clients} clients during {Reloads} reloads in {clock.ElapsedMilliseconds} ms; "
            + "calls by version: " + string.Join(", ", versionsSeen.OrderBy(v => v.Key).Select(v => $"v{v.Key}: {v.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} failure(s); the first ones:\n" + string.Join("\n", failures.Take(10)));
        Assert.Equal(last, versionsSeen.Keys.Max());
        Assert.True(versionsSeen.Keys.Min() >= first);
        Assert.True(versionsSeen.Count >= 2, "The clients were served by more than one version while the reloads happened.");
        Assert.All(calls, n => Assert.True(n > Reloads, $"each client kept predicting ({n} calls)"));
    }
}
