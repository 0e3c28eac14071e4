using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// What the approximate ClickHouse baseline has read of one query's sample so far: the partial aggregates of every
/// round added up (rows matched; per moment column its count and power sums Σ(x − c)^k, k = 1..4, about a fixed
/// shift c, the column's table mean, so the central moments do not cancel), and the values of quantile columns.
/// Estimates are the closed forms of a Bernoulli sample of fraction p = k/P (a partition holds each row with
/// probability 1/P), with the finite-population correction (1 − p), normal errors as in the original system:
/// <list type="bullet">
/// <item>COUNT: n/p, Var = n (1 − p)/p²; SUM: Σx/p, Var = (1 − p)/p² Σx²;</item>
/// <item>AVG: the sample mean, Var = (1 − p) M₂/n² (the ratio estimator's linearisation, M₂ = Σ(x − x̄)²);</item>
/// <item>VAR: s² = M₂/(n − 1), Var(s²) ≈ (1 − p)(m₄ − s⁴(n − 3)/(n − 1))/n with m₄ = M₄/n; STD: s, by the delta method;</item>
/// <item>MEDIAN, PERCENTILE: interpolated at (n − 1)·q as the engine does; the error from the order statistics
/// ±1.96·√((1 − p) n q (1 − q)) ranks away, halved over 1.96.</item>
/// </list>
/// Below the minimum support (fewer than MinSupport values) an estimate's error is unknown, so nothing propagates and
/// the planner widens the sample. At p = 1 every value is exact (an undefined one takes its fill).
/// </summary>
internal sealed class ClickHouseSample
{
    private const double Z = 1.959963984540054;

    private readonly QueryDefinition _query;
    private readonly string[] _momentColumns;
    private readonly string[] _quantileColumns;
    private readonly double[] _shift;
    private readonly double[] _sums; // per moment column: count, Σd, Σd², Σd³, Σd⁴ (d = x − c)
    private readonly List<double>[] _values;
    private readonly double[]?[] _sorted;
    private readonly int _minSupport;

    public ClickHouseSample(QueryDefinition query, IReadOnlyList<string> momentColumns, IReadOnlyList<string> quantileColumns, IReadOnlyList<double> shift, int minSupport)
    {
        _query = query;
        _momentColumns = [.. momentColumns];
        _quantileColumns = [.. quantileColumns];
        _shift = [.. shift];
        _sums = new double[_momentColumns.Length * 5];
        _values = _quantileColumns.Select(_ => new List<double>()).ToArray();
        _sorted = new double[_quantileColumns.Length][];
        _minSupport = minSupport;
    }

    /// <summary>Rows read so far that match the query's predicate.</summary>
    public long Rows { get; private set; }

    /// <summary>Partitions read so far.</summary>
    public int Partitions { get; set; }

    /// <summary>Forgets the sample (a new request).</summary>
    public void Clear()
    {
        Rows = 0;
        Partitions = 0;
        Array.Clear(_sums);
        foreach (var values in _values)
        {
            values.Clear();
        }

        Array.Fill(_sorted, null);
    }

    /// <summary>Adds one round's partial aggregates: the fields of the partial statement's row.</summary>
    public void Add(string[] fields, string sql)
    {
        var expected = 1 + 5 * _momentColumns.Length + _quantileColumns.Length;
        if (fields.Length != expected)
        {
            throw new InvalidOperationException($"ClickHouse returned {fields.Length} values, not {expected}, for: {sql}");
        }

        Rows += (long)ClickHouseSql.ParseNumber(fields[0]);
        for (var i = 0; i < _sums.Length; i++)
        {
            var value = ClickHouseSql.ParseNumber(fields[1 + i]);
            _sums[i] += double.IsNaN(value) ? 0 : value; // the sum of no values is NULL
        }

        for (var c = 0; c < _quantileColumns.Length; c++)
        {
            ClickHouseSql.ParseArray(fields[1 + _sums.Length + c], _values[c]);
            _sorted[c] = null;
        }
    }

