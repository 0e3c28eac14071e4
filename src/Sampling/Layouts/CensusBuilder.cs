using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Layouts;

/// <summary>Computes a table's census fences at ingest and moves the rows beyond them into the census partition (index P).</summary>
internal static class CensusBuilder
{
    /// <param name="raw">The ingested rows.</param>
    /// <param name="rows">The rows to store (non-null time).</param>
    /// <param name="options">Census columns and fences.</param>
    /// <param name="partitionOf">Partition of every raw row; census rows are set to <paramref name="censusPartition"/>.</param>
    /// <param name="censusPartition">The census partition's index: P.</param>
    public static TableCensus Assign(RawTable raw, int[] rows, CensusOptions options, int[] partitionOf, int censusPartition)
    {
        var columns = new List<CensusColumn>(options.Columns.Count);
        var values = new double[rows.Length];
        var isCensus = new bool[raw.RowCount];
        foreach (var name in options.Columns)
        {
            var ordinal = raw.Schema.Ordinal(name);
            var count = Gather(raw, ordinal, rows, values);
            if (count == 0)
            {
                continue;
            }

            var sorted = values.AsSpan(0, count);
            sorted.Sort();
            var q1 = QuantileEstimator.Interpolate(sorted, 0.25);
            var q3 = QuantileEstimator.Interpolate(sorted, 0.75);
            var iqr = q3 - q1;

            // Far-out fences, moved out to the MaxShare quantiles when the tail beyond them is wider than that.
            var low = Math.Min(q1 - options.Fence * iqr, QuantileEstimator.Interpolate(sorted, options.MaxShare));
            var high = Math.Max(q3 + options.Fence * iqr, QuantileEstimator.Interpolate(sorted, 1 - options.MaxShare));
            columns.Add(new CensusColumn(name, low, high));
            Mark(raw, ordinal, rows, low, high, isCensus);
        }

        long census = 0;
        foreach (var r in rows)
        {
            if (isCensus[r])
            {
                partitionOf[r] = censusPartition;
                census++;
            }
        }

        return new TableCensus(columns, census);
    }

    private static int Gather(RawTable raw, int ordinal, int[] rows, double[] target)
    {
        var count = 0;
        switch (raw.Columns[ordinal])
        {
            case DoubleColumn doubles:
            {
                var source = doubles.Values.AsSpan();
                foreach (var r in rows)
                {
                    if (!double.IsNaN(source[r]))
                    {
                        target[count++] = source[r];
                    }
                }

                break;
            }

            case Int64Column integers when raw.Schema[ordinal].Type == ColumnType.Int64:
            {
                var source = integers.Values.AsSpan();
                foreach (var r in rows)
                {
                    if (source[r] != RawColumn.NullInteger)
                    {
                        target[count++] = source[r];
                    }
                }

                break;
            }

            default:
                throw SchemaException.WrongType(raw.Schema[ordinal].Name, raw.Schema[ordinal].Type, "a census column must be Double or Int64");
        }

        return count;
    }

    private static void Mark(RawTable raw, int ordinal, int[] rows, double low, double high, bool[] isCensus)
    {
        if (raw.Columns[ordinal] is DoubleColumn doubles)
        {
            var source = doubles.Values.AsSpan();
            foreach (var r in rows)
            {
                isCensus[r] |= source[r] < low || source[r] > high; // NaN compares false: nulls stay sampled
            }

            return;
        }

        var integers = ((Int64Column)raw.Columns[ordinal]).Values.AsSpan();
        foreach (var r in rows)
        {
            var v = integers[r];
            isCensus[r] |= v != RawColumn.NullInteger && (v < low || v > high);
        }
    }
}
