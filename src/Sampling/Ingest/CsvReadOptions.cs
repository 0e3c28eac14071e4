using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Ingest;

/// <summary>Options for reading a delimited text file.</summary>
public sealed class CsvReadOptions
{
    /// <summary>Field delimiter; null (the default) detects it from the header line.</summary>
    public char? Delimiter { get; init; }

    /// <summary>Field texts read as null, compared exactly. Default: empty, <c>NA</c>, <c>NaN</c>, <c>null</c>, <c>NULL</c>.</summary>
    public IReadOnlyCollection<string> NullTokens { get; init; } = ["", "NA", "NaN", "null", "NULL"];

    /// <summary>
    /// Storage types for named columns, which skip inference. Columns not listed are inferred from the first
    /// <see cref="InferenceRows"/> rows: integers → Int64, other numbers → Double, ISO dates/times → Timestamp,
    /// anything else → String. An Int64 column that later meets a fraction becomes Double.
    /// </summary>
    public IReadOnlyDictionary<string, ColumnType>? ColumnTypes { get; init; }

    /// <summary>Rows read to infer column types (default 10,000; at least 1).</summary>
    public int InferenceRows { get; init; } = 10_000;
}
