using Biathlon.Sampling.Aggregates.Offload;

namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// The co-moment of two columns over the rows where both are non-null: count, both means and C = Σ(x − x̄)(y − ȳ).
/// Two states merge exactly (Chan et al.), like <see cref="MomentState"/>. It gives the correlation of the errors of
/// two aggregates of one query on different columns (AVG(x) with AVG(y), SUM with SUM).
/// </summary>
internal struct CoMomentState
{
    public long Count;
    public double MeanX;
    public double MeanY;
    public double Comoment;

    /// <summary>Adds the rows where both <paramref name="x"/> and <paramref name="y"/> are non-NaN (two passes: means, then products).</summary>
    public void Add(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        long n = 0;
        double sx = 0, sy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (!double.IsNaN(x[i]) && !double.IsNaN(y[i]))
            {
                n++;
                sx += x[i];
                sy += y[i];
            }
        }

        if (n == 0)
        {
            return;
        }

        double mx = sx / n, my = sy / n, c = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (!double.IsNaN(x[i]) && !double.IsNaN(y[i]))
            {
                c += (x[i] - mx) * (y[i] - my);
            }
        }

        Merge(n, mx, my, c);
    }

    /// <summary>Adds a range's co-moment as a compute backend summarised it (nothing when it has no row).</summary>
    public void Merge(in PartialCoMoments partial)
    {
        if (partial.Count > 0)
        {
            Merge(partial.Count, partial.MeanX, partial.MeanY, partial.Comoment);
        }
    }

    private void Merge(long nb, double meanX, double meanY, double comoment)
    {
        if (Count == 0)
        {
            (Count, MeanX, MeanY, Comoment) = (nb, meanX, meanY, comoment);
            return;
        }

        double na = Count, n = na + nb;
        var dx = meanX - MeanX;
        var dy = meanY - MeanY;
        Comoment += comoment + dx * dy * na * nb / n;
        MeanX += dx * nb / n;
        MeanY += dy * nb / n;
        Count += nb;
    }
}
