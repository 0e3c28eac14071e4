using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Reporting;

/// <summary>Method names as written by the harness, and the order the report shows them in.</summary>
internal static class ReportMethods
{
    public const string Exact = "exact";
    public const string Biathlon = "biathlon";
    public const string BiathlonNoShortcut = Harness.ScalingExperiment.BiathlonNoShortcut;
    public const string Fixed5 = "fixed-5%";
    public const string Fixed20 = "fixed-20%";
    public const string DuckDb = "duckdb";
    public const string StaleCache = "stale-cache";
    public const string ClickHouseExact = Harness.MethodRunner.ClickHouseExact;
    public const string ClickHouseApprox = Harness.MethodRunner.ClickHouseApprox;

    private static readonly string[] s_order = [Exact, Biathlon, BiathlonNoShortcut, Fixed5, Fixed20, DuckDb, ClickHouseExact, ClickHouseApprox, StaleCache];

    /// <summary>Position of a method in the report; unknown methods go last, in the order they came.</summary>
    public static int Rank(string method)
    {
        var index = Array.IndexOf(s_order, method);
        return index < 0 ? s_order.Length : index;
    }

    /// <summary>Pipeline names in the order of <see cref="RunResults.Pipelines"/>, then any only named by methods.</summary>
    public static List<string> PipelineOrder(RunResults results) =>
        results.Pipelines.Select(p => p.Name)
            .Concat(results.Methods.Select(m => m.Pipeline))
            .Concat(results.Scaling.Select(s => s.Pipeline))
            .Concat(results.TauSweep.Select(t => t.Pipeline))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>The methods of one pipeline, in report order (stable for unknown names).</summary>
    public static List<MethodSummary> ForPipeline(RunResults results, string pipeline) =>
        results.Methods.Where(m => m.Pipeline == pipeline).OrderBy(m => Rank(m.Method)).ToList();

    /// <summary>A method of a pipeline, or null when the run has none.</summary>
    public static MethodSummary? Find(RunResults results, string pipeline, string method) =>
        results.Methods.FirstOrDefault(m => m.Pipeline == pipeline && m.Method == method);
}
