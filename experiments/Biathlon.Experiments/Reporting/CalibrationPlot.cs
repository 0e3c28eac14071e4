using System.Globalization;
using Biathlon.Experiments.Results;
using ScottPlot;

namespace Biathlon.Experiments.Reporting;

/// <summary>
/// calibration.png: one panel per pipeline, x = τ, y = share of the BoundMet requests within δ of exact, one line per δ
/// (from the τ sweep; without one, the pass-rule cells as points), with the diagonal y = x an honest bound stays on
/// or above.
/// </summary>
internal static class CalibrationPlot
{
    public const string FileName = "calibration.png";

    /// <summary>Width of one pipeline's panel.</summary>
    private const int PanelWidth = 560;

    private const float TitleSize = 16;
    private const float AxisLabelSize = 14;
    private const float TickSize = 12;
    private const float LegendSize = 12;

    private static readonly string[] s_deltaColors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b"];

    // Lines of several δ often coincide (every share at 100%): shrinking markers and dashes keep each one visible.
    private static readonly (MarkerShape Shape, float Size, LinePattern Pattern)[] s_deltaStyles =
    [
        (MarkerShape.FilledCircle, 13, LinePattern.Solid),
        (MarkerShape.FilledSquare, 9, LinePattern.Dashed),
        (MarkerShape.FilledDiamond, 6, LinePattern.Dotted),
    ];

    /// <summary>True when the results hold cells to plot.</summary>
    public static bool HasData(RunResults results) => Cells(results).Any(c => double.IsFinite(c.Share));

    /// <summary>Draws the plot into <paramref name="path"/> with text in <paramref name="font"/>.</summary>
    public static void Write(RunResults results, string path, string font)
    {
        var cells = Cells(results).Where(c => double.IsFinite(c.Share)).ToList();
        var pipelines = cells.Select(c => c.Pipeline).Distinct(StringComparer.Ordinal).ToList();
        var plots = new List<Plot>();
        try
        {
            foreach (var pipeline in pipelines)
            {
                var plot = Panel(cells.Where(c => c.Pipeline == pipeline).ToList(), pipeline);
                plot.Font.Set(font);
                plots.Add(plot);
            }

            // A new Multiplot holds one empty plot: start it from the first panel instead.
            var multiplot = new Multiplot(plots[0]);
            for (var i = 1; i < plots.Count; i++)
            {
                multiplot.AddPlot(plots[i]);
            }

            multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
            multiplot.SavePng(path, Math.Max(Plots.Width, PanelWidth * pipelines.Count), Plots.Height);
        }
        finally
        {
            foreach (var plot in plots)
            {
                plot.Dispose();
            }
        }
    }

    // The sweep when there is one (one table seed, several τ); else the pass-rule cells (several seeds, one τ).
    private static List<CalibrationCell> Cells(RunResults results) =>
        results.CalibrationSweep.Count > 0 ? results.CalibrationSweep : results.Calibration;

    private static Plot Panel(List<CalibrationCell> cells, string pipeline)
    {
        var seeds = cells.Select(c => c.TableSeed).Distinct().Order().ToList();
        var plot = new Plot();
        plot.Title(seeds.Count == 1 ? $"{pipeline} (table seed {seeds[0]})" : pipeline, TitleSize);
        plot.XLabel("required confidence τ", AxisLabelSize);
        plot.YLabel("share of BoundMet requests within δ of exact", AxisLabelSize);
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickSize;
        plot.Legend.FontSize = LegendSize;

        var deltas = cells.Select(c => c.DeltaLabel).Distinct(StringComparer.Ordinal).ToList();
        for (var d = 0; d < deltas.Count; d++)
        {
            var color = Color.FromHex(s_deltaColors[d % s_deltaColors.Length]);
            foreach (var seed in seeds)
            {
                var series = cells.Where(c => c.DeltaLabel == deltas[d] && c.TableSeed == seed).OrderBy(c => c.Tau).ToList();
                if (series.Count == 0)
                {
                    continue;
                }

                var line = plot.Add.Scatter(series.Select(c => c.Tau).ToArray(), series.Select(c => c.Share).ToArray(), color);
                var style = s_deltaStyles[d % s_deltaStyles.Length];
                line.LineWidth = series.Count > 1 ? 2.5f : 0;
                line.LinePattern = style.Pattern;
                line.MarkerSize = style.Size;
                line.MarkerShape = style.Shape;
                var delta = series[0].Task == "regression"
                    ? $"δ = {deltas[d]} ({series[0].Delta.ToString("G4", CultureInfo.InvariantCulture)})"
                    : "δ = 0 (same label)";
                line.LegendText = seeds.Count == 1 ? delta : $"{delta}, seed {seed}";
            }
        }

        var low = Math.Min(cells.Min(c => c.Tau), cells.Min(c => c.Share));
        var from = Math.Max(0, Math.Floor((low - 0.05) * 20) / 20);
        var diagonal = plot.Add.Scatter(new[] { from, 1.0 }, new[] { from, 1.0 }, Colors.DimGray);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1.5f;
        diagonal.MarkerSize = 0;
        diagonal.LegendText = "share = τ";
        plot.Axes.SetLimits(from, 1.01, from, 1.01);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