    /// <summary>Aggregate <paramref name="index"/> of the query estimated from a sample of fraction <paramref name="p"/> (exact at 1).</summary>
    public FeatureEstimate Estimate(int index, double p)
    {
        var aggregate = _query.Aggregates[index];
        var spec = aggregate.Spec;
        var exact = p >= 1;
        var (value, variance, support) = spec.Op switch
        {
            AggregateOp.Count when spec.Column is null => (Rows / p, Rows * (1 - p) / (p * p), Rows),
            AggregateOp.Median or AggregateOp.Percentile => Quantile(spec.Column!, spec.EffectiveQuantile, p),
            _ => Moments(spec, p),
        };
        if (exact)
        {
            return FeatureEstimate.Exact(double.IsFinite(value) ? value : aggregate.Fill);
        }

        if (support < _minSupport || !double.IsFinite(value))
        {
            return FeatureEstimate.Unknown(value, UnknownReason.BelowMinimumSupport);
        }

        return double.IsFinite(variance) && variance >= 0
            ? FeatureEstimate.Normal(value, Math.Sqrt(variance))
            : FeatureEstimate.Unknown(value, UnknownReason.HeavyTail);
    }

    private (double Value, double Variance, long Support) Moments(AggregateSpec spec, double p)
    {
        var c = Array.IndexOf(_momentColumns, spec.Column);
        var o = 5 * c;
        var n = _sums[o];
        var (s1, s2, s3, s4) = (_sums[o + 1], _sums[o + 2], _sums[o + 3], _sums[o + 4]);
        var shift = _shift[c];
        var count = (long)n;
        var mean = n > 0 ? shift + s1 / n : double.NaN;
        var m2 = n > 0 ? Math.Max(s2 - s1 * s1 / n, 0) : double.NaN;
        var q = 1 - p;
        switch (spec.Op)
        {
            case AggregateOp.Count:
                return (n / p, n * q / (p * p), count);
            case AggregateOp.Sum:
            {
                var sum = s1 + n * shift;
                var squares = s2 + 2 * shift * s1 + n * shift * shift;
                return (sum / p, q / (p * p) * squares, count);
            }

            case AggregateOp.Avg:
                return (mean, n > 0 ? q * m2 / (n * n) : double.NaN, count);
        }

        // VAR and STD: central moments about the sample mean from the shifted power sums.
        var variance = n > 1 ? m2 / (n - 1) : double.NaN;
        var d = n > 0 ? s1 / n : 0;
        var m4 = n > 0 ? (s4 - 4 * d * s3 + 6 * d * d * s2 - 3 * n * d * d * d * d) / n : double.NaN;
        var errorOfVariance = n > 3 ? Math.Max(q * (m4 - variance * variance * (n - 3) / (n - 1)) / n, 0) : double.NaN;
        if (spec.Op == AggregateOp.Var)
        {
            return (variance, errorOfVariance, count);
        }

        var std = Math.Sqrt(variance);
        return (std, variance > 0 ? errorOfVariance / (4 * variance) : 0, count);
    }

    private (double Value, double Variance, long Support) Quantile(string column, double q, double p)
    {
        var c = Array.IndexOf(_quantileColumns, column);
        var sorted = _sorted[c] ??= Sorted(_values[c]);
        var n = sorted.Length;
        if (n == 0)
        {
            return (double.NaN, double.NaN, 0);
        }

        var value = Interpolate(sorted, (n - 1) * q);
        var spread = Z * Math.Sqrt((1 - p) * n * q * (1 - q));
        var low = Interpolate(sorted, Math.Max((n - 1) * q - spread, 0));
        var high = Interpolate(sorted, Math.Min((n - 1) * q + spread, n - 1));
        var se = (high - low) / (2 * Z);
        return (value, se * se, n);
    }

    private static double[] Sorted(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    /// <summary>Linear interpolation between the order statistics around 0-based position <paramref name="h"/> (numpy's default).</summary>
    private static double Interpolate(double[] sorted, double h)
    {
        var lo = (int)Math.Floor(h);
        return lo >= sorted.Length - 1 ? sorted[^1] : sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }
}
