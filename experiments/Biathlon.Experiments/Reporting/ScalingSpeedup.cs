using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Reporting;

/// <summary>A method's speedup over exact at one setting of a scaling sweep.</summary>
/// <param name="Pipeline">Pipeline.</param>
/// <param name="Method">The method (not exact).</param>
/// <param name="Setting">Window setting, e.g. "7d".</param>
/// <param name="RowsPerRequest">Mean rows the exact computation reads per request at this setting (exact's point).</param>
/// <param name="Speedup">Exact's mean latency / the method's, same requests, same setting.</param>
/// <param name="AgreementWithExact">The method's share of requests within δ of exact (NaN when not recorded).</param>
public sealed record SpeedupPoint(
    string Pipeline, string Method, string Setting, double RowsPerRequest, double Speedup, double AgreementWithExact);

/// <summary>Speedup against rows per request, computed from a run's <see cref="RunResults.Scaling"/> points.</summary>
public static class ScalingSpeedup
{
    /// <summary>
    /// For every non-exact point with a positive latency whose pipeline and setting also have an exact point with a
    /// positive latency: exact's mean / its mean, at exact's rows per request. Ordered by pipeline (as they first
    /// appear), method (report order) and rows per request.
    /// </summary>
    public static List<SpeedupPoint> Points(IReadOnlyList<ScalingPoint> scaling)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        var exact = new Dictionary<(string, string), ScalingPoint>();
        foreach (var p in scaling)
        {
            if (p.Method == ReportMethods.Exact && IsPositive(p.MeanMs))
            {
                exact[(p.Pipeline, p.Setting)] = p;
            }
        }

        var pipelines = scaling.Select(p => p.Pipeline).Distinct(StringComparer.Ordinal).ToList();
        return scaling
            .Where(p => p.Method != ReportMethods.Exact && IsPositive(p.MeanMs) && exact.ContainsKey((p.Pipeline, p.Setting)))
            .Select(p =>
            {
                var baseline = exact[(p.Pipeline, p.Setting)];
                return new SpeedupPoint(p.Pipeline, p.Method, p.Setting, baseline.RowsPerRequest, baseline.MeanMs / p.MeanMs, p.AgreementWithExact);
            })
            .OrderBy(p => pipelines.IndexOf(p.Pipeline))
            .ThenBy(p => ReportMethods.Rank(p.Method))
            .ThenBy(p => p.RowsPerRequest)
            .ToList();
    }

    private static bool IsPositive(double value) => double.IsFinite(value) && value > 0;
}
