namespace Biathlon.Testing;

/// <summary>Small textbook statistics the tests compare the engine against.</summary>
public static class Statistics
{
    /// <summary>Pearson's correlation of two equally long series.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = 0, my = 0;
        for (var i = 0; i < x.Count; i++)
        {
            mx += x[i];
            my += y[i];
        }

        mx /= x.Count;
        my /= y.Count;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }
}
