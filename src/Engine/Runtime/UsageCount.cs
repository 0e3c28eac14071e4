namespace Biathlon.Engine.Runtime;

/// <summary>
/// A reference count for an object that is in use by several parties and must be freed by the last one. It starts at
/// one (the owner's own reference). <see cref="TryAcquire"/> fails once the count has reached zero, so a freed object
/// is never taken up again; <see cref="Release"/> reports the release that reached zero, whose caller frees it.
/// Lock-free.
/// </summary>
internal sealed class UsageCount
{
    private int _count = 1;

    /// <summary>The current count (0 once freed): for diagnostics and tests only, since it may change at once.</summary>
    public int Current => Volatile.Read(ref _count);

    /// <summary>Adds a reference unless the count already reached zero.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; true for the one that reached zero (its caller frees the object).</summary>
    public bool Release()
    {
        var count = Interlocked.Decrement(ref _count);
        if (count < 0)
        {
            throw new InvalidOperationException("A usage count was released more often than it was acquired.");
        }

        return count == 0;
    }
}
