using Biathlon.Host.Status;

namespace Biathlon.Host.Tests.Status;

public sealed class LatencyWindowTests
{
    [Theory]
    [InlineData(0.000_001)]
    [InlineData(0.000_123)]
    [InlineData(0.004_2)]
    [InlineData(0.25)]
    [InlineData(3.7)]
    [InlineData(100)]
    public void A_value_reads_back_within_the_bucket_width(double seconds)
    {
        var midpoint = LatencyBuckets.Midpoint(LatencyBuckets.IndexOf(seconds));
        Assert.InRange(midpoint / seconds, 1 / 1.07, 1.07);
    }

    [Fact]
    public void Bucket_indexes_rise_with_the_value_and_clamp_at_both_ends()
    {
        var previous = -1;
        for (var seconds = 1e-7; seconds < 1e3; seconds *= 1.01)
        {
            var index = LatencyBuckets.IndexOf(seconds);
            Assert.InRange(index, Math.Max(previous, 0), LatencyBuckets.Count - 1);
            previous = index;
        }

        Assert.Equal(0, LatencyBuckets.IndexOf(double.NaN));
        Assert.Equal(0, LatencyBuckets.IndexOf(-1));
        Assert.Equal(LatencyBuckets.Count - 1, LatencyBuckets.IndexOf(double.PositiveInfinity));
    }

    [Fact]
    public void Percentiles_and_rate_come_from_the_last_minute_only()
    {
        var window = new LatencyWindow(nowSecond: 0);
        // Second 0: 100 slow measurements that must leave the window a minute later.
        for (var i = 0; i < 100; i++)
        {
            window.Record(1.0, nowSecond: 0);
        }

        // Seconds 30..59: 1..100 ms, ten per second.
        for (var second = 30; second < 60; second++)
        {
            for (var i = 0; i < 10; i++)
            {
                window.Record((((second - 30) * 10) + i + 1) / 3000.0, second);
            }
        }

        var withOld = window.Summarize(nowSecond: 59);
        Assert.Equal(400, withOld.Count);
        Assert.Equal(400 / 60.0, withOld.PerSecond, 9);
        Assert.InRange(withOld.P99, 0.93, 1.07);

        var recent = window.Summarize(nowSecond: 60);
        Assert.Equal(300, recent.Count);
        Assert.Equal(5, recent.PerSecond, 9);
        Assert.InRange(recent.P50, 0.050 / 1.07, 0.050 * 1.07);
        Assert.InRange(recent.P95, 0.095 / 1.07, 0.095 * 1.07);
        Assert.InRange(recent.P99, 0.099 / 1.07, 0.099 * 1.07);

        Assert.Equal(LatencySummary.Empty, window.Summarize(nowSecond: 200));
    }

    [Fact]
    public void A_young_window_divides_by_its_age()
    {
        var window = new LatencyWindow(nowSecond: 10);
        for (var second = 10; second < 15; second++)
        {
            window.Record(0.001, second);
            window.Record(0.001, second);
        }

        Assert.Equal(2, window.Summarize(nowSecond: 14).PerSecond, 9);
    }

    [Fact]
    public void A_slot_reused_a_minute_later_starts_empty()
    {
        var window = new LatencyWindow(nowSecond: 0);
        window.Record(0.5, nowSecond: 5);
        window.Record(0.002, nowSecond: 65);
        var summary = window.Summarize(nowSecond: 65);
        Assert.Equal(1, summary.Count);
        Assert.InRange(summary.P99, 0.002 / 1.07, 0.002 * 1.07);
    }

    [Fact]
    public async Task Concurrent_recording_loses_nothing_within_a_second()
    {
        var window = new LatencyWindow(nowSecond: 0);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                window.Record(0.001, nowSecond: 0);
            }
        })));
        Assert.Equal(40_000, window.Summarize(nowSecond: 0).Count);
    }
}
