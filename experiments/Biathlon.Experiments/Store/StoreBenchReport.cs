using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Biathlon.Experiments.Store;

/// <summary>redis-store.json and redis-store.md of a <c>store-bench</c> run, and the goals judged on its cells.</summary>
public static class StoreBenchReport
{
    /// <summary>The issue's goal: with the store remote, biathlon at least this many times faster than exact and this many times fewer bytes.</summary>
    public const double GoalRatio = 10;

    /// <summary>The pipeline the goal is about.</summary>
    public const string GoalPipeline = "flight-delay";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Writes both files to <paramref name="folder"/>; their paths.</summary>
    public static IReadOnlyList<string> Write(StoreBenchResults results, string folder)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, StoreBenchCommand.JsonFile);
        File.WriteAllText(json, JsonSerializer.Serialize(results, s_json) + "\n");
        var markdown = Path.Combine(folder, StoreBenchCommand.MarkdownFile);
        File.WriteAllText(markdown, Markdown(results));
        return [markdown, json];
    }

    public static StoreBenchResults Load(string file)
    {
        using var stream = File.OpenRead(file);
        return JsonSerializer.Deserialize<StoreBenchResults>(stream, s_json) ?? throw new CliException($"{file} holds JSON null.");
    }

    /// <summary>
    /// The goal, judged on flight-delay with the store remote: the hot-segment cache off (every segment a request needs
    /// crosses the network), one client (latency, not queueing on the cores), each topology. Reported, never asserted.
    /// </summary>
    public static IReadOnlyList<StoreBenchGoal> Goals(IReadOnlyList<StoreBenchCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var goals = new List<StoreBenchGoal>();
        foreach (var topology in new[] { "single", "cluster" })
        {
            var cell = cells.FirstOrDefault(c => c.Pipeline == GoalPipeline && c.Store == "redis" && c.Topology == topology && c.Cache == "off" && c.Clients == 1);
            var scope = $"{GoalPipeline}, redis {topology}, cache off, 1 client";
            if (cell is null)
            {
                goals.Add(new StoreBenchGoal($"biathlon ≥ {GoalRatio:0}× faster than exact (p50 latency, on the same requests)", scope, "-", "not measured"));
                goals.Add(new StoreBenchGoal($"biathlon fetches ≥ {GoalRatio:0}× fewer bytes than exact (mean per request, on the same requests)", scope, "-", "not measured"));
                continue;
            }

            var x = cell.Ratios;
            goals.Add(new StoreBenchGoal($"biathlon ≥ {GoalRatio:0}× faster than exact (p50 latency, on the same requests)", scope,
                Invariant($"×{x.PairedP50Latency:F1} on the {x.PairedRequests} requests both answered (mean ×{x.PairedMeanLatency:F1}); all answers: exact p50 {cell.Exact.P50Ms:F1} ms, biathlon {cell.Biathlon.P50Ms:F1} ms, ×{x.P50Latency:F1} (p99 ×{x.P99Latency:F1})"),
                x.PairedP50Latency >= GoalRatio ? "met" : "not met"));
            goals.Add(new StoreBenchGoal($"biathlon fetches ≥ {GoalRatio:0}× fewer bytes than exact (mean per request, on the same requests)", scope,
                Invariant($"×{x.PairedBytesMean:F1} on the {x.PairedRequests} requests both answered; all answers: exact {Bytes(cell.Exact.BytesMean)}, biathlon {Bytes(cell.Biathlon.BytesMean)}, ×{x.BytesMean:F1}"),
                x.PairedBytesMean >= GoalRatio ? "met" : "not met"));
        }

        return goals;
    }

    public static string Markdown(StoreBenchResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Exact vs biathlon with the table in Redis{(r.DryRun ? " (dry run: tiny counts, figures mean nothing)" : "")}");
        md.AppendLine();
        md.AppendLine("Written by `store-bench` (experiments/Biathlon.Experiments/Store). The engine is called in process, as an embedder");
        md.AppendLine("calls it (no HTTP): `PredictExactAsync(request)` (exact) and `PredictAsync(request)` with the pipeline's own bound");
        md.AppendLine("(biathlon, default options, exact shortcut on). With `\"store\": \"redis\"` every round fetches the segments of the");
        md.AppendLine("new partitions that overlap each query's window, all queries' GETs in one pipelined batch.");
        md.AppendLine();
        md.AppendLine("## Goals");
        md.AppendLine();
        md.AppendLine("Judged with the store remote: the hot-segment cache **off** (`CacheBytes = 0`), so every segment a request needs");
        md.AppendLine("crosses the network, at one client (latency without queueing for the cores), on the requests both modes answered");
        md.AppendLine("(paired: exact gets through far fewer of the request list than biathlon). The cache-on cells are context:");
        md.AppendLine("requests for the same groups within the cache TTL are served from the server's memory.");
        md.AppendLine();
        md.AppendLine("| goal | scope | measured | verdict |");
        md.AppendLine("|---|---|---|---|");
        foreach (var g in r.Goals)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {g.Goal} | {g.Scope} | {g.Measured} | **{g.Verdict}** |");
        }

        md.AppendLine();
        md.AppendLine("## Setup");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{r.Command}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {r.Machine}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Build: {r.Build}; Redis: {r.RedisVersion} (Debian package, started by the command on 127.0.0.1, no persistence; cluster: 3 masters, no replicas, `redis-cli --cluster create`)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- `uptime` before: {r.UptimeBefore}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- `uptime` after: {r.UptimeAfter}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Ran {r.StartedUtc:yyyy-MM-dd HH:mm:ss} to {r.FinishedUtc:HH:mm:ss} UTC ({(r.FinishedUtc - r.StartedUtc).TotalMinutes:F1} min)");
        var s = r.Settings;
        md.AppendLine(Invariant(
            $"- Each cell: a warm-up of {s.WarmupSeconds:0.###} s per mode (each client at least one request, not recorded), then {s.Slices} slices of ") +
            Invariant($"{s.SliceSeconds:0.###} s per mode, exact and biathlon alternating (the first mode swaps each slice). A slice ends when its last answer ") +
            "is in; throughput = answers ÷ the slices' wall time. Closed loop: each client sends, awaits the answer, sends the next; client c " +
            "walks the request list from c·n/C on, one position per mode, so both modes see the same requests in the same order.");
        md.AppendLine(Invariant(
            $"- Store options: segments of {s.SegmentRows} rows, hot-segment cache {Bytes(s.CacheBytes)} with a {s.CacheTtlSeconds:0.###} s TTL ") +
            Invariant($"(cache-on cells) or 0 (cache-off cells), operation timeout {s.OperationTimeoutSeconds:0} s, the local index keeps row times (default)."));
        md.AppendLine("- Bytes: the segment values fetched from Redis by a request (`PredictionResult.Store.Bytes`); cache hits fetch nothing.");
        md.AppendLine("- Within δ: share of biathlon answers within δ of the exact answer to the same request (classification: the same label).");
        md.AppendLine();
        foreach (var p in r.Pipelines)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {p.Name}");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Requests: {p.Description}.");
            md.AppendLine();
            if (p.Uploads.Count > 0)
            {
                md.AppendLine("| topology | upload (s) | keys | Redis used_memory | used_memory_dataset | loader |");
                md.AppendLine("|---|---:|---:|---:|---:|---|");
                foreach (var u in p.Uploads)
                {
                    md.AppendLine(Invariant($"| {u.Topology} | {u.Seconds:F1} | {u.Keys:N0} | {Bytes(u.UsedMemoryBytes)} | {Bytes(u.DatasetBytes)} | {string.Join("; ", u.Log)} |"));
                }

                md.AppendLine();
            }

            if (p.Engines.Count > 0)
            {
                md.AppendLine("What loading each engine added to the process, in load order: the managed heap after a full collection and the");
                md.AppendLine("working set (memory-mapped table files included), after the load minus before it; and the heap still held after");
                md.AppendLine("serving, disposing the engine and a full collection. A Redis engine holds its layouts' local indexes (with row");
                md.AppendLine("times: 8 bytes a row per layout) and, with the cache on, fills the cache while serving. Memory an engine leaves");
                md.AppendLine("behind (last column) is in the next engine's \"before\", so only the first Redis engine's");
                md.AppendLine("figure stands alone.");
                md.AppendLine();
                md.AppendLine("| engine | managed heap | working set | heap still held after dispose |");
                md.AppendLine("|---|---:|---:|---:|");
                foreach (var e in p.Engines)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {e.Engine} | {Bytes(e.HeapBytes)} | {Bytes(e.WorkingSetBytes)} | {Bytes(e.RetainedHeapBytes)} |");
                }

                md.AppendLine();
            }

            var cells = r.Cells.Where(c => c.Pipeline == p.Name).ToArray();
            md.AppendLine("Ratios, exact ÷ biathlon (throughput: biathlon ÷ exact). All answers: every answer of each mode. In a closed loop");
            md.AppendLine("biathlon gets through far more of the request list than exact, so the paired columns compare the modes on the same");
            md.AppendLine("requests: those both answered in the cell, each request's figures averaged over its answers first.");
            md.AppendLine();
            md.AppendLine("| cell | p50 | p95 | p99 | mean | throughput | bytes mean | bytes p50 | paired requests | paired p50 | paired mean | paired bytes |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in cells)
            {
                var x = c.Ratios;
                md.AppendLine(Invariant($"| {c.Label} | ×{x.P50Latency:F1} | ×{x.P95Latency:F1} | ×{x.P99Latency:F1} | ×{x.MeanLatency:F1} | ×{x.Throughput:F1} | {Times(x.BytesMean)} | {Times(x.BytesP50)} | {x.PairedRequests} | {Times(x.PairedP50Latency)} | {Times(x.PairedMeanLatency)} | {Times(x.PairedBytesMean)} |"));
            }

            md.AppendLine();
            md.AppendLine("Per mode:");
            md.AppendLine();
            md.AppendLine("| cell | mode | answers | errors | req/s | p50 ms | p95 ms | p99 ms | mean ms | max ms | bytes mean | bytes p50 | values | cache hits | fetch ms | rounds | shortcut | within δ |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in cells)
            {
                foreach (var (mode, m) in new[] { ("exact", c.Exact), ("biathlon", c.Biathlon) })
                {
                    md.AppendLine(Invariant(
                        $"| {c.Label} | {mode} | {m.Requests} | {m.Errors} | {m.ThroughputRps:F1} | {m.P50Ms:F2} | {m.P95Ms:F2} | {m.P99Ms:F2} | {m.MeanMs:F2} | {m.MaxMs:F2} | ") +
                        Invariant($"{Bytes(m.BytesMean)} | {Bytes(m.BytesP50)} | {m.ValuesMean:F1} | {m.CacheHitsMean:F1} | {m.FetchMsMean:F2} | {m.RoundsMean:F2} | {m.ExactShortcutShare:P0} | {(mode == "exact" ? "-" : m.WithinDeltaShare.ToString("P1", CultureInfo.InvariantCulture))} |"));
                }
            }

            md.AppendLine();
            var detail = cells.FirstOrDefault(c => c.Store == "redis" && c.Cache == "off" && c.Clients == 1) ?? cells.FirstOrDefault();
            if (detail is not null && detail.Biathlon.Queries.Count > 0)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"Where biathlon's rows go ({detail.Label}): per feature query, the mean final fraction, how often it was read");
                md.AppendLine("completely and why, the rows read inside its windows and the rows in its windows over all partitions (what exact reads).");
                md.AppendLine("A round fetches whole segments: every segment of a read partition that overlaps the window, so a short window in a");
                md.AppendLine("group whose segments each span months fetches far more rows than it reads.");
                md.AppendLine();
                md.AppendLine("| query | fraction | read completely | rows read | rows in window |");
                md.AppendLine("|---|---:|---|---:|---:|");
                foreach (var q in detail.Biathlon.Queries)
                {
                    md.AppendLine(Invariant($"| {q.Name} | {q.MeanFraction:P1} | {q.ExactShare:P0}{(q.ExactReasons.Length > 0 ? " (" + q.ExactReasons + ")" : "")} | {q.RowsScannedMean:N0} | {q.EstimatedRowsMean:N0} |"));
                }

                md.AppendLine();
            }

            var errors = cells.SelectMany(c => c.Exact.ErrorMessages.Concat(c.Biathlon.ErrorMessages)).Distinct(StringComparer.Ordinal).ToArray();
            if (errors.Length > 0)
            {
                md.AppendLine("Errors:");
                md.AppendLine();
                foreach (var e in errors)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"- {e}");
                }

                md.AppendLine();
            }
        }

        return md.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Times(double ratio) => double.IsNaN(ratio) ? "-" : double.IsPositiveInfinity(ratio) ? "∞" : Invariant($"×{ratio:F1}");

    /// <summary>Bytes in B, KiB or MiB.</summary>
    public static string Bytes(double bytes) =>
        double.IsNaN(bytes) ? "-"
        : Math.Abs(bytes) >= 1 << 20 ? Invariant($"{bytes / 1048576:F1} MiB")
        : Math.Abs(bytes) >= 1 << 10 ? Invariant($"{bytes / 1024:F1} KiB")
        : Invariant($"{bytes:F0} B");
}
