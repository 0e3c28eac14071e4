using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Biathlon.Experiments.Load;

/// <summary>Writes a load test's loadtest.csv (one row per cell), loadtest.json (everything) and loadtest.md (the report).</summary>
public static class LoadTestReport
{
    public const string CsvFile = "loadtest.csv";
    public const string JsonFile = "loadtest.json";
    public const string MarkdownFile = "loadtest.md";

    /// <summary>The CSV header, in column order.</summary>
    public const string CsvHeader =
        "pipeline,mode,audit,clients,audited,window_s,requests,errors,errors_by_status,throughput_rps,scaling_vs_1_client," +
        "mean_ms,sd_ms,p50_ms,p99_ms,p999_ms,max_ms,engine_p50_ms,overhead_p50_ms,overhead_p99_ms,audit_delta_p50_ms,other_cpu_share";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        // Backticks and other Markdown in the descriptions stay readable; the file is data, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Writes the three files into <paramref name="folder"/> (created if needed) and returns their paths.</summary>
    public static IReadOnlyList<string> Write(LoadTestResults results, string folder)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(folder);
        var csv = Path.Combine(folder, CsvFile);
        var json = Path.Combine(folder, JsonFile);
        var markdown = Path.Combine(folder, MarkdownFile);
        File.WriteAllText(csv, Csv(results.Cells));
        File.WriteAllText(json, JsonSerializer.Serialize(results, s_json) + "\n");
        File.WriteAllText(markdown, Markdown(results));
        return [csv, json, markdown];
    }

    /// <summary>Reads loadtest.json back.</summary>
    public static LoadTestResults Load(string file)
    {
        using var stream = File.OpenRead(file);
        return JsonSerializer.Deserialize<LoadTestResults>(stream, s_json) ?? throw new CliException($"{file} holds JSON null.");
    }

    /// <summary>The CSV text: the header, then one line per cell.</summary>
    public static string Csv(IReadOnlyList<LoadCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var text = new StringBuilder().Append(CsvHeader).Append('\n');
        foreach (var c in cells)
        {
            text.AppendJoin(',',
                c.Pipeline, c.Mode, c.Audit, I(c.Clients), c.Audited ? "1" : "0", F(c.WindowSeconds), I(c.Requests), I(c.Errors),
                Quote(string.Join(';', c.ErrorsByStatus.Select(e => $"{e.Key}:{e.Value}"))), F(c.Throughput), F(c.ScalingVsOneClient),
                F(c.MeanMs), F(c.StdDevMs), F(c.P50Ms), F(c.P99Ms), F(c.P999Ms), F(c.MaxMs), F(c.EngineP50Ms), F(c.OverheadP50Ms),
                F(c.OverheadP99Ms), F(c.AuditDeltaP50Ms), F(c.OtherCpuShare)).Append('\n');
        }

        return text.ToString();

        static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        static string F(double? v) => v is { } d && double.IsFinite(d) ? Math.Round(d, 6).ToString("R", CultureInfo.InvariantCulture) : "";
        static string Quote(string s) => s.Length == 0 ? "" : $"\"{s}\"";
    }

    /// <summary>The Markdown report.</summary>
    public static string Markdown(LoadTestResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine("# Load test of the scoring server").AppendLine();
        md.Append("- **Started:** ").AppendLine(r.StartedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" +
            $" ({(r.FinishedUtc - r.StartedUtc).TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min)");
        md.Append("- **Machine:** ").AppendLine(r.Machine);
        md.Append("- **CPU:** ").Append(r.CpuModel).Append(", ").Append(r.Cores.ToString(CultureInfo.InvariantCulture)).AppendLine(" cores");
        md.Append("- **.NET:** ").AppendLine(r.DotNet);
        md.Append("- **Command:** `").Append(r.Command).AppendLine("`");
        md.Append("- **Server:** ").AppendLine(r.Server);
        md.Append("- **Load average** (1, 5, 15 min) before the first cell: ").Append(r.LoadBefore).Append("; after the last: ").AppendLine(r.LoadAfter);
        var other = r.Cells.Select(c => c.OtherCpuShare).Where(double.IsFinite).ToArray();
        if (other.Length > 0)
        {
            var worst = r.Cells.Where(c => double.IsFinite(c.OtherCpuShare)).MaxBy(c => c.OtherCpuShare)!;
            md.Append("- **Other processes' CPU** during the cells (share of all cores' time, less the load test's own processes): mean ")
                .Append(other.Average().ToString("P1", CultureInfo.InvariantCulture)).Append(", most ").Append(worst.OtherCpuShare.ToString("P1", CultureInfo.InvariantCulture))
                .Append(" (").Append(worst.Pipeline).Append(' ').Append(worst.Mode).Append(", audit ").Append(worst.Audit).Append(", ")
                .Append(worst.Clients.ToString(CultureInfo.InvariantCulture)).AppendLine(worst.Clients == 1 ? " client)" : " clients)");
        }

        md.Append("- **Per cell:** ").Append(Seconds(r.WarmupSeconds)).Append(" warm-up, then ").Append(Seconds(r.WindowSeconds)).AppendLine(" measured");
        foreach (var set in r.RequestSets)
        {
            md.Append("- **").Append(set.Pipeline).Append(" requests:** ").Append(set.Requests.ToString("N0", CultureInfo.InvariantCulture)).Append(", ").AppendLine(set.Description);
        }

        md.AppendLine();
        md.AppendLine("Each cell runs closed-loop clients: a client sends a request, waits for the whole answer and sends the next, " +
                      "through one `HttpClient` (`SocketsHttpHandler`, a kept-alive HTTP/1.1 connection per client). The clients take " +
                      "the request set in turn from one shared counter. Requests sent during the warm-up, or answered after the " +
                      "measured window, are not counted. Throughput counts the 200 answers in the window. Latency is the HTTP round " +
                      "trip (a `Stopwatch` around sending and reading the whole body), over the 200 answers: mean and standard " +
                      "deviation exact, percentiles from an HdrHistogram (1 µs resolution, 3 significant digits). Engine is the " +
                      "answer's own `timings.totalMs`. Overhead is, per request, the round trip minus the engine time: HTTP and " +
                      "Kestrel, reading and checking the body, waiting for an admission slot, the response's JSON, and the " +
                      "client's own share. The server runs at most as many predictions at once as it has cores " +
                      "(`Biathlon:Limits:MaxConcurrency`, default the processor count); more clients wait in its queue, and that " +
                      "wait is overhead too.");
        md.AppendLine();
        if (r.Cores <= 4)
        {
            md.Append("> **The clients and the server share this machine's ").Append(r.Cores.ToString(CultureInfo.InvariantCulture))
                .AppendLine(" cores.** The load generator's own work (sending, reading, timing) takes CPU from the server, so throughput " +
                            "cannot scale with the client count as it would with the clients on another machine, latencies at many " +
                            "clients include time queued for a core, and the overhead includes the client's share. Read the figures " +
                            "as a floor on what the server does on a machine of its own.");
            md.AppendLine();
        }

        Goals(md, r.Goals);
        Cells(md, r);
        S1(md, r.S1Checks);
        Findings(md, r);
        return md.ToString();
    }

    private static void Goals(StringBuilder md, IReadOnlyList<LoadGoal> goals)
    {
        md.AppendLine("## Goals").AppendLine();
        md.AppendLine("Reported against the figures below, not asserted.").AppendLine();
        md.AppendLine("| Goal | Judged on | Measured | Verdict |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var g in goals)
        {
            md.Append("| ").Append(g.Goal).Append(" | ").Append(g.Scope).Append(" | ").Append(g.Measured.Replace("|", "\\|", StringComparison.Ordinal))
                .Append(" | ").Append(g.Verdict == LoadGoals.Met ? "**met**" : g.Verdict == LoadGoals.NotMet ? "**not met**" : g.Verdict).AppendLine(" |");
        }

        md.AppendLine();
    }

    private static void Cells(StringBuilder md, LoadTestResults r)
    {
        var cells = r.Cells;
        md.AppendLine("## Results").AppendLine();
        md.AppendLine("Latencies in milliseconds. ×1 client: throughput over the same pipeline, mode and audit setting's at one client. " +
                      "Audit Δp50: p50 with audit on minus p50 with audit off at the same client count. Audited: every answer carried " +
                      "`X-Audit-Sequence`. Other CPU: processes other than the load test's took this share of all cores' time during the cell " +
                      "(warm-up included): above a few percent, the machine was not quiet." +
                      (r.ExternalServer ? " The server was not started by the load test (`--server`): its own CPU counts as other when it runs on this machine." : "")).AppendLine();
        foreach (var group in cells.GroupBy(c => (c.Pipeline, c.Mode)))
        {
            md.Append("### ").Append(group.Key.Pipeline).Append(", ").AppendLine(group.Key.Mode).AppendLine();
            md.AppendLine("| Audit | Audited | Clients | Requests | Throughput req/s | ×1 client | Mean | SD | p50 | p99 | p99.9 | Max | Engine p50 | Overhead p50 | Overhead p99 | Audit Δp50 | Errors | Other CPU |");
            md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
            foreach (var c in group.OrderBy(c => c.Audit, StringComparer.Ordinal).ThenBy(c => c.Clients))
            {
                md.Append("| ").AppendJoin(" | ",
                    c.Audit, c.Audited ? "yes" : "no", c.Clients.ToString(CultureInfo.InvariantCulture), c.Requests.ToString("N0", CultureInfo.InvariantCulture),
                    c.Throughput.ToString("N1", CultureInfo.InvariantCulture), c.ScalingVsOneClient is { } s ? LoadGoals.Ratio(s) : "–",
                    N(c.MeanMs), N(c.StdDevMs), N(c.P50Ms), N(c.P99Ms), N(c.P999Ms), N(c.MaxMs), N(c.EngineP50Ms), N(c.OverheadP50Ms), N(c.OverheadP99Ms),
                    c.AuditDeltaP50Ms is { } d ? (d >= 0 ? "+" : "") + N(d) : "–", c.ErrorSummary(),
                    double.IsFinite(c.OtherCpuShare) ? c.OtherCpuShare.ToString("P0", CultureInfo.InvariantCulture) : "–").AppendLine(" |");
            }

            md.AppendLine();
        }
    }

    private static void S1(StringBuilder md, IReadOnlyList<S1Check> checks)
    {
        md.AppendLine("## S1 stability under load").AppendLine();
        if (checks.Count == 0)
        {
            md.AppendLine("Not measured: it needs two client counts and answers to the probe request in both.").AppendLine();
            return;
        }

        md.AppendLine("One fixed request (the first of the set) is answered many times in every cell. Every answer to it at the most " +
                      "clients is compared, value and each query's `s1`, with the first answer at the fewest clients; so is every " +
                      "other answer at the fewest clients (\"same at fewest\": without concurrency, over time). The engine is meant to " +
                      "be deterministic per request. Plans: how many different final plans (each query's fraction and exact reason, " +
                      "the rounds) the answers came from; \"same plan, same answer\" says whether answers from one plan are " +
                      "identical, which separates a different path (decided from measured costs) from nondeterminism.").AppendLine();
        md.AppendLine("| Pipeline | Mode | Audit | Answers (fewest / most clients) | Identical at most clients | Max \\|Δ value\\| | Max \\|Δ s1\\| | Same at fewest | Plans | Same plan, same answer | Depends on measured costs | Stop reasons |");
        md.AppendLine("| --- | --- | --- | --- | --- | ---: | ---: | --- | ---: | --- | ---: | --- |");
        foreach (var c in checks)
        {
            md.Append("| ").AppendJoin(" | ",
                c.Pipeline, c.Mode, c.Audit, $"{c.LowAnswers} at {c.LowClients} / {c.HighAnswers} at {c.HighClients}",
                c.LowAnswers == 0 || c.HighAnswers == 0 ? "not measured (no answers)" : c.Identical ? "yes" : "**no**", G(c.MaxAbsValueDiff), G(c.MaxAbsS1Diff),
                c.LowAnswers == 0 ? "–" : c.LowSelfIdentical ? "yes" : $"no (value {G(c.LowMaxAbsValueDiff)}, s1 {G(c.LowMaxAbsS1Diff)})",
                c.DistinctPlans.ToString(CultureInfo.InvariantCulture), c.SamePlanSameAnswer ? "yes" : "**no**",
                double.IsFinite(c.DependsOnMeasuredCostsShare) ? c.DependsOnMeasuredCostsShare.ToString("P0", CultureInfo.InvariantCulture) : "–", c.StopReasons).AppendLine(" |");
        }

        md.AppendLine();
        var varied = checks.Where(c => c.DistinctPlans > 1).ToArray();
        foreach (var c in varied)
        {
            md.Append("Plans of ").Append(c.Pipeline).Append(' ').Append(c.Mode).Append(", audit ").Append(c.Audit).AppendLine(":").AppendLine();
            foreach (var plan in c.Plans)
            {
                md.Append("- ").AppendLine(plan);
            }

            md.AppendLine();
        }
    }

    private static void Findings(StringBuilder md, LoadTestResults r)
    {
        var notes = new List<string>();
        var errors = r.Cells.Where(c => c.Errors > 0).ToArray();
        if (errors.Length > 0)
        {
            notes.Add("Errors: " + string.Join("; ", errors.Select(c => $"{c.Pipeline} {c.Mode} audit {c.Audit} at {c.Clients} clients: {c.ErrorSummary()}")) + ".");
        }

        var single = r.Cells.Where(c => c.Clients == 1 && c.Audit != "on" && double.IsFinite(c.EngineP50Ms) && double.IsFinite(c.OverheadP50Ms))
            .OrderBy(c => c.EngineP50Ms).ToArray();
        if (single.Length >= 2)
        {
            notes.Add("At one client, overhead p50 against engine p50: " +
                      string.Join("; ", single.Select(c => $"{c.Pipeline} {c.Mode} (audit {c.Audit}): engine {N(c.EngineP50Ms)} ms, overhead {N(c.OverheadP50Ms)} ms")) + ".");
        }

        var disturbed = r.Cells.Where(c => c.OtherCpuShare > 0.05).ToArray();
        if (disturbed.Length > 0)
        {
            notes.Add($"Other processes took more than 5% of the machine in {disturbed.Length} of {r.Cells.Count} cells (" +
                      string.Join("; ", disturbed.Select(c => $"{c.Pipeline} {c.Mode} audit {c.Audit} at {c.Clients}: {c.OtherCpuShare.ToString("P0", CultureInfo.InvariantCulture)}")) +
                      "): their figures were taken on a busy machine.");
        }

        if (r.Cells.Any(c => c.Audit == "on" && !c.Audited))
        {
            notes.Add("The cells with audit on were not audited: the server was started with `--Biathlon:Audit:Path=FILE` but its answers carry " +
                      "no `X-Audit-Sequence`, so this server build has no audit log yet (or ignores that setting). Their audit Δp50 is run-to-run noise.");
        }

        var unstable = r.S1Checks.Where(c => c.LowAnswers > 0 && c.HighAnswers > 0 && (!c.Identical || !c.LowSelfIdentical)).ToArray();
        if (unstable.Length > 0)
        {
            notes.Add("The probe request's answers differ: " + string.Join("; ", unstable.Select(c =>
                $"{c.Pipeline} {c.Mode} audit {c.Audit} (at {c.HighClients} clients max |Δ value| {G(c.MaxAbsValueDiff)}, max |Δ s1| {G(c.MaxAbsS1Diff)}; " +
                $"at {c.LowClients} alone {(c.LowSelfIdentical ? "same" : "different")}; {c.DistinctPlans} plans; " +
                $"{c.DependsOnMeasuredCostsShare.ToString("P0", CultureInfo.InvariantCulture)} of its answers depended on measured costs)")) + ".");
            if (unstable.All(c => c.SamePlanSameAnswer))
            {
                notes.Add("Answers that came from the same final plan are identical: the differences come from different plans. The " +
                          "engine decides which queries to read exactly, and how far to sample, partly from the query costs it " +
                          "measures as it serves (`dependsOnMeasuredCosts`), and those change with how busy the machine is; so the same " +
                          "request gets another answer (each one stopped as the engine's bound rule allowed; see the stop reasons) " +
                          "and other `s1` under load. Deterministic per request holds given the plan, not across load.");
            }
        }

        var nondeterministic = r.S1Checks.Where(c => !c.SamePlanSameAnswer).ToArray();
        if (nondeterministic.Length > 0)
        {
            notes.Add("Answers from the same final plan differ (" + string.Join("; ", nondeterministic.Select(c => $"{c.Pipeline} {c.Mode} audit {c.Audit}")) +
                      "): the engine is not deterministic given its plan.");
        }

        var unmeasured = r.S1Checks.Where(c => c.LowAnswers == 0 || c.HighAnswers == 0).ToArray();
        if (unmeasured.Length > 0)
        {
            notes.Add("S1 stability not measured for " + string.Join("; ", unmeasured.Select(c => $"{c.Pipeline} {c.Mode} audit {c.Audit}")) +
                      ": the probe request was not answered within a measured window (a longer --duration or a smaller --requests sends it more often).");
        }

        if (notes.Count == 0)
        {
            return;
        }

        md.AppendLine("## Findings").AppendLine();
        foreach (var n in notes)
        {
            md.Append("- ").AppendLine(n);
        }

        md.AppendLine();
    }

    private static string N(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    private static string G(double v) => v == 0 ? "0" : double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "∞ (NaN or shape)";

    private static string Seconds(double s) => s.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
