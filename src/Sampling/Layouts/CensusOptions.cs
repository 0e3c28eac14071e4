namespace Biathlon.Sampling.Layouts;

/// <summary>
/// The census stratum of a table (an outlier index): rows whose value in any of <see cref="Columns"/> lies beyond
/// Tukey's far-out fences, Q1 − k·IQR or Q3 + k·IQR with k = <see cref="Fence"/>, are stored apart and read in full by
/// every cursor, while the other rows are sampled. A heavy tail's few huge rows decide a sample's SUM, AVG and
/// variance by whether they happen to be drawn, which no error estimate from the sample can see; read exactly, they
/// stop mattering, and the sampled rest has a light enough tail for the closed-form errors (Chaudhuri, Das and
/// Narasayya, "Overcoming limitations of sampling for aggregation queries", ICDE 2001).
/// </summary>
public sealed record CensusOptions
{
    /// <summary>The numeric columns whose extreme values put a row in the census.</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>k of the fences Q1 − k·IQR and Q3 + k·IQR (default 3, Tukey's "far out"; at least 0).</summary>
    public double Fence { get; init; } = 3;

    /// <summary>
    /// Largest share of rows a fence may put in the census per column and tail (default 0.05, in (0, 0.5)): a column
    /// with a wide tail moves its fence out to this quantile instead, so the census stays small.
    /// </summary>
    public double MaxShare { get; init; } = 0.05;
}

/// <summary>A table's census: the fences applied per column, and how many rows they selected.</summary>
/// <param name="Columns">Per census column, the fences: rows below <see cref="CensusColumn.Low"/> or above <see cref="CensusColumn.High"/> are in the census.</param>
/// <param name="Rows">Rows stored in the census stratum (of each layout).</param>
public sealed record TableCensus(IReadOnlyList<CensusColumn> Columns, long Rows)
{
    /// <summary>The fences of column <paramref name="name"/>, or null when it is not a census column.</summary>
    public CensusColumn? Find(string name)
    {
        foreach (var column in Columns)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        return null;
    }
}

/// <summary>One census column: every sampled (non-census) row has its value in [<paramref name="Low"/>, <paramref name="High"/>] or null.</summary>
/// <param name="Name">Column name.</param>
/// <param name="Low">Lower fence.</param>
/// <param name="High">Upper fence.</param>
public sealed record CensusColumn(string Name, double Low, double High);
