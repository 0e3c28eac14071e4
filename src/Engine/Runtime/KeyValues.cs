using System.Runtime.InteropServices;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// The distinct values of a table's non-string key columns that are one of several keys of a query, sorted and
/// encoded as key columns store them (integers and timestamps as themselves, doubles by their bits with ±0 as one):
/// whether a table holds a value of such a column cannot be read from its layout, whose groups are combinations. A
/// string column's dictionary and a single-key layout's groups answer the same question without them. Kept in the
/// table's cache folder, one file of little-endian Int64s per column (written beside the layouts when the table is
/// built; an entry cached without them gets them from the source on its next load).
/// </summary>
internal static class KeyValues
{
    /// <summary>The encoding of a Double key value (as the layouts store it); the caller excludes NaN.</summary>
    public static long EncodeDouble(double value) => value == 0 ? 0 : BitConverter.DoubleToInt64Bits(value);

    /// <summary>The columns of <paramref name="columns"/> that need value sets: present and not String.</summary>
    private static IEnumerable<string> NonString(TableSchema schema, IReadOnlyList<string> columns) =>
        columns.Where(c => schema.Contains(c) && schema.Column(c).Type != ColumnType.String);

    /// <summary>The value sets of <paramref name="columns"/> read from the source rows (nulls left out: no request matches them).</summary>
    public static Dictionary<string, long[]> Compute(RawTable raw, IReadOnlyList<string> columns)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var column in NonString(raw.Schema, columns))
        {
            var set = new HashSet<long>();
            if (raw.Schema.Column(column).Type == ColumnType.Double)
            {
                foreach (var value in raw.GetDoubles(column))
                {
                    if (!double.IsNaN(value))
                    {
                        set.Add(EncodeDouble(value));
                    }
                }
            }
            else
            {
                foreach (var value in raw.GetInt64s(column))
                {
                    if (value != long.MinValue) // null in Int64 and Timestamp columns
                    {
                        set.Add(value);
                    }
                }
            }

            var sorted = set.ToArray();
            Array.Sort(sorted);
            result[column] = sorted;
        }

        return result;
    }

    /// <summary>Writes the value sets into a cache folder; a folder that cannot take them (read-only, say) is left as it is.</summary>
    public static void TrySave(string folder, TableSchema schema, Dictionary<string, long[]> values)
    {
        foreach (var (column, set) in values)
        {
            var file = FileOf(folder, schema, column);
            var staging = $"{file}.tmp-{Environment.ProcessId}";
            try
            {
                File.WriteAllBytes(staging, MemoryMarshal.AsBytes(set.AsSpan()).ToArray());
                File.Move(staging, file, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                try
                {
                    File.Delete(staging);
                }
                catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }

    /// <summary>The cached value sets of <paramref name="columns"/>; <paramref name="missing"/> lists the non-string ones without a file.</summary>
    public static Dictionary<string, long[]> Load(string folder, TableSchema schema, IReadOnlyList<string> columns, out List<string> missing)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        missing = [];
        foreach (var column in NonString(schema, columns))
        {
            var file = FileOf(folder, schema, column);
            if (!File.Exists(file))
            {
                missing.Add(column);
                continue;
            }

            var bytes = File.ReadAllBytes(file);
            if (bytes.Length % sizeof(long) != 0)
            {
                throw new DataSourceException(file, $"The table cache in '{folder}' holds a damaged value set of key column '{column}'; delete the folder to rebuild it.");
            }

            result[column] = MemoryMarshal.Cast<byte, long>(bytes).ToArray();
        }

        return result;
    }

    private static string FileOf(string folder, TableSchema schema, string column) => Path.Combine(folder, $"keyvalues-{schema.Ordinal(column)}.bin");
}
