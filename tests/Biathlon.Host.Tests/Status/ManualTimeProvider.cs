namespace Biathlon.Host.Tests.Status;

/// <summary>A clock that moves only when told: monotonic timestamps in whole seconds, and a fixed wall-clock time.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _seconds = 1_000;

    public override long TimestampFrequency => 1;

    public override long GetTimestamp() => Interlocked.Read(ref _seconds);

    public override DateTimeOffset GetUtcNow() => start.AddSeconds(Interlocked.Read(ref _seconds) - 1_000);

    public void Advance(int seconds) => Interlocked.Add(ref _seconds, seconds);
}
