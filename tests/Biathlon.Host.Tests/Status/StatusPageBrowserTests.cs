using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Biathlon.Host.Metrics;
using Biathlon.Host.Status;
using Biathlon.Host.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Biathlon.Host.Tests.Status;

/// <summary>
/// The status page of a real Kestrel server as headless Chromium renders it: pipelines, live statistics, the last N
/// predictions with one S1 bar per query, hostile names shown as text; and a screenshot in the test output folder.
/// </summary>
public sealed partial class StatusPageBrowserTests
{
    [Fact]
    public async Task Headless_chromium_renders_pipelines_live_statistics_and_the_last_predictions_with_S1_bars()
    {
        var prefix = "ui-" + Guid.NewGuid().ToString("N")[..8] + "-";
        await using var app = await StartAsync(prefix, recentPredictions: 3);

        var dom = await HeadlessChromium.DumpDomAsync(app.Url(StatusPageEndpoint.Path));

        // (1) Pipelines, versions and the shadow version.
        var flightDelay = Row(dom, "pipeline", prefix + "flight-delay");
        Assert.Contains("<td class=\"version number\">3</td>", flightDelay, StringComparison.Ordinal);
        Assert.Contains("<td class=\"shadow number\">4</td>", flightDelay, StringComparison.Ordinal);
        Assert.Contains("<td class=\"version number\">12</td>", Row(dom, "pipeline", prefix + "sensor-anomaly"),
            StringComparison.Ordinal);

        // (2) Live statistics, read from the metrics this test recorded.
        var live = Row(dom, "live", prefix + "flight-delay");
        Assert.Matches("<td class=\"predictions-p50 number\">[0-9.]+</td>", live);
        Assert.Matches("<td class=\"requests-p99 number\">[0-9.]+</td>", live);

        // (3) The last N = 3 predictions (a 4th, older one fell out), newest first, one bar per query whose width is
        // S1 (clamped to 0..1; an unknown index is an empty bar), with the number in its title and aria-label.
        var predictions = PredictionBlock().Matches(dom);
        Assert.Equal(3, predictions.Count);
        Assert.DoesNotContain(prefix + "evicted", dom, StringComparison.Ordinal);
        double[][] expected = [[81.25, 0, 100], [100], [37.5, 50, 0]];
        for (var i = 0; i < predictions.Count; i++)
        {
            var bars = S1Bar().Matches(predictions[i].Value);
            Assert.Equal(expected[i], bars.Select(b => double.Parse(b.Groups["width"].Value, CultureInfo.InvariantCulture)));
            foreach (Match bar in bars)
            {
                var s1 = bar.Groups["s1"].Value;
                Assert.Equal(bar.Groups["title"].Value, bar.Groups["label"].Value);
                if (s1 == "n/a")
                {
                    Assert.EndsWith("S1 = n/a", bar.Groups["title"].Value, StringComparison.Ordinal);
                    continue;
                }

                var index = double.Parse(s1, CultureInfo.InvariantCulture);
                Assert.Equal(index * 100, double.Parse(bar.Groups["width"].Value, CultureInfo.InvariantCulture), 6);
                var shown = index.ToString("0.###", CultureInfo.InvariantCulture);
                Assert.EndsWith("S1 = " + shown, bar.Groups["title"].Value, StringComparison.Ordinal);
            }
        }

        // Hostile names are text, never markup: no script, img or b element made it into the DOM.
        Assert.Contains(">&lt;script&gt;alert('pipeline')&lt;/script&gt;<", dom, StringComparison.Ordinal);
        Assert.Contains(">&lt;img src=x onerror=alert(1)&gt;<", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", dom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headless_chromium_takes_a_screenshot_of_the_status_page()
    {
        var prefix = "shot-" + Guid.NewGuid().ToString("N")[..8] + "-";
        await using var app = await StartAsync(prefix, recentPredictions: 20);
        var png = Path.Combine(AppContext.BaseDirectory, "screenshots", "status-page.png");

        await HeadlessChromium.ScreenshotAsync(app.Url(StatusPageEndpoint.Path), png, width: 1280, height: 900);

        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 1_000, $"{png} has only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
        // IHDR: width and height, big-endian, right after the signature and the chunk's length and type.
        Assert.Equal(1280, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    private static async Task<LoopbackApp> StartAsync(string prefix, int recentPredictions)
    {
        var app = await LoopbackApp.StartAsync(
            services => services.AddServerMetrics(options => options.RecentPredictions = recentPredictions),
            web => web.MapStatusPage(() => StatusPageSamples.Pipelines(prefix)));
        var recent = app.Services.GetRequiredService<RecentPredictions>();
        recent.Add(StatusPageSamples.Predictions(prefix)[0] with { Pipeline = prefix + "evicted" });
        foreach (var prediction in StatusPageSamples.Predictions(prefix))
        {
            recent.Add(prediction);
        }

        var server = app.Services.GetRequiredService<ServerInstruments>();
        for (var i = 1; i <= 20; i++)
        {
            FakeEngineInstruments.RecordPrediction(prefix + "flight-delay", i / 4000.0);
            server.RequestCompleted(prefix + "flight-delay", "predict", 200, i / 3000.0);
        }

        return app;
    }

    private static string Row(string dom, string kind, string pipeline)
    {
        var start = dom.IndexOf($"<tr class=\"{kind}\" data-pipeline=\"{pipeline}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {kind} row for {pipeline}");
        return dom[start..dom.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex("""<article class="prediction"[\s\S]*?</article>""")]
    private static partial Regex PredictionBlock();

    [GeneratedRegex("""<div class="s1-bar" role="img" style="width:(?<width>[0-9.]+)%" data-s1="(?<s1>[^"]*)" title="(?<title>[^"]*)" aria-label="(?<label>[^"]*)">""")]
    private static partial Regex S1Bar();
}
