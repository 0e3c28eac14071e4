namespace Biathlon.Sampling.Ingest;

/// <summary>An append-only array that doubles its capacity: the ingest buffer behind every raw column.</summary>
internal sealed class GrowableArray<T>
{
    private T[] _items;

    public GrowableArray(int capacity = 1024) => _items = new T[Math.Max(capacity, 16)];

    public int Count { get; private set; }

    public Span<T> AsSpan() => _items.AsSpan(0, Count);

    public void Add(T item)
    {
        if (Count == _items.Length)
        {
            Grow(Count + 1);
        }

        _items[Count++] = item;
    }

    /// <summary>Makes room for <paramref name="count"/> more items and returns them for the caller to fill.</summary>
    public Span<T> AppendSpan(int count)
    {
        if (Count + count > _items.Length)
        {
            Grow(Count + count);
        }

        var span = _items.AsSpan(Count, count);
        Count += count;
        return span;
    }

    /// <summary>As <see cref="AppendSpan"/>, for callers that fill the items asynchronously.</summary>
    public Memory<T> AppendMemory(int count)
    {
        AppendSpan(count);
        return _items.AsMemory(Count - count, count);
    }

    private void Grow(int needed)
    {
        var capacity = Math.Max(needed, (int)Math.Min((long)_items.Length * 2, Array.MaxLength));
        Array.Resize(ref _items, capacity);
    }
}
