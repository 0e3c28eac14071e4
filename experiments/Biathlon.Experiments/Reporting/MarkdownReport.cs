using System.Globalization;
using System.Text;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Reporting;

/// <summary>
/// Writes a run's report.md from its <see cref="RunResults"/>: run header, pipelines, one method table per pipeline,
/// the plots, and the findings computed from the numbers: where Biathlon is slower than exact or DuckDB and which stages
/// explain it, where its agreement with exact falls below τ, and the calibration where the bound binds.
/// </summary>
public static partial class MarkdownReport
{
    public const string FileName = "report.md";

    /// <summary>What a latency cell says for a method whose latency is not comparable.</summary>
    public const string NotMeasured = "n/a (background refresh)";

    private const string Missing = "–";

    /// <summary>Writes report.md into <paramref name="runFolder"/> and returns its path.</summary>
    /// <param name="results">The run's results.</param>
    /// <param name="runFolder">Folder of the report; plot links are made relative to it.</param>
    /// <param name="plotFiles">PNG files to embed, as returned by <see cref="Plots.WriteAll"/>.</param>
    public static string Write(RunResults results, string runFolder, IReadOnlyList<string> plotFiles)
    {
        Directory.CreateDirectory(runFolder);
        var path = Path.Combine(runFolder, FileName);
        File.WriteAllText(path, Render(results, runFolder, plotFiles));
        return path;
    }

