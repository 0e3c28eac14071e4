using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Biathlon.Host.Tests.Status;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// The whole server's status page in headless Chromium: after 7 real Flight-Delay predictions through the JSON API,
/// the page lists the pipeline and its version, live latency figures, and exactly the last 5 predictions, newest
/// first, each with one S1 bar per query whose width is the S1 that prediction's response carried. A screenshot of it
/// is saved in the test output folder.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed partial class StatusPageServerTests
{
    [Fact]
    public async Task The_status_page_shows_the_served_predictions_and_their_S1_bars()
    {
        var pipelines = TestPipelines.RepositoryPipelines;
        TestPipelines.RequireTrained(TestPipelines.Flight);
        await using var server = await ServerHost.StartAsync(
            [$"--Biathlon:PipelinesFolder={pipelines}", $"--Biathlon:Pipelines:0={TestPipelines.Flight}", "--Biathlon:StatusPage:RecentPredictions=5"]);
        string[] origins = ["ORD", "ATL", "DFW", "LAX", "DEN", "PHX", "SFO"];
        var responses = new List<JsonElement>();
        foreach (var origin in origins)
        {
            var request = TestPipelines.FlightSelfTest;
            request["origin"] = origin;
            using var reply = await server.Client.PostAsJsonAsync($"/v1/pipelines/{TestPipelines.Flight}/predict", new JsonObject { ["request"] = request });
            reply.EnsureSuccessStatusCode();
            responses.Add(JsonDocument.Parse(await reply.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        var dom = await HeadlessChromium.DumpDomAsync(new Uri(server.Address, "/"));

        var pipelineRow = Regex.Match(dom, $"<tr class=\"pipeline\" data-pipeline=\"{TestPipelines.Flight}\">[\\s\\S]*?</tr>");
        Assert.True(pipelineRow.Success, "no pipeline row for flight-delay");
        Assert.Contains("<td class=\"version number\">1</td>", pipelineRow.Value, StringComparison.Ordinal);
        Assert.Matches("<td class=\"predictions-p50 number\">[0-9.]+</td>",
            Regex.Match(dom, $"<tr class=\"live\" data-pipeline=\"{TestPipelines.Flight}\">[\\s\\S]*?</tr>").Value);

        var shown = PredictionBlock().Matches(dom);
        Assert.Equal(5, shown.Count);
        for (var i = 0; i < shown.Count; i++)
        {
            var response = responses[^(i + 1)]; // newest first
            var expected = response.GetProperty("queries").EnumerateArray().Select(q => q.GetProperty("s1").GetDouble()).ToArray();
            var bars = S1Bar().Matches(shown[i].Value);
            Assert.Equal(expected.Length, bars.Count);
            for (var q = 0; q < bars.Count; q++)
            {
                var width = double.Parse(bars[q].Groups["width"].Value, CultureInfo.InvariantCulture);
                Assert.Equal(Math.Clamp(expected[q], 0, 1) * 100, width, 4);
            }
        }

        Assert.True(responses.Any(r => r.GetProperty("queries").EnumerateArray().Any(q => q.GetProperty("s1").GetDouble() > 0.01)),
            "no prediction had a visible S1 bar, so the widths above prove little");

        var png = Path.Combine(AppContext.BaseDirectory, "screenshots", "status-page-server.png");
        await HeadlessChromium.ScreenshotAsync(new Uri(server.Address, "/"), png, width: 1280, height: 1000);
        Assert.True(new FileInfo(png).Length > 1_000, $"{png} is empty");
    }

    [GeneratedRegex("""<article class="prediction"[\s\S]*?</article>""")]
    private static partial Regex PredictionBlock();

    [GeneratedRegex("""<div class="s1-bar" role="img" style="width:(?<width>[0-9.]+)%" data-s1="(?<s1>[^"]*)" """)]
    private static partial Regex S1Bar();
}
