using System.Buffers;

namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// The sampled non-null values of a column, kept sorted: the state behind quantiles, extremes and distinct counts.
/// Values of a widening's new partitions are collected, sorted and merged in once (linear in the sample so far).
/// </summary>
internal sealed class SortedSample : IDisposable
{
    // Buffers come from the shared pool: a request's sample of a large window would otherwise allocate
    // large-object-heap arrays on every request.
    private double[] _sorted = ArrayPool<double>.Shared.Rent(64);
    private double[] _spare = ArrayPool<double>.Shared.Rent(64);
    private double[] _pending = ArrayPool<double>.Shared.Rent(64);
    private int _count;
    private int _pendingCount;

    public int Count => _count;

    public ReadOnlySpan<double> Values => _sorted.AsSpan(0, _count);

    /// <summary>Queues the non-NaN values of <paramref name="values"/>; they become visible after <see cref="Commit"/>.</summary>
    public void Add(ReadOnlySpan<double> values)
    {
        if (_pendingCount + values.Length > _pending.Length)
        {
            var larger = ArrayPool<double>.Shared.Rent(Math.Max(_pendingCount + values.Length, _pending.Length * 2));
            _pending.AsSpan(0, _pendingCount).CopyTo(larger);
            ArrayPool<double>.Shared.Return(_pending);
            _pending = larger;
        }

        var target = _pending.AsSpan(_pendingCount);
        var added = 0;
        foreach (var v in values)
        {
            if (!double.IsNaN(v))
            {
                target[added++] = v;
            }
        }

        _pendingCount += added;
    }

    /// <summary>Sorts the queued values and merges them into the sorted sample.</summary>
    public void Commit()
    {
        if (_pendingCount == 0)
        {
            return;
        }

        var pending = _pending.AsSpan(0, _pendingCount);
        pending.Sort();
        var total = _count + _pendingCount;
        if (_spare.Length < total)
        {
            ArrayPool<double>.Shared.Return(_spare);
            _spare = ArrayPool<double>.Shared.Rent(Math.Max(total, _spare.Length * 2));
        }

        var old = _sorted.AsSpan(0, _count);
        var merged = _spare.AsSpan(0, total);
        int i = 0, j = 0, k = 0;
        while (i < old.Length && j < pending.Length)
        {
            merged[k++] = old[i] <= pending[j] ? old[i++] : pending[j++];
        }

        old[i..].CopyTo(merged[k..]);
        k += old.Length - i;
        pending[j..].CopyTo(merged[k..]);

        (_sorted, _spare) = (_spare, _sorted);
        _count = total;
        _pendingCount = 0;
    }

    /// <summary>Empties the sample but keeps its buffers, so a reused cursor's next sample rents nothing.</summary>
    public void Clear() => _count = _pendingCount = 0;

    /// <summary>Returns the buffers to the pool; the sample must not be used afterwards.</summary>
    public void Dispose()
    {
        ArrayPool<double>.Shared.Return(_sorted);
        ArrayPool<double>.Shared.Return(_spare);
        ArrayPool<double>.Shared.Return(_pending);
        _sorted = _spare = _pending = [];
        _count = _pendingCount = 0;
    }
}
