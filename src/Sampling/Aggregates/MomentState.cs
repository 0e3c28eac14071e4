namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// Count, mean and central moment sums (M2 = Σ(x−mean)², M3, M4) of a set of values. Two states merge exactly
/// (Chan et al. for M2, Pébay's formulas for M3 and M4), which is how widening adds a partition without rescanning.
/// </summary>
internal struct MomentState
{
    public long Count;
    public double Mean;
    public double M2;
    public double M3;
    public double M4;

    /// <summary>Σx, recovered from the count and mean.</summary>
    public readonly double Sum => Count * Mean;

    /// <summary>Σx², recovered from the moments.</summary>
    public readonly double SumOfSquares => M2 + Count * Mean * Mean;

    /// <summary>Σx³, recovered from the moments (needs order 4).</summary>
    public readonly double SumOfCubes => M3 + 3 * Mean * M2 + Count * Mean * Mean * Mean;

    /// <summary>Sample variance with divisor n − 1 (NaN below two values).</summary>
    public readonly double SampleVariance => Count > 1 ? Math.Max(M2, 0) / (Count - 1) : double.NaN;

    /// <summary>Adds the values summarised by <paramref name="other"/>; <paramref name="order"/> (2 or 4) is the highest moment kept.</summary>
    public void Merge(in MomentState other, int order)
    {
        if (other.Count == 0)
        {
            return;
        }

        if (Count == 0)
        {
            this = other;
            return;
        }

        double na = Count, nb = other.Count, n = na + nb;
        var delta = other.Mean - Mean;
        var deltaOverN = delta / n;
        var m2 = M2 + other.M2 + delta * deltaOverN * na * nb;
        if (order >= 4)
        {
            var deltaOverN2 = deltaOverN * deltaOverN;
            var m3 = M3 + other.M3
                + deltaOverN2 * delta * na * nb * (na - nb)
                + 3 * deltaOverN * (na * other.M2 - nb * M2);
            var m4 = M4 + other.M4
                + deltaOverN2 * deltaOverN * delta * na * nb * (na * na - na * nb + nb * nb)
                + 6 * deltaOverN2 * (na * na * other.M2 + nb * nb * M2)
                + 4 * deltaOverN * (na * other.M3 - nb * M3);
            M3 = m3;
            M4 = m4;
        }

        Mean += deltaOverN * nb;
        M2 = m2;
        Count += other.Count;
    }
}
