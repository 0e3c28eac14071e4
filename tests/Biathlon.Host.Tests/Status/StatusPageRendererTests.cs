using Biathlon.Host.Status;

namespace Biathlon.Host.Tests.Status;

public sealed class StatusPageRendererTests
{
    [Fact]
    public void Every_name_from_a_spec_or_request_is_encoded()
    {
        var html = Render();

        Assert.DoesNotContain(StatusPageSamples.HostilePipeline, html, StringComparison.Ordinal);
        Assert.DoesNotContain(StatusPageSamples.HostileQuery, html, StringComparison.Ordinal);
        Assert.DoesNotContain(StatusPageSamples.HostileDescription, html, StringComparison.Ordinal);
        Assert.DoesNotContain("<MaxRounds>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void S1_bars_are_clamped_and_an_unknown_index_is_an_empty_bar()
    {
        var html = Render();

        Assert.Contains("style=\"width:37.5%\" data-s1=\"0.375\"", html, StringComparison.Ordinal);
        Assert.Contains("style=\"width:0%\" data-s1=\"n/a\"", html, StringComparison.Ordinal);
        Assert.Contains("style=\"width:100%\" data-s1=\"1\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Reloading_can_be_turned_off()
    {
        Assert.Contains("http-equiv=\"refresh\" content=\"5\"", Render(refreshSeconds: 5), StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", Render(refreshSeconds: 0), StringComparison.Ordinal);
    }

    [Fact]
    public void An_idle_server_says_so()
    {
        var html = StatusPageRenderer.Render([], [], [], 20, 5, StatusPageSamples.Now);
        Assert.Contains("No pipeline is loaded.", html, StringComparison.Ordinal);
        Assert.Contains("No prediction yet.", html, StringComparison.Ordinal);
    }

    private static string Render(int refreshSeconds = 5) => StatusPageRenderer.Render(
        StatusPageSamples.Pipelines(""),
        [new("flight-delay", new LatencySummary(10, 0.5, 0.002, 0.004, 0.005), LatencySummary.Empty)],
        StatusPageSamples.Predictions(""),
        20,
        refreshSeconds,
        StatusPageSamples.Now);
}
