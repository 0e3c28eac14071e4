using Biathlon.Host.Metrics;
using Biathlon.Host.Status;
using Biathlon.Host.Tests.Metrics;

namespace Biathlon.Host.Tests.Status;

/// <summary>The status page's numbers come from the instruments, through a MeterListener.</summary>
public sealed class LiveStatisticsTests
{
    [Fact]
    public void Engine_and_server_durations_feed_per_pipeline_windows()
    {
        var pipeline = "live-" + Guid.NewGuid().ToString("N")[..8];
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        using var server = new ServerInstruments();
        using var live = new LiveStatistics(server, time);

        for (var i = 0; i < 60; i++)
        {
            FakeEngineInstruments.RecordPrediction(pipeline, 0.002);
        }

        FakeEngineInstruments.RecordPrediction(pipeline, 0.2);
        server.RequestCompleted(pipeline, "predict", 200, 0.003);
        server.RequestCompleted(pipeline, "predict", 200, 0.003);
        time.Advance(1);

        var statistics = Assert.Single(live.Snapshot(), s => s.Pipeline == pipeline);
        Assert.Equal(61, statistics.Predictions.Count);
        Assert.InRange(statistics.Predictions.P50, 0.002 / 1.07, 0.002 * 1.07);
        Assert.InRange(statistics.Predictions.P99, 0.2 / 1.07, 0.2 * 1.07);
        Assert.Equal(30.5, statistics.Predictions.PerSecond, 9);
        Assert.Equal(2, statistics.Requests.Count);
        Assert.InRange(statistics.Requests.P95, 0.003 / 1.07, 0.003 * 1.07);

        time.Advance(LatencyWindow.WindowSeconds);
        statistics = Assert.Single(live.Snapshot(), s => s.Pipeline == pipeline);
        Assert.Equal(0, statistics.Predictions.Count);
        Assert.True(double.IsNaN(statistics.Predictions.P50));
    }

    [Fact]
    public void Another_hosts_server_instruments_are_not_counted()
    {
        var pipeline = "live-other-" + Guid.NewGuid().ToString("N")[..8];
        using var mine = new ServerInstruments();
        using var other = new ServerInstruments();
        using var live = new LiveStatistics(mine, TimeProvider.System);

        other.RequestCompleted(pipeline, "predict", 200, 0.003);

        Assert.DoesNotContain(live.Snapshot(), s => s.Pipeline == pipeline);
    }
}
