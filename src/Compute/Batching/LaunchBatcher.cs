using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Biathlon.Compute.Batching;

/// <summary>
/// Gathers work items from concurrent requests into one device launch. The first item of a batch makes its submitter
/// the batch's leader; the leader launches when the batch is full, when every request that could still join has joined
/// (<see cref="Enter"/> counts them), or when <see cref="MaxWait"/> has passed, whichever comes first. So a lone request
/// never waits (it is the only participant), and a crowd of requests pays at most <see cref="MaxWait"/> for sharing one
/// launch. Submitting blocks until the item's batch has run; an exception from the launch is rethrown to every
/// submitter of that batch, which then falls back on its own. Launches run one at a time (the launch callback may keep
/// state between them); while one runs, the next batch stays open and keeps gathering. Waits below a millisecond are
/// spins: the OS timers are too coarse for a 200 µs bound. Thread-safe.
/// </summary>
/// <typeparam name="TItem">One request's share of a launch.</typeparam>
internal sealed class LaunchBatcher<TItem>
{
    private readonly Action<List<TItem>> _launch;
    private readonly Lock _gate = new();
    private readonly Lock _launching = new();
    private Batch _open = new();
    private int _participants;

    /// <param name="launch">Runs one batch: the items of every request that joined it, in arrival order.</param>
    /// <param name="maxWait">Longest a leader waits for others to join; zero launches every item on its own.</param>
    /// <param name="maxItems">Items after which a batch launches at once.</param>
    public LaunchBatcher(Action<List<TItem>> launch, TimeSpan maxWait, int maxItems)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWait.Ticks, nameof(maxWait));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        _launch = launch;
        MaxWait = maxWait;
        MaxItems = maxItems;
    }

    /// <summary>The bound on a leader's wait.</summary>
    public TimeSpan MaxWait { get; }

    /// <summary>Items at which a batch launches without waiting.</summary>
    public int MaxItems { get; }

    /// <summary>Called when a launch ran: the number of items it held (for the batch-size metric).</summary>
    public Action<int>? Launched { get; init; }

    /// <summary>Counts a request as a possible joiner until <see cref="Exit"/>: leaders wait for it, up to <see cref="MaxWait"/>.</summary>
    public void Enter()
    {
        lock (_gate)
        {
            _participants++;
        }
    }

    /// <summary>The request will submit no more: a leader waiting for it stops waiting.</summary>
    public void Exit()
    {
        lock (_gate)
        {
            _participants--;
            if (_open.Items.Count > 0 && _open.Items.Count >= _participants)
            {
                _open.Complete = true;
            }
        }
    }

    /// <summary>Adds <paramref name="item"/> to the open batch and returns once that batch has run (or rethrows its failure).</summary>
    public void Submit(TItem item)
    {
        Batch batch;
        bool leader;
        lock (_gate)
        {
            if (_open.Items.Count >= MaxItems)
            {
                _open = new Batch(); // full: its leader launches it as it is
            }

            batch = _open;
            batch.Items.Add(item);
            leader = batch.Items.Count == 1;
            if (batch.Items.Count >= MaxItems || batch.Items.Count >= _participants)
            {
                batch.Complete = true;
            }
        }

        if (!leader)
        {
            batch.Done.Wait();
            batch.Rethrow();
            return;
        }

        if (!batch.Complete && MaxWait > TimeSpan.Zero)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(MaxWait.TotalSeconds * Stopwatch.Frequency);
            var spin = new SpinWait();
            while (!batch.Complete && Stopwatch.GetTimestamp() < deadline)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        lock (_launching)
        {
            lock (_gate)
            {
                // Close the batch: later items open the next one.
                if (ReferenceEquals(_open, batch))
                {
                    _open = new Batch();
                }
            }

            try
            {
                _launch(batch.Items);
                Launched?.Invoke(batch.Items.Count);
            }
#pragma warning disable CA1031 // handed to every submitter of the batch, each of which falls back on its own
            catch (Exception e)
#pragma warning restore CA1031
            {
                batch.Failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                batch.Done.Set();
            }
        }

        batch.Rethrow();
    }

    private sealed class Batch
    {
        public List<TItem> Items { get; } = [];

        public ManualResetEventSlim Done { get; } = new(false);

        public volatile bool Complete;

        public ExceptionDispatchInfo? Failure;

        public void Rethrow() => Failure?.Throw();
    }
}
