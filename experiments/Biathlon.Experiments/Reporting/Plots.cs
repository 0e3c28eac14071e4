using System.Globalization;
using System.Text;
using Biathlon.Experiments.Results;
using ScottPlot;

namespace Biathlon.Experiments.Reporting;

/// <summary>
/// The report's figures, drawn from <see cref="RunResults"/> alone with ScottPlot (800x500 PNGs): speedup per pipeline,
/// agreement against latency per pipeline, cost against rows per request, speedup against rows per request per pipeline
/// (<see cref="SpeedupPlot"/>), the τ sweep when the run has one, and the
/// calibration plot (<see cref="CalibrationPlot"/>, one panel per pipeline) when the run has a calibration.
/// </summary>
public static class Plots
{
    public const int Width = 800;
    public const int Height = 500;

    private const float TitleSize = 18;
    private const float AxisLabelSize = 15;
    private const float TickSize = 12;
    private const float LegendSize = 12;
    private const float PointLabelSize = 12;

    // The bar chart leaves exact out: it is the 1x line every other bar is measured against.
    private static readonly string[] s_speedupMethods =
        [ReportMethods.Biathlon, ReportMethods.Fixed5, ReportMethods.Fixed20, ReportMethods.DuckDb];

    private static readonly string[] s_scalingMethods = [ReportMethods.Exact, ReportMethods.Biathlon, ReportMethods.DuckDb];

    private static readonly LinePattern[] s_pipelinePatterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>Writes every plot the results have data for into <paramref name="plotFolder"/>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(RunResults results, string plotFolder)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(plotFolder);
        var font = PlotFonts.Resolve();
        var written = new List<string>();

        void Save(Plot plot, string fileName)
        {
            using (plot)
            {
                plot.Font.Set(font);
                var path = Path.Combine(plotFolder, fileName);
                plot.SavePng(path, Width, Height);
                written.Add(path);
            }
        }

        if (results.Methods.Any(m => m.Method != ReportMethods.Exact && IsPositive(m.Speedup) && m.LatencyMeasured))
        {
            Save(Speedup(results, font), "speedup.png");
        }

        foreach (var pipeline in ReportMethods.PipelineOrder(results))
        {
            if (ReportMethods.ForPipeline(results, pipeline).Count > 0)
            {
                Save(AccuracyLatency(results, pipeline, font), $"accuracy-latency-{Slug(pipeline)}.png");
            }
        }

        if (results.Scaling.Any(p => IsPositive(p.RowsPerRequest) && IsPositive(p.MeanMs)))
        {
            Save(Scaling(results, font), "scaling.png");
        }

        foreach (var pipeline in SpeedupPlot.Pipelines(results))
        {
            var path = Path.Combine(plotFolder, SpeedupPlot.FileName(pipeline));
            SpeedupPlot.Write(results, pipeline, path, font);
            written.Add(path);
        }

        if (results.TauSweep.Count > 0)
        {
            Save(TauSweep(results), "tau-sweep.png");
        }

        if (CalibrationPlot.HasData(results))
        {
            var path = Path.Combine(plotFolder, CalibrationPlot.FileName);
            CalibrationPlot.Write(results, path, font);
            written.Add(path);
        }

