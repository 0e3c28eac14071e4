namespace Biathlon.Compute.Devices;

/// <summary>
/// The device memory an engine may hold, and what it holds: every allocation reserves its bytes first, and one that
/// would pass the limit is refused with <see cref="DeviceMemoryException"/> before the driver is asked, so the caller
/// falls back to the CPU instead of exhausting a GPU it shares. Thread-safe.
/// </summary>
internal sealed class DeviceMemoryBudget(long limit)
{
    private long _used;

    /// <summary>Bytes this engine may hold on the device.</summary>
    public long Limit { get; } = limit;

    /// <summary>Bytes held now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/>, or throws <see cref="DeviceMemoryException"/> when the limit would be passed.</summary>
    public void Reserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            var next = used + bytes;
            if (next > Limit)
            {
                throw new DeviceMemoryException(bytes, used, Limit);
            }

            if (Interlocked.CompareExchange(ref _used, next, used) == used)
            {
                return;
            }
        }
    }

    /// <summary>Returns bytes reserved earlier.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Add(ref _used, -bytes);
    }
}

/// <summary>An allocation the device-memory budget refused: the work runs on the CPU instead.</summary>
internal sealed class DeviceMemoryException(long requested, long used, long limit)
    : Exception($"Device memory budget exceeded: {requested:N0} bytes requested with {used:N0} of {limit:N0} in use.");
