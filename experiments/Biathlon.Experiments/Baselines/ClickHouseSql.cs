using System.Globalization;
using System.Text;

namespace Biathlon.Experiments.Baselines;

/// <summary>SQL text for ClickHouse 18.16: identifiers, literals, and reading TabSeparated numbers back.</summary>
internal static class ClickHouseSql
{
    /// <summary>A back-quoted identifier.</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal) + "`";

    /// <summary>A string literal (backslash and quote escaped).</summary>
    public static string String(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var ch in value)
        {
            _ = ch switch
            {
                '\\' => text.Append("\\\\"),
                '\'' => text.Append("\\'"),
                '\n' => text.Append("\\n"),
                '\t' => text.Append("\\t"),
                '\r' => text.Append("\\r"),
                '\0' => text.Append("\\0"),
                _ => text.Append(ch),
            };
        }

        return text.Append('\'').ToString();
    }

    /// <summary>A Float64 literal that round-trips (nan and inf as ClickHouse spells them).</summary>
    public static string Double(double value) =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An Int64 literal.</summary>
    public static string Integer(long value) => value == long.MinValue
        ? "toInt64('-9223372036854775808')" // the literal's magnitude does not fit a positive Int64
        : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A TabSeparated number: NULL (\N) and nan read as NaN, inf as infinity.</summary>
    public static double ParseNumber(ReadOnlySpan<char> text) => text switch
    {
        "\\N" or "nan" or "-nan" => double.NaN,
        "inf" or "+inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>The single row of a SELECT as numbers; throws quoting the statement when the answer is not one row of <paramref name="columns"/> values.</summary>
    public static double[] ParseRow(string answer, int columns, string sql)
    {
        var line = answer.AsSpan().TrimEnd('\n');
        if (line.Contains('\n'))
        {
            throw new InvalidOperationException($"ClickHouse returned more than one row for: {sql}");
        }

        var values = new double[columns];
        var i = 0;
        foreach (var range in line.Split('\t'))
        {
            if (i == columns)
            {
                throw new InvalidOperationException($"ClickHouse returned more than {columns} values for: {sql}");
            }

            values[i++] = ParseNumber(line[range]);
        }

        if (i != columns)
        {
            throw new InvalidOperationException($"ClickHouse returned {i} values, not {columns}, for: {sql}");
        }

        return values;
    }

    /// <summary>The tab-separated fields of a one-row answer as text (arrays stay "[…]").</summary>
    public static string[] SplitRow(string answer) => answer.TrimEnd('\n').Split('\t');

    /// <summary>Appends the numbers of a TabSeparated array "[1,2.5,nan]" to <paramref name="target"/> (NaN skipped).</summary>
    public static void ParseArray(ReadOnlySpan<char> text, List<double> target)
    {
        if (text.Length < 2 || text[0] != '[' || text[^1] != ']')
        {
            throw new InvalidOperationException($"Expected an array, got '{text.ToString()}'.");
        }

        var inner = text[1..^1];
        if (inner.IsEmpty)
        {
            return;
        }

        foreach (var range in inner.Split(','))
        {
            var value = ParseNumber(inner[range]);
            if (!double.IsNaN(value))
            {
                target.Add(value);
            }
        }
    }
}
