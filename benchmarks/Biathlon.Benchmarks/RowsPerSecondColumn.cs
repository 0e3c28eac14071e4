using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Biathlon.Benchmarks;

// Rows per operation are a property of the data (how many flights a predicate matches), known only once a benchmark's
// GlobalSetup has built the table, so OperationsPerInvoke cannot carry them. The benchmark process records them in a
// small side file; these columns, evaluated by the host process after the run, read them back and divide by the mean.
internal static class RowsPerOperation
{
    private static string Folder => Path.Combine(Path.GetTempPath(), "Biathlon.Benchmarks", "rows-per-op");

    // The key of one benchmark case: class name and parameter values, which is all the row count depends on. Pass the
    // declared type (typeof), not GetType(): BenchmarkDotNet runs a generated subclass of the benchmark class.
    public static string Key(Type type, IEnumerable<object?> parameters) =>
        type.Name + "." + string.Join(",", parameters.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture)));

    public static void Record(string key, long rows)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, key + ".txt"), rows.ToString(CultureInfo.InvariantCulture));
    }

    public static long? Read(BenchmarkCase benchmarkCase)
    {
        var key = Key(benchmarkCase.Descriptor.Type, benchmarkCase.Parameters.Items.Select(p => p.Value));
        var path = Path.Combine(Folder, key + ".txt");
        return File.Exists(path) && long.TryParse(File.ReadAllText(path), CultureInfo.InvariantCulture, out var rows) ? rows : null;
    }
}

// Adds "Rows/op" and "Rows/s" to the summary of the class that carries [Config(typeof(RowsConfig))].
public class RowsConfig : ManualConfig
{
    public RowsConfig() => AddColumn(new RowsColumn(perSecond: false), new RowsColumn(perSecond: true));
}

internal sealed class RowsColumn(bool perSecond) : IColumn
{
    public string Id => perSecond ? "Biathlon.RowsPerSecond" : "Biathlon.RowsPerOp";

    public string ColumnName => perSecond ? "Rows/s" : "Rows/op";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => perSecond ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => perSecond
        ? "Rows read per second: Rows/op divided by the mean time of one operation"
        : "Rows the operation reads (recorded by the benchmark's GlobalSetup)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (RowsPerOperation.Read(benchmarkCase) is not { } rows)
        {
            return "?";
        }

        if (!perSecond)
        {
            return rows.ToString("N0", CultureInfo.InvariantCulture);
        }

        var meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return meanNs is > 0 ? (rows / (meanNs.Value * 1e-9)).ToString("N0", CultureInfo.InvariantCulture) : "?";
    }

    public override string ToString() => ColumnName;
}