    /// <summary>The report's Markdown text (what <see cref="Write"/> writes).</summary>
    public static string Render(RunResults results, string runFolder, IReadOnlyList<string> plotFiles)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(plotFiles);
        var md = new StringBuilder();
        Header(md, results);
        PipelineTable(md, results);
        MethodTables(md, results);
        PlotSection(md, runFolder, plotFiles);
        Slowdowns(md, results);
        AgreementAgainstTau(md, results);
        TauSweepTable(md, results);
        CalibrationSection(md, results);
        ScalingTable(md, results);
        ScalingSpeedupTable(md, results);
        return md.ToString();
    }

    private static void Header(StringBuilder md, RunResults results)
    {
        md.Append("# Biathlon run ").AppendLine(Escape(results.RunId)).AppendLine();
        md.Append("- **Started:** ")
            .AppendLine(results.StartedUtc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC");
        md.Append("- **Machine:** ").AppendLine(Escape(results.Machine));
        md.Append("- **Command:** ").AppendLine(Code(results.Command));
        md.Append("- **Seed:** ").AppendLine(results.Seed.ToString(CultureInfo.InvariantCulture));
        md.AppendLine();
        md.AppendLine("Latencies are per request, one request at a time, in milliseconds. Speedup is exact's mean latency " +
                      "divided by the method's, on the same requests in the same run. Agreement with exact is the share of " +
                      "requests whose prediction is within δ of the exact one (classification: the same label).");
        md.AppendLine();
    }

    private static void PipelineTable(StringBuilder md, RunResults results)
    {
        md.AppendLine("## Pipelines").AppendLine();
        if (results.Pipelines.Count == 0)
        {
            md.AppendLine("The run holds no pipelines.").AppendLine();
            return;
        }

        Row(md, "Pipeline", "Task", "Model", "δ", "τ", "Train requests", "Test requests", "Validation", "Data");
        Rule(md, "lllrrrrll");
        foreach (var p in results.Pipelines)
        {
            var delta = p.DeltaField is { } field ? $"per request (`{field}`)" : Num(p.Delta);
            Row(md, p.Name, p.Task, p.Model, delta, Num(p.Tau), Int(p.TrainRequests), Int(p.TestRequests),
                $"{p.ValidationMetric} {Num(p.ValidationValue)}", p.Data);
        }

        md.AppendLine();
    }

    private static void MethodTables(StringBuilder md, RunResults results)
    {
        md.AppendLine("## Methods per pipeline").AppendLine();
        md.AppendLine("Stage shares are of the method's own time: sampling (reading and aggregating rows), propagation + " +
                      "model (uncertainty propagation and model calls), planning, and other (parsing, binding, assembly).");
        md.AppendLine();
        foreach (var pipeline in ReportMethods.PipelineOrder(results))
        {
            var methods = ReportMethods.ForPipeline(results, pipeline);
            if (methods.Count == 0)
            {
                continue;
            }

            md.Append("### ").AppendLine(Escape(pipeline)).AppendLine();
            var metrics = methods.Select(m => m.AccuracyMetric).Distinct(StringComparer.Ordinal).ToList();
            var accuracyHeader = metrics.Count == 1 ? metrics[0] : "Accuracy";
            Row(md, "Method", "Requests", "Mean ms", "p50 ms", "p95 ms", "p99 ms", "Speedup", accuracyHeader,
                "Agreement with exact", "Mean fraction", "Mean rounds", "Sampling", "Propagation + model", "Planning", "Other");
            Rule(md, "l" + new string('r', 14));
            foreach (var m in methods)
            {
                var accuracy = metrics.Count == 1 ? Num3(m.Accuracy) : $"{m.AccuracyMetric} {Num3(m.Accuracy)}";
                if (m.LatencyMeasured)
                {
                    Row(md, m.Method, Int(m.Requests), Ms(m.MeanMs), Ms(m.P50Ms), Ms(m.P95Ms), Ms(m.P99Ms), Speedup(m.Speedup),
                        accuracy, Percent(m.AgreementWithExact), Percent(m.MeanFraction), Num2(m.MeanRounds),
                        Percent(m.SamplingShare), Percent(m.PropagationShare), Percent(m.PlanningShare), Percent(m.OtherShare));
                }
                else
                {
                    // No comparable latency, hence no speedup and no stage breakdown of it either.
                    Row(md, m.Method, Int(m.Requests), NotMeasured, NotMeasured, NotMeasured, NotMeasured, "n/a",
                        accuracy, Percent(m.AgreementWithExact), Percent(m.MeanFraction), Num2(m.MeanRounds),
                        "n/a", "n/a", "n/a", "n/a");
                }
            }

            md.AppendLine();
        }
    }

    private static void Slowdowns(StringBuilder md, RunResults results)
    {
        md.AppendLine("## Where Biathlon is slower").AppendLine();
        var findings = new List<string>();
        var compared = 0;
        foreach (var pipeline in ReportMethods.PipelineOrder(results))
        {
            if (ReportMethods.Find(results, pipeline, ReportMethods.Biathlon) is not { LatencyMeasured: true } biathlon ||
                !double.IsFinite(biathlon.MeanMs))
            {
                continue;
            }

            foreach (var baselineName in new[] { ReportMethods.Exact, ReportMethods.DuckDb })
            {
                if (ReportMethods.Find(results, pipeline, baselineName) is not { LatencyMeasured: true } baseline ||
                    !double.IsFinite(baseline.MeanMs))
                {
                    continue;
                }

                compared++;
                if (biathlon.MeanMs > baseline.MeanMs)
                {
                    findings.Add(SlowerFinding(pipeline, biathlon, baseline));
                }
                else if (biathlon.P99Ms > baseline.P99Ms)
                {
                    findings.Add($"**{Escape(pipeline)}**: biathlon's mean is lower than {baseline.Method}'s " +
                                 $"({Ms(biathlon.MeanMs)} ms vs {Ms(baseline.MeanMs)} ms), but its tail is not: " +
                                 $"p99 {Ms(biathlon.P99Ms)} ms vs {Ms(baseline.P99Ms)} ms " +
                                 $"(biathlon: {Num2(biathlon.MeanRounds)} rounds and a sample fraction of " +
                                 $"{Percent(biathlon.MeanFraction)} on average).");
                }
            }
        }

        findings.AddRange(ScalingSlowdowns(results));
        compared += results.Scaling.Count(p => p.Method == ReportMethods.Biathlon);

        if (compared == 0)
        {
            md.AppendLine("No pipeline has measured latencies for both biathlon and exact or duckdb, so there is nothing to compare.");
        }
        else if (findings.Count == 0)
        {
            md.AppendLine("On every pipeline with measurements, biathlon's mean and p99 latencies are below exact's and " +
                          "duckdb's, and so are its means at every setting of the cost sweep.");
        }
        else
        {
            foreach (var finding in findings)
            {
                md.Append("- ").AppendLine(finding);
            }
        }

        md.AppendLine();
    }

    // Per window setting of the cost sweep: where biathlon's mean is above exact's or duckdb's.
    private static IEnumerable<string> ScalingSlowdowns(RunResults results)
    {
        foreach (var pipeline in ReportMethods.PipelineOrder(results))
        {
            var points = results.Scaling.Where(p => p.Pipeline == pipeline).ToList();
            foreach (var baselineName in new[] { ReportMethods.Exact, ReportMethods.DuckDb })
            {
                var slower = points.Where(p => p.Method == ReportMethods.Biathlon)
                    .Select(b => (Biathlon: b, Baseline: points.FirstOrDefault(p => p.Method == baselineName && p.Setting == b.Setting)))
                    .Where(pair => pair.Baseline is not null && pair.Biathlon.MeanMs > pair.Baseline.MeanMs)
                    .OrderBy(pair => pair.Biathlon.RowsPerRequest)
                    .Select(pair => $"{pair.Biathlon.Setting} ({Rows(pair.Biathlon.RowsPerRequest)} rows per request: " +
                                    $"{Ms(pair.Biathlon.MeanMs)} ms vs {Ms(pair.Baseline!.MeanMs)} ms)")
                    .ToList();
                if (slower.Count > 0)
                {
                    yield return $"**{Escape(pipeline)}**, cost against rows per request: biathlon is slower than {baselineName} " +
                                 $"at {string.Join(", ", slower)}.";
                }
            }
        }
    }

    private static string SlowerFinding(string pipeline, MethodSummary biathlon, MethodSummary baseline)
    {
        var stages = Stages(biathlon);
        var dominant = stages.MaxBy(s => s.Share);
        var rest = string.Join(", ", stages.Where(s => s.Name != dominant.Name).Select(s => $"{s.Name} {Percent(s.Share)}"));
        var baselineStages = Stages(baseline);
        var differences = string.Join(", ", stages.Zip(baselineStages, (b, e) =>
            $"{b.Name} {Ms(b.Share * biathlon.MeanMs)} ms vs {Ms(e.Share * baseline.MeanMs)} ms"));
        var ratio = baseline.MeanMs > 0 ? $" ({Num2(biathlon.MeanMs / baseline.MeanMs)}× as long)" : "";
        return $"**{Escape(pipeline)}**: biathlon is slower than {baseline.Method}: mean {Ms(biathlon.MeanMs)} ms vs " +
               $"{Ms(baseline.MeanMs)} ms{ratio}. {Capitalize(dominant.Name)} is {Percent(dominant.Share)} of biathlon's " +
               $"time ({rest}); per request, biathlon vs {baseline.Method}: {differences}. Biathlon read a mean sample " +
               $"fraction of {Percent(biathlon.MeanFraction)} over {Num2(biathlon.MeanRounds)} rounds.";
    }

    private static (string Name, double Share)[] Stages(MethodSummary m) =>
    [
        ("sampling", m.SamplingShare),
        ("propagation + model", m.PropagationShare),
        ("planning", m.PlanningShare),
        ("other", m.OtherShare),
    ];

    private static void AgreementAgainstTau(StringBuilder md, RunResults results)
    {
        md.AppendLine("## Agreement with exact against τ").AppendLine();
        var lines = new List<string>();
        foreach (var spec in results.Pipelines)
        {
            if (ReportMethods.Find(results, spec.Name, ReportMethods.Biathlon) is not { } biathlon)
            {
                continue;
            }

            var agreement = $"biathlon agrees with exact on {AgreementPercent(biathlon.AgreementWithExact, spec.Tau)} of requests";
            lines.Add(biathlon.AgreementWithExact < spec.Tau
                ? $"**{Escape(spec.Name)}: {agreement}, below τ = {Num(spec.Tau)}.**"
                : double.IsNaN(biathlon.AgreementWithExact)
                    ? $"{Escape(spec.Name)}: biathlon's agreement with exact is undefined (no comparable requests)."
                    : $"{Escape(spec.Name)}: {agreement} (τ = {Num(spec.Tau)}).");
        }

        if (lines.Count == 0)
        {
            md.AppendLine("No pipeline has a biathlon measurement.");
        }

        foreach (var line in lines)
        {
            md.Append("- ").AppendLine(line);
        }

        md.AppendLine();
    }

    private static void TauSweepTable(StringBuilder md, RunResults results)
    {
        if (results.TauSweep.Count == 0)
        {
            return;
        }

        md.AppendLine("## τ sweep").AppendLine();
        Row(md, "Pipeline", "τ", "Mean ms", "Speedup", "Agreement with exact", "Mean fraction", "Mean rounds");
        Rule(md, "lrrrrrr");
        foreach (var t in results.TauSweep.OrderBy(t => t.Pipeline, StringComparer.Ordinal).ThenBy(t => t.Tau))
        {
            var shown = AgreementPercent(t.AgreementWithExact, t.Tau);
            var agreement = t.AgreementWithExact < t.Tau ? $"**{shown} (below τ)**" : shown;
            Row(md, t.Pipeline, Num(t.Tau), Ms(t.MeanMs), Speedup(t.Speedup), agreement, Percent(t.MeanFraction), Num2(t.MeanRounds));
        }

        md.AppendLine();
    }

    private static void ScalingTable(StringBuilder md, RunResults results)
    {
        if (results.Scaling.Count == 0)
        {
            return;
        }

        md.AppendLine("## Cost against rows per request").AppendLine();
        var methods = results.Scaling.Select(s => s.Method).Distinct(StringComparer.Ordinal)
            .OrderBy(ReportMethods.Rank).ToList();
        Row(md, ["Pipeline", "Setting", "Rows per request", .. methods.Select(m => m + " ms")]);
        Rule(md, "llr" + new string('r', methods.Count));
        var settings = results.Scaling
            .GroupBy(s => (s.Pipeline, s.Setting))
            .OrderBy(g => ReportMethods.PipelineOrder(results).IndexOf(g.Key.Pipeline))
            .ThenBy(g => g.Max(s => s.RowsPerRequest));
        foreach (var group in settings)
        {
            // Rows per request is the exact computation's, the same for every method; take exact's when present.
            var rows = (group.FirstOrDefault(s => s.Method == ReportMethods.Exact) ?? group.First()).RowsPerRequest;
            Row(md, [group.Key.Pipeline, group.Key.Setting, Rows(rows),
                .. methods.Select(m => group.FirstOrDefault(s => s.Method == m) is { } point ? Ms(point.MeanMs) : Missing)]);
        }

        md.AppendLine();
    }

    private static void PlotSection(StringBuilder md, string runFolder, IReadOnlyList<string> plotFiles)
    {
        md.AppendLine("## Plots").AppendLine();
        if (plotFiles.Count == 0)
        {
            md.AppendLine("No plots were written.").AppendLine();
            return;
        }

        foreach (var file in plotFiles)
        {
            var relative = Path.GetRelativePath(runFolder, file).Replace('\\', '/');
            var target = relative.Contains(' ', StringComparison.Ordinal) ? $"<{relative}>" : relative;
            var caption = Plots.Caption(file).Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);
            md.Append("![").Append(caption).Append("](").Append(target).AppendLine(")").AppendLine();
        }
    }

    private static void Row(StringBuilder md, params string[] cells)
    {
        md.Append('|');
        foreach (var cell in cells)
        {
            md.Append(' ').Append(Escape(cell)).Append(" |");
        }

        md.AppendLine();
    }

    // One letter per column: 'l' for text (left-aligned), 'r' for numbers (right-aligned, so digits line up).
    private static void Rule(StringBuilder md, string alignments)
    {
        md.Append('|');
        foreach (var alignment in alignments)
        {
            md.Append(alignment == 'r' ? " ---: |" : " --- |");
        }

        md.AppendLine();
    }

    private static string Escape(string text) =>
        text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Code(string text)
    {
        var fence = text.Contains('`', StringComparison.Ordinal) ? "`` " : "`";
        var close = fence.Length > 1 ? " ``" : "`";
        return fence + text.Replace("\n", " ", StringComparison.Ordinal) + close;
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static string Ms(double ms) => !double.IsFinite(ms) ? Missing
        : Math.Abs(ms) < 1 ? ms.ToString("0.000", CultureInfo.InvariantCulture)
        : Math.Abs(ms) < 100 ? ms.ToString("0.00", CultureInfo.InvariantCulture)
        : ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Speedup(double speedup) =>
        double.IsFinite(speedup) ? speedup.ToString("0.00", CultureInfo.InvariantCulture) + "×" : Missing;

    private static string Percent(double share) =>
        double.IsFinite(share) ? (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : Missing;

    // Near τ, one decimal of a percentage can make an agreement below τ print as equal to it; show more digits there.
    private static string AgreementPercent(double agreement, double tau) =>
        double.IsFinite(agreement) && Math.Abs(agreement - tau) < 0.0005
            ? (agreement * 100).ToString("0.0##", CultureInfo.InvariantCulture) + "%"
            : Percent(agreement);

    private static string Num(double value) => double.IsFinite(value) ? value.ToString("0.###", CultureInfo.InvariantCulture) : Missing;

    private static string Num2(double value) => double.IsFinite(value) ? value.ToString("0.00", CultureInfo.InvariantCulture) : Missing;

    private static string Num3(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : Missing;

    private static string Int(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Rows(double rows) => double.IsFinite(rows) ? rows.ToString("N0", CultureInfo.InvariantCulture) : Missing;
}
