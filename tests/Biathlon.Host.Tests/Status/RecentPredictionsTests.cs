using Biathlon.Host.Status;

namespace Biathlon.Host.Tests.Status;

public sealed class RecentPredictionsTests
{
    [Fact]
    public void Snapshot_is_newest_first_and_keeps_the_last_capacity()
    {
        var recent = new RecentPredictions(capacity: 3);
        Assert.Empty(recent.Snapshot());
        for (var i = 1; i <= 5; i++)
        {
            recent.Add(Prediction(i));
        }

        Assert.Equal([5L, 4L, 3L], recent.Snapshot().Select(p => p.Version));
    }

    [Fact]
    public void Snapshot_of_a_partly_filled_ring_has_only_what_was_added()
    {
        var recent = new RecentPredictions(capacity: 20);
        recent.Add(Prediction(1));
        recent.Add(Prediction(2));
        Assert.Equal([2L, 1L], recent.Snapshot().Select(p => p.Version));
    }

    [Fact]
    public void Capacity_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentPredictions(0));

    [Fact]
    public async Task Concurrent_adds_keep_exactly_capacity_distinct_predictions()
    {
        var recent = new RecentPredictions(capacity: 50);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                recent.Add(Prediction((thread * 1_000) + i));
            }
        })));
        var snapshot = recent.Snapshot();
        Assert.Equal(50, snapshot.Count);
        Assert.Equal(50, snapshot.Select(p => p.Version).Distinct().Count());
    }

    private static RecentPrediction Prediction(long version) => new(
        DateTimeOffset.UnixEpoch, "p", version, false, 1, 0.1, 0.95, "BoundMet", 2, 0.5, []);
}