        return written;
    }

    /// <summary>The caption the report gives a plot written by <see cref="WriteAll"/>, from its file name.</summary>
    public static string Caption(string plotFile)
    {
        var name = Path.GetFileNameWithoutExtension(plotFile);
        return name switch
        {
            "speedup" => "Speedup over exact per pipeline",
            "scaling" => "Latency against rows read per request",
            "tau-sweep" => "Biathlon latency and agreement against τ",
            "calibration" => "Calibration: share of BoundMet requests within δ of exact against τ, one line per δ",
            _ when name.StartsWith(SpeedupPlot.Prefix, StringComparison.Ordinal) =>
                "Speedup over exact against rows read per request, exact shortcut on and off: " + name[SpeedupPlot.Prefix.Length..],
            _ when name.StartsWith("accuracy-latency-", StringComparison.Ordinal) =>
                "Agreement with exact against latency: " + name["accuracy-latency-".Length..],
            _ => name,
        };
    }

    private static Plot Speedup(RunResults results, string font)
    {
        var plot = NewPlot(
            "Speedup over exact (mean latency, one request at a time)", "pipeline", "speedup over exact (×, higher is faster)");
        var pipelines = ReportMethods.PipelineOrder(results)
            .Where(p => s_speedupMethods.Any(m => ReportMethods.Find(results, p, m) is { LatencyMeasured: true } s && IsPositive(s.Speedup)))
            .ToList();
        var groupWidth = s_speedupMethods.Length + 1;
        var max = 1.0;
        for (var j = 0; j < s_speedupMethods.Length; j++)
        {
            var bars = new List<Bar>();
            for (var i = 0; i < pipelines.Count; i++)
            {
                if (ReportMethods.Find(results, pipelines[i], s_speedupMethods[j]) is { LatencyMeasured: true } summary &&
                    IsPositive(summary.Speedup))
                {
                    max = Math.Max(max, summary.Speedup);
                    bars.Add(new Bar
                    {
                        Position = (i * groupWidth) + j,
                        Value = summary.Speedup,
                        FillColor = MethodColor(s_speedupMethods[j]),
                        Label = summary.Speedup.ToString("0.0", CultureInfo.InvariantCulture) + "×",
                    });
                }
            }

            if (bars.Count > 0)
            {
                var barPlot = plot.Add.Bars(bars);
                barPlot.Color = MethodColor(s_speedupMethods[j]);
                barPlot.LegendText = s_speedupMethods[j];
                barPlot.ValueLabelStyle.FontSize = PointLabelSize;
                // FontStyler.Set does not reach bar value labels; without this they fall back to Skia's first family.
                barPlot.ValueLabelStyle.FontName = font;
            }
        }

        var one = plot.Add.HorizontalLine(1, 2, Colors.Black, LinePattern.Dashed);
        one.LegendText = "exact (1×)";

        var centre = (s_speedupMethods.Length - 1) / 2.0;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            pipelines.Select((_, i) => (i * groupWidth) + centre).ToArray(), pipelines.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = AxisLabelSize - 1;
        plot.Axes.SetLimitsX(-1, Math.Max(1, pipelines.Count) * groupWidth - 1);
        plot.Axes.SetLimitsY(0, max * 1.18);
        plot.HideGrid();
        plot.Grid.YAxisStyle.IsVisible = true;
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot AccuracyLatency(RunResults results, string pipeline, string font)
    {
        var summaries = ReportMethods.ForPipeline(results, pipeline);
        var spec = results.Pipelines.FirstOrDefault(p => p.Name == pipeline);
        var regression = spec is not null && spec.Task.Equals("regression", StringComparison.OrdinalIgnoreCase);
        var agreementLabel = spec is null ? "agreement with exact (%)"
            : regression ? $"agreement with exact (% of requests within δ = {Num(spec.Delta)})"
            : "agreement with exact (% same label)";
        var plot = NewPlot($"{pipeline}: agreement with exact vs latency", "mean latency per request (ms)", agreementLabel);

        var measured = summaries.Where(s => s.LatencyMeasured && IsFinite(s.MeanMs) && IsFinite(s.AgreementWithExact)).ToList();
        var maxX = measured.Count == 0 ? 1 : measured.Max(s => s.MeanMs);
        var minY = 100.0;
        for (var i = 0; i < measured.Count; i++)
        {
            var s = measured[i];
            var y = s.AgreementWithExact * 100;
            minY = Math.Min(minY, y);
            var marker = plot.Add.Scatter(s.MeanMs, y, MethodColor(s.Method));
            marker.MarkerSize = 12;
            marker.MarkerShape = s.Method == ReportMethods.Exact ? MarkerShape.FilledSquare : MarkerShape.FilledCircle;
            marker.LegendText = s.Method;
            var label = plot.Add.Text($"{s.Method} ({s.AccuracyMetric} {Num(s.Accuracy)})", s.MeanMs, y);
            label.LabelFontName = font;
            label.LabelFontSize = PointLabelSize;
            label.LabelFontColor = MethodColor(s.Method);
            // Alternate above and below the marker so that methods with similar numbers do not print over each other.
            label.LabelAlignment = i % 2 == 0 ? Alignment.LowerLeft : Alignment.UpperLeft;
            label.OffsetX = 8;
            label.OffsetY = i % 2 == 0 ? -4 : 4;
        }

        if (spec is not null && IsFinite(spec.Tau) && spec.Tau > 0)
        {
            var tau = plot.Add.HorizontalLine(spec.Tau * 100, 1.5f, Colors.DimGray, LinePattern.Dashed);
            tau.LegendText = $"τ = {Num(spec.Tau)} (target agreement)";
            minY = Math.Min(minY, spec.Tau * 100);
        }

        // Methods without a comparable latency cannot sit on the x axis; say where they stand instead.
        var unmeasured = summaries.Where(s => !s.LatencyMeasured).ToList();
        if (unmeasured.Count > 0)
        {
            var note = string.Join("\n", unmeasured.Select(s =>
                $"{s.Method}: latency n/a (background refresh), agreement {Percent(s.AgreementWithExact)}, {s.AccuracyMetric} {Num(s.Accuracy)}"));
            var annotation = plot.Add.Annotation(note, Alignment.LowerLeft);
            annotation.LabelFontName = font;
            annotation.LabelFontSize = PointLabelSize;
            foreach (var s in unmeasured)
            {
                minY = Math.Min(minY, s.AgreementWithExact * 100);
            }
        }

        var bottom = Math.Max(0, Math.Floor((minY - 8) / 5) * 5);
        plot.Axes.SetLimitsX(0, maxX * 1.45);
        plot.Axes.SetLimitsY(bottom, 102);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static Plot Scaling(RunResults results, string font)
    {
        var points = results.Scaling.Where(p => IsPositive(p.RowsPerRequest) && IsPositive(p.MeanMs)).ToList();
        var pipelines = points.Select(p => p.Pipeline).Distinct(StringComparer.Ordinal).ToList();
        var methods = s_scalingMethods.Concat(points.Select(p => p.Method)).Distinct(StringComparer.Ordinal)
            .Where(m => points.Any(p => p.Method == m)).ToList();

        // Exact latency grows with the rows it reads, so across decades of rows a linear y axis hides the cheap end.
        var logY = points.Max(p => p.MeanMs) / points.Min(p => p.MeanMs) > 30;
        var plot = NewPlot(
            pipelines.Count == 1 ? $"{pipelines[0]}: latency vs rows per request" : "Latency vs rows per request",
            "rows read per request by the exact computation (log scale)",
            logY ? "mean latency per request (ms, log scale)" : "mean latency per request (ms)");

        for (var pi = 0; pi < pipelines.Count; pi++)
        {
            foreach (var method in methods)
            {
                var series = points.Where(p => p.Pipeline == pipelines[pi] && p.Method == method)
                    .OrderBy(p => p.RowsPerRequest).ToList();
                if (series.Count == 0)
                {
                    continue;
                }

                var xs = series.Select(p => Math.Log10(p.RowsPerRequest)).ToArray();
                var ys = series.Select(p => logY ? Math.Log10(p.MeanMs) : p.MeanMs).ToArray();
                var line = plot.Add.Scatter(xs, ys, MethodColor(method));
                line.LineWidth = 2.5f;
                line.MarkerSize = 9;
                line.LinePattern = s_pipelinePatterns[pi % s_pipelinePatterns.Length];
                line.LegendText = pipelines.Count == 1 ? method : $"{pipelines[pi]} · {method}";

                if (method == methods[0])
                {
                    // Name the window setting at each point of the first series, so that x reads as a setting too.
                    for (var k = 0; k < series.Count; k++)
                    {
                        var text = plot.Add.Text(series[k].Setting, xs[k], ys[k]);
                        text.LabelFontName = font;
                        text.LabelFontSize = PointLabelSize - 1;
                        text.LabelFontColor = Colors.DimGray;
                        text.LabelAlignment = Alignment.LowerRight;
                        text.OffsetX = -6;
                        text.OffsetY = -6;
                    }
                }
            }
        }

        plot.Axes.Bottom.TickGenerator = LogTicks();
        if (logY)
        {
            plot.Axes.Left.TickGenerator = LogTicks();
        }
        else
        {
            plot.Axes.SetLimitsY(0, points.Max(p => p.MeanMs) * 1.1);
        }

        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot TauSweep(RunResults results)
    {
        var pipelines = results.TauSweep.Select(t => t.Pipeline).Distinct(StringComparer.Ordinal).ToList();
        var plot = NewPlot(
            pipelines.Count == 1 ? $"{pipelines[0]}: biathlon across confidence levels τ" : "Biathlon across confidence levels τ",
            "confidence level τ", "biathlon mean latency per request (ms)");
        var latencyColor = MethodColor(ReportMethods.Biathlon);
        var agreementColor = Color.FromHex("#d62728");
        var right = plot.Axes.Right;
        right.Label.Text = "agreement with exact (%)";
        right.Label.FontSize = AxisLabelSize;
        right.Label.ForeColor = agreementColor;
        right.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.Label.ForeColor = latencyColor;

        var maxMs = 0.0;
        var minAgreement = 100.0;
        for (var pi = 0; pi < pipelines.Count; pi++)
        {
            var sweep = results.TauSweep.Where(t => t.Pipeline == pipelines[pi]).OrderBy(t => t.Tau).ToList();
            var taus = sweep.Select(t => t.Tau).ToArray();
            var suffix = pipelines.Count == 1 ? "" : $" ({pipelines[pi]})";
            var pattern = s_pipelinePatterns[pi % s_pipelinePatterns.Length];

            var latency = plot.Add.Scatter(taus, sweep.Select(t => t.MeanMs).ToArray(), latencyColor);
            latency.LegendText = "mean latency (ms, left)" + suffix;
            latency.LineWidth = 2.5f;
            latency.MarkerSize = 9;
            latency.LinePattern = pattern;

            var agreement = plot.Add.Scatter(taus, sweep.Select(t => t.AgreementWithExact * 100).ToArray(), agreementColor);
            agreement.LegendText = "agreement with exact (%, right)" + suffix;
            agreement.LineWidth = 2.5f;
            agreement.MarkerSize = 9;
            agreement.MarkerShape = MarkerShape.FilledSquare;
            agreement.LinePattern = pattern;
            agreement.Axes.YAxis = right;

            maxMs = Math.Max(maxMs, sweep.Where(t => IsFinite(t.MeanMs)).Select(t => t.MeanMs).DefaultIfEmpty(0).Max());
            minAgreement = Math.Min(minAgreement, sweep.Where(t => IsFinite(t.AgreementWithExact))
                .Select(t => t.AgreementWithExact * 100).DefaultIfEmpty(100).Min());
        }

        // Agreement should stay at or above τ: draw agreement = τ on the right axis as the bar to clear.
        var tauMin = results.TauSweep.Min(t => t.Tau);
        var tauMax = results.TauSweep.Max(t => t.Tau);
        var target = plot.Add.Scatter(new[] { tauMin, tauMax }, new[] { tauMin * 100, tauMax * 100 }, Colors.DimGray);
        target.LinePattern = LinePattern.Dashed;
        target.MarkerSize = 0;
        target.LineWidth = 1.5f;
        target.LegendText = "agreement = τ (target, right)";
        target.Axes.YAxis = right;
        minAgreement = Math.Min(minAgreement, tauMin * 100);

        var pad = Math.Max(0.01, (tauMax - tauMin) * 0.05);
        plot.Axes.SetLimitsX(tauMin - pad, tauMax + pad);
        plot.Axes.SetLimitsY(0, Math.Max(maxMs, 1e-9) * 1.2, plot.Axes.Left);
        plot.Axes.SetLimitsY(Math.Max(0, Math.Floor((minAgreement - 5) / 5) * 5), 101, right);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    internal static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, TitleSize);
        plot.XLabel(xLabel, AxisLabelSize);
        plot.YLabel(yLabel, AxisLabelSize);
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickSize;
        plot.Legend.FontSize = LegendSize;
        return plot;
    }

    // Ticks for an axis holding log10 values: labels at whole decades, read back as 1, 10, 100, 1k, 10k, 1M, ...
    internal static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        IntegerTicksOnly = true,
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        LabelFormatter = DecadeLabel,
    };

    private static string DecadeLabel(double log10)
    {
        var value = Math.Pow(10, Math.Round(log10));
        return value switch
        {
            >= 1e9 => (value / 1e9).ToString("0", CultureInfo.InvariantCulture) + "G",
            >= 1e6 => (value / 1e6).ToString("0", CultureInfo.InvariantCulture) + "M",
            >= 1e3 => (value / 1e3).ToString("0", CultureInfo.InvariantCulture) + "k",
            _ => value.ToString("0.###", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The colour a method has in every plot.</summary>
    internal static Color MethodColor(string method) => method switch
    {
        ReportMethods.Exact => Color.FromHex("#555555"),
        ReportMethods.Biathlon => Color.FromHex("#1f77b4"),
        ReportMethods.BiathlonNoShortcut => Color.FromHex("#d62728"),
        ReportMethods.Fixed5 => Color.FromHex("#ff7f0e"),
        ReportMethods.Fixed20 => Color.FromHex("#2ca02c"),
        ReportMethods.DuckDb => Color.FromHex("#9467bd"),
        ReportMethods.StaleCache => Color.FromHex("#8c564b"),
        ReportMethods.ClickHouseExact => Color.FromHex("#bcbd22"),
        ReportMethods.ClickHouseApprox => Color.FromHex("#e377c2"),
        _ => Color.FromHex("#17becf"),
    };

    /// <summary>A file-name-safe form of a pipeline name: letters, digits, '-' and '_' kept, the rest as '-'.</summary>
    internal static string Slug(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-');
        }

        return builder.Length == 0 ? "pipeline" : builder.ToString();
    }

    private static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static bool IsFinite(double value) => double.IsFinite(value);

    private static bool IsPositive(double value) => double.IsFinite(value) && value > 0;
}
