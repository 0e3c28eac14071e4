using Biathlon.Host.Configuration;
using Biathlon.Host.Metrics;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Serving;

/// <summary>
/// Bounded concurrency with a bounded queue: at most <see cref="LimitOptions.MaxConcurrency"/> predictions run, at most
/// <see cref="LimitOptions.QueueLength"/> calls wait; a call beyond both is refused at once with 429 and Retry-After, and a
/// call whose deadline passes while it waits gets 503. Memory stays bounded however many clients push.
/// </summary>
internal sealed class AdmissionGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _queueLength;
    private readonly ServerInstruments _instruments;
    private int _waiting;

    public AdmissionGate(IOptions<ServerOptions> options, ServerInstruments instruments)
    {
        var limits = options.Value.Limits;
        _slots = new SemaphoreSlim(Math.Max(1, limits.MaxConcurrency));
        _queueLength = Math.Max(0, limits.QueueLength);
        _instruments = instruments;
    }

    /// <summary>Calls waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Takes a slot, waiting at most <paramref name="timeout"/>; dispose the result to give it back.</summary>
    public async ValueTask<Slot> EnterAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0, CancellationToken.None))
        {
            if (Interlocked.Increment(ref _waiting) > _queueLength)
            {
                Interlocked.Decrement(ref _waiting);
                _instruments.Rejected("overload");
                throw new ServeException(429, "Too many requests", "The server is at its concurrency and queue limits; retry shortly.", retryAfter: TimeSpan.FromSeconds(1));
            }

            _instruments.QueueLengthChanged(1);
            bool entered;
            try
            {
                entered = await _slots.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
                _instruments.QueueLengthChanged(-1);
            }

            if (!entered)
            {
                _instruments.Rejected("deadline");
                throw new ServeException(503, "Deadline passed in queue", "The call's deadline passed while it waited for a slot.", retryAfter: TimeSpan.FromSeconds(1));
            }
        }

        _instruments.InFlightChanged(1);
        return new Slot(this);
    }

    public void Dispose() => _slots.Dispose();

    private void Leave()
    {
        _instruments.InFlightChanged(-1);
        _slots.Release();
    }

    /// <summary>A held slot.</summary>
    internal readonly struct Slot(AdmissionGate gate) : IDisposable
    {
        public void Dispose() => gate.Leave();
    }
}
