using System.Globalization;
using Biathlon.Experiments.Results;
using ScottPlot;

namespace Biathlon.Experiments.Reporting;

/// <summary>
/// scaling-speedup-PIPELINE.png, one per pipeline with a scaling sweep: x = rows the exact computation reads per
/// request (log scale), y = speedup over exact (exact's mean latency / the method's, same requests and setting), one
/// line for biathlon with the exact shortcut on and one with it off, each point labelled with its setting and its
/// agreement with exact; a dashed line at 1× (exact).
/// </summary>
internal static class SpeedupPlot
{
    /// <summary>File-name prefix of these plots.</summary>
    public const string Prefix = "scaling-speedup-";

    private const float PointLabelSize = 11;

    private static readonly string[] s_methods = [ReportMethods.Biathlon, ReportMethods.BiathlonNoShortcut];

    /// <summary>The file name of <paramref name="pipeline"/>'s plot.</summary>
    public static string FileName(string pipeline) => Prefix + Plots.Slug(pipeline) + ".png";

    /// <summary>Pipelines with at least one biathlon speedup point, in the order their points come.</summary>
    public static List<string> Pipelines(RunResults results) =>
        ScalingSpeedup.Points(results.Scaling).Where(p => s_methods.Contains(p.Method))
            .Select(p => p.Pipeline).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Draws <paramref name="pipeline"/>'s plot into <paramref name="path"/> with text in <paramref name="font"/>.</summary>
    public static void Write(RunResults results, string pipeline, string path, string font)
    {
        var points = ScalingSpeedup.Points(results.Scaling)
            .Where(p => p.Pipeline == pipeline && s_methods.Contains(p.Method) && p.RowsPerRequest > 0).ToList();
        // Speedups can span from below 1× to hundreds: a log axis when they cover more than a decade and a half.
        var logY = points.Count > 0 && points.Max(p => p.Speedup) / points.Min(p => p.Speedup) > 30;
        using var plot = Plots.NewPlot(
            $"{pipeline}: speedup over exact vs rows per request",
            "rows read per request by the exact computation (log scale)",
            logY ? "speedup over exact (×, log scale)" : "speedup over exact (×, higher is faster)");
        plot.Font.Set(font);
        var ys = new List<double> { 1 };
        foreach (var method in s_methods)
        {
            var series = points.Where(p => p.Method == method).OrderBy(p => p.RowsPerRequest).ToList();
            if (series.Count == 0)
            {
                continue;
            }

            var x = series.Select(p => Math.Log10(p.RowsPerRequest)).ToArray();
            var y = series.Select(p => logY ? Math.Log10(p.Speedup) : p.Speedup).ToArray();
            ys.AddRange(series.Select(p => p.Speedup));
            var line = plot.Add.Scatter(x, y, Plots.MethodColor(method));
            line.LineWidth = 2.5f;
            line.MarkerSize = 9;
            line.LinePattern = method == ReportMethods.Biathlon ? LinePattern.Solid : LinePattern.Dashed;
            line.LegendText = method == ReportMethods.Biathlon ? "biathlon, exact shortcut on" : "biathlon, exact shortcut off";
            for (var k = 0; k < series.Count; k++)
            {
                var agreement = double.IsFinite(series[k].AgreementWithExact)
                    ? ", " + (series[k].AgreementWithExact * 100).ToString("0", CultureInfo.InvariantCulture) + "% within δ"
                    : "";
                var text = plot.Add.Text(series[k].Setting + agreement, x[k], y[k]);
                text.LabelFontName = font;
                text.LabelFontSize = PointLabelSize;
                text.LabelFontColor = Plots.MethodColor(method);
                // Shortcut on above its point, off below, so that the two series' labels do not overlap.
                text.LabelAlignment = method == ReportMethods.Biathlon ? Alignment.LowerCenter : Alignment.UpperCenter;
                text.OffsetY = method == ReportMethods.Biathlon ? -8 : 8;
            }
        }

        var one = plot.Add.HorizontalLine(logY ? 0 : 1, 1.5f, Colors.DimGray, LinePattern.Dashed);
        one.LegendText = "exact (1×)";
        plot.Axes.Bottom.TickGenerator = Plots.LogTicks();
        if (points.Count > 0)
        {
            var minX = points.Min(p => Math.Log10(p.RowsPerRequest));
            var maxX = points.Max(p => Math.Log10(p.RowsPerRequest));
            var padX = Math.Max(0.25, (maxX - minX) * 0.1);
            plot.Axes.SetLimitsX(minX - padX, maxX + padX);
        }

        if (logY)
        {
            plot.Axes.Left.TickGenerator = Plots.LogTicks();
            plot.Axes.SetLimitsY(Math.Log10(ys.Min()) - 0.3, Math.Log10(ys.Max()) + 0.3);
        }
        else
        {
            plot.Axes.SetLimitsY(0, ys.Max() * 1.25);
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Plots.Width, Plots.Height);
    }
}
