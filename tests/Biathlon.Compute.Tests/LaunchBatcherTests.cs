using System.Diagnostics;
using Biathlon.Compute.Batching;

namespace Biathlon.Compute.Tests;

/// <summary>
/// The cross-request batcher: a lone request never waits, a leader waits at most the bound, concurrent submitters
/// share one launch, and a launch's failure reaches each of its submitters. Waits are asserted one way only (a lone
/// submit under a 10 s bound returns far sooner than 10 s; a bounded wait lasts at least its bound), so a slow machine
/// cannot fail them.
/// </summary>
public sealed class LaunchBatcherTests
{
    [Fact]
    public void A_lone_request_launches_at_once_however_long_the_bound()
    {
        var launches = new List<int>();
        var batcher = new LaunchBatcher<int>(items => launches.Add(items.Count), TimeSpan.FromSeconds(10), maxItems: 64);
        batcher.Enter();
        var watch = Stopwatch.StartNew();
        batcher.Submit(1);
        batcher.Submit(2);
        watch.Stop();
        batcher.Exit();

        Assert.Equal([1, 1], launches);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"a lone request waited {watch.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void A_leader_waits_no_longer_than_the_bound_for_a_request_that_does_not_come()
    {
        var launches = 0;
        var bound = TimeSpan.FromMilliseconds(50);
        var batcher = new LaunchBatcher<int>(_ => launches++, bound, maxItems: 64);
        batcher.Enter();
        batcher.Enter(); // a second request in flight that never submits
        var watch = Stopwatch.StartNew();
        batcher.Submit(1);
        watch.Stop();

        Assert.Equal(1, launches);
        Assert.True(watch.Elapsed >= bound, $"the leader launched after {watch.Elapsed.TotalMilliseconds} ms, before the {bound.TotalMilliseconds} ms bound");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the leader waited {watch.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_request_leaving_ends_the_leaders_wait()
    {
        var batcher = new LaunchBatcher<int>(_ => { }, TimeSpan.FromSeconds(10), maxItems: 64);
        batcher.Enter();
        batcher.Enter();
        var leader = Task.Run(() => batcher.Submit(1));
        Thread.Sleep(50);
        batcher.Exit(); // the other request finished without submitting: nobody else can join

        await leader.WaitAsync(TimeSpan.FromSeconds(5)); // a TimeoutException if the leader kept waiting
    }

    [Fact]
    public async Task Concurrent_requests_share_one_launch_with_every_item_in_it()
    {
        const int requests = 8;
        var launches = new List<int[]>();
        var batcher = new LaunchBatcher<int>(items => { lock (launches) { launches.Add([.. items]); } }, TimeSpan.FromSeconds(10), maxItems: 64);
        for (var i = 0; i < requests; i++)
        {
            batcher.Enter();
        }

        using var start = new Barrier(requests);
        var tasks = Enumerable.Range(0, requests).Select(i => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            batcher.Submit(i);
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));

        // All eight were in flight, so the batch launched once it held all eight, not on the 10 s bound.
        var launch = Assert.Single(launches);
        Assert.Equal(Enumerable.Range(0, requests), launch.Order());
    }

    [Fact]
    public async Task A_full_batch_launches_without_waiting_for_more()
    {
        var launches = new List<int>();
        var batcher = new LaunchBatcher<int>(items => { lock (launches) { launches.Add(items.Count); } }, TimeSpan.FromSeconds(10), maxItems: 2);
        for (var i = 0; i < 4; i++)
        {
            batcher.Enter(); // four in flight, but a batch holds two
        }

        var tasks = Enumerable.Range(0, 2).Select(i => Task.Factory.StartNew(() => batcher.Submit(i), TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)); // a full batch does not wait for requests it has no room for
        Assert.Equal([2], launches);
    }

    [Fact]
    public async Task A_failed_launch_fails_every_submitter_of_that_batch_and_only_that_batch()
    {
        var calls = 0;
        var batcher = new LaunchBatcher<int>(
            items =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    throw new InvalidOperationException("device lost");
                }
            },
            TimeSpan.FromSeconds(10), maxItems: 64);
        batcher.Enter();
        batcher.Enter();
        var failures = 0;
        var tasks = Enumerable.Range(0, 2).Select(i => Task.Factory.StartNew(() =>
        {
            try
            {
                batcher.Submit(i);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref failures);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, failures);

        batcher.Exit();
        batcher.Submit(3); // the next batch launches normally
        Assert.Equal(2, calls);
    }
}
