using System.Globalization;
using System.Text;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Reporting;

/// <summary>The report's speedup-against-rows section: per pipeline and setting, each method's speedup over exact and its agreement.</summary>
public static partial class MarkdownReport
{
    private static void ScalingSpeedupTable(StringBuilder md, RunResults results)
    {
        var points = ScalingSpeedup.Points(results.Scaling);
        if (points.Count == 0)
        {
            return;
        }

        md.AppendLine("## Speedup against rows per request").AppendLine();
        md.AppendLine("Speedup is exact's mean latency divided by the method's at the same window setting, on the same " +
                      "requests (each request serves every method, in a seeded random order). biathlon runs with the " +
                      "pipeline's settings (exact shortcut on: measured costs may send a request straight to exact " +
                      "serving); biathlon-no-shortcut with `ExactShortcut = false`. Agreement: share of requests within δ " +
                      "of exact at that setting (classification: the same label).");
        md.AppendLine();
        var methods = points.Select(p => p.Method).Distinct(StringComparer.Ordinal).OrderBy(ReportMethods.Rank).ToList();
        Row(md, ["Pipeline", "Setting", "Rows per request", .. methods.SelectMany(m => new[] { m + " speedup", m + " agreement" })]);
        Rule(md, "llr" + new string('r', 2 * methods.Count));
        foreach (var group in points.GroupBy(p => (p.Pipeline, p.Setting)))
        {
            var first = group.First();
            Row(md, [first.Pipeline, first.Setting, Rows(first.RowsPerRequest),
                .. methods.SelectMany(m => group.FirstOrDefault(p => p.Method == m) is { } point
                    ? new[] { Speedup(point.Speedup), Percent(point.AgreementWithExact) }
                    : new[] { Missing, Missing })]);
        }

        md.AppendLine();
        foreach (var pipeline in points.Select(p => p.Pipeline).Distinct(StringComparer.Ordinal))
        {
            var on = points.Where(p => p.Pipeline == pipeline && p.Method == ReportMethods.Biathlon).ToList();
            var off = points.Where(p => p.Pipeline == pipeline && p.Method == ReportMethods.BiathlonNoShortcut).ToList();
            if (on.Count > 1 || off.Count > 1)
            {
                md.Append("- ").AppendLine(SpeedupTrend(pipeline, on, off));
            }
        }

        md.AppendLine();
    }

    // How speedup changes from the fewest to the most rows per request, for both shortcut settings.
    private static string SpeedupTrend(string pipeline, List<SpeedupPoint> on, List<SpeedupPoint> off)
    {
        static string Span(List<SpeedupPoint> series, string label) => series.Count == 0 ? "" :
            $"{label}: {Speedup(series[0].Speedup)} at {Rows(series[0].RowsPerRequest)} rows to {Speedup(series[^1].Speedup)} at " +
            $"{Rows(series[^1].RowsPerRequest)} rows";
        var parts = new[] { Span(on, "shortcut on"), Span(off, "shortcut off") }.Where(s => s.Length > 0);
        return string.Create(CultureInfo.InvariantCulture, $"**{Escape(pipeline)}**: {string.Join("; ", parts)}.");
    }
}
