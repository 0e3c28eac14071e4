namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// The K largest and K smallest values seen, sorted. The bootstrap of MIN/MAX only ever needs the top few order
/// statistics: a resample misses the m most extreme values with probability about e⁻ᵐ, so K = 64 is exhaustive in
/// practice and MIN/MAX need no per-row memory.
/// </summary>
internal sealed class ExtremeTracker
{
    public const int Capacity = 64;

    private readonly double[] _largest = new double[Capacity];   // ascending; the last is the maximum
    private readonly double[] _smallest = new double[Capacity];  // ascending; the first is the minimum
    private int _largestCount;
    private int _smallestCount;

    /// <summary>The retained largest values, ascending.</summary>
    public ReadOnlySpan<double> Largest => _largest.AsSpan(0, _largestCount);

    /// <summary>The retained smallest values, ascending.</summary>
    public ReadOnlySpan<double> Smallest => _smallest.AsSpan(0, _smallestCount);

    /// <summary>Forgets every value.</summary>
    public void Clear() => _largestCount = _smallestCount = 0;

    public void Add(ReadOnlySpan<double> values)
    {
        foreach (var v in values)
        {
            if (double.IsNaN(v))
            {
                continue;
            }

            if (_largestCount < Capacity || v > _largest[0])
            {
                InsertLargest(v);
            }

            if (_smallestCount < Capacity || v < _smallest[_smallestCount - 1])
            {
                InsertSmallest(v);
            }
        }
    }

    private void InsertLargest(double v)
    {
        // Full: drop the smallest retained value (index 0) and shift left while placing v.
        var span = _largest.AsSpan();
        int i;
        if (_largestCount < Capacity)
        {
            i = _largestCount++;
            while (i > 0 && span[i - 1] > v)
            {
                span[i] = span[i - 1];
                i--;
            }
        }
        else
        {
            i = 0;
            while (i < Capacity - 1 && span[i + 1] < v)
            {
                span[i] = span[i + 1];
                i++;
            }
        }

        span[i] = v;
    }

    private void InsertSmallest(double v)
    {
        // Full: drop the largest retained value (last) and shift right while placing v.
        var span = _smallest.AsSpan();
        var i = _smallestCount < Capacity ? _smallestCount++ : Capacity - 1;
        while (i > 0 && span[i - 1] > v)
        {
            span[i] = span[i - 1];
            i--;
        }

        span[i] = v;
    }
}
