using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Biathlon.Host.Status;

/// <summary>
/// Renders the status page as one self-contained HTML document: no script, no external asset, the S1 bars are divs
/// whose CSS width is the index. Every string that came from a pipeline spec or a request is HTML-encoded.
/// </summary>
internal static class StatusPageRenderer
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d232a;background:#fafbfc}
        h1{margin:0 0 .2rem}h2{margin:1.6rem 0 .5rem;font-size:1.15rem}
        .meta{color:#5b6570;margin:0}
        table{border-collapse:collapse;background:#fff}
        th,td{border:1px solid #d7dce1;padding:.3rem .6rem;text-align:left}
        td.number{text-align:right;font-variant-numeric:tabular-nums}
        .prediction{background:#fff;border:1px solid #d7dce1;border-radius:4px;padding:.5rem .8rem;margin:.5rem 0;
          max-width:60rem}
        .prediction header{font-weight:600}
        .facts{color:#3b444d;margin:.2rem 0 .4rem}
        .s1-row{display:flex;align-items:center;gap:.6rem;margin:.15rem 0}
        .query{width:14rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
        .s1-track{width:20rem;height:.8rem;background:#e9edf1;border-radius:2px}
        .s1-bar{height:100%;background:#2f7bbf;border-radius:2px}
        .s1-value{width:4rem;font-variant-numeric:tabular-nums}
        .fraction{color:#5b6570}
        """;

    public static string Render(
        IReadOnlyList<PipelineStatus> pipelines,
        IReadOnlyList<PipelineLiveStatistics> live,
        IReadOnlyList<RecentPrediction> recent,
        int recentCapacity,
        int refreshSeconds,
        DateTimeOffset now)
    {
        var html = new StringBuilder(8192);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (refreshSeconds > 0)
        {
            html.Append(s_invariant, $"<meta http-equiv=\"refresh\" content=\"{refreshSeconds}\">\n");
        }

        html.Append("<title>Biathlon status</title>\n<style>").Append(Style).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>Biathlon</h1>\n");
        html.Append(s_invariant, $"<p class=\"meta\">Rendered {now.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");
        if (refreshSeconds > 0)
        {
            html.Append(s_invariant, $" · reloads every {refreshSeconds} s");
        }

        html.Append(" · <a href=\"/metrics\">/metrics</a></p>\n");
        RenderPipelines(html, pipelines);
        RenderLive(html, live);
        RenderRecent(html, recent, recentCapacity);
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void RenderPipelines(StringBuilder html, IReadOnlyList<PipelineStatus> pipelines)
    {
        html.Append("<section id=\"pipelines\">\n<h2>Pipelines</h2>\n");
        if (pipelines.Count == 0)
        {
            html.Append("<p>No pipeline is loaded.</p>\n</section>\n");
            return;
        }

        html.Append("<table>\n<thead><tr><th>Pipeline</th><th>Version</th><th>Shadow version</th>");
        html.Append("<th>Description</th></tr></thead>\n<tbody>\n");
        foreach (var pipeline in pipelines)
        {
            var name = Encode(pipeline.Name);
            var shadow = pipeline.ShadowVersion is { } version ? Number(version) : "—";
            html.Append(s_invariant, $"<tr class=\"pipeline\" data-pipeline=\"{name}\"><td class=\"name\">{name}</td>");
            html.Append(s_invariant, $"<td class=\"version number\">{Number(pipeline.Version)}</td>");
            html.Append(s_invariant, $"<td class=\"shadow number\">{shadow}</td>");
            html.Append(s_invariant, $"<td class=\"description\">{Encode(pipeline.Description ?? "")}</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void RenderLive(StringBuilder html, IReadOnlyList<PipelineLiveStatistics> live)
    {
        html.Append("<section id=\"live\">\n<h2>Last minute</h2>\n");
        if (live.Count == 0)
        {
            html.Append("<p>No prediction in the last minute.</p>\n</section>\n");
            return;
        }

        html.Append("<table>\n<thead><tr><th rowspan=\"2\">Pipeline</th>");
        html.Append("<th colspan=\"4\">Predictions (engine)</th><th colspan=\"4\">Requests (server)</th></tr>\n");
        html.Append("<tr><th>per second</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th>");
        html.Append("<th>per second</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead>\n<tbody>\n");
        foreach (var statistics in live)
        {
            var name = Encode(statistics.Pipeline);
            html.Append(s_invariant, $"<tr class=\"live\" data-pipeline=\"{name}\"><td class=\"name\">{name}</td>");
            RenderSummary(html, statistics.Predictions, "predictions");
            RenderSummary(html, statistics.Requests, "requests");
            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void RenderSummary(StringBuilder html, LatencySummary summary, string kind)
    {
        html.Append(s_invariant, $"<td class=\"{kind}-rate number\">{Decimal(summary.PerSecond, "0.##")}</td>");
        html.Append(s_invariant, $"<td class=\"{kind}-p50 number\">{Milliseconds(summary.P50)}</td>");
        html.Append(s_invariant, $"<td class=\"{kind}-p95 number\">{Milliseconds(summary.P95)}</td>");
        html.Append(s_invariant, $"<td class=\"{kind}-p99 number\">{Milliseconds(summary.P99)}</td>");
    }

    private static void RenderRecent(StringBuilder html, IReadOnlyList<RecentPrediction> recent, int capacity)
    {
        html.Append(s_invariant, $"<section id=\"recent\">\n<h2>Recent predictions (last {capacity})</h2>\n");
        if (recent.Count == 0)
        {
            html.Append("<p>No prediction yet.</p>\n");
        }

        foreach (var prediction in recent)
        {
            var pipeline = Encode(prediction.Pipeline);
            html.Append(s_invariant, $"<article class=\"prediction\" data-pipeline=\"{pipeline}\">\n<header>");
            var time = prediction.Time.UtcDateTime;
            html.Append(s_invariant, $"<time datetime=\"{time:O}\">{time:HH:mm:ss.fff}</time> ");
            html.Append(s_invariant, $"<span class=\"pipeline\">{pipeline}</span> v{Number(prediction.Version)} ");
            var mode = prediction.Exact ? "exact" : "approximate";
            html.Append(s_invariant, $"<span class=\"mode\">{mode}</span></header>\n");
            html.Append(s_invariant, $"<p class=\"facts\"><span class=\"value\">{Decimal(prediction.Value, "G6")} ± ");
            html.Append(s_invariant, $"{Decimal(prediction.Delta, "G3")}</span> · confidence ");
            html.Append(s_invariant, $"<span class=\"confidence\">{Percent(prediction.Confidence)}</span> · stop ");
            html.Append(s_invariant, $"<span class=\"stop-reason\">{Encode(prediction.StopReason)}</span> · ");
            html.Append(s_invariant, $"<span class=\"rounds\">{Number(prediction.Rounds)}</span> round(s) · ");
            var latency = Decimal(prediction.LatencyMs, "0.###");
            html.Append(s_invariant, $"<span class=\"latency\">{latency}</span> ms</p>\n");
            html.Append("<div class=\"s1\">\n");
            foreach (var query in prediction.Queries)
            {
                RenderQuery(html, query);
            }

            html.Append("</div>\n</article>\n");
        }

        html.Append("</section>\n");
    }

    private static void RenderQuery(StringBuilder html, QueryContribution query)
    {
        var name = Encode(query.Query);
        var known = double.IsFinite(query.FirstOrderIndex);
        var index = known ? Math.Clamp(query.FirstOrderIndex, 0, 1) : 0;
        var indexText = known ? Decimal(index, "0.###") : "n/a";
        // The bar and data-s1 carry the index unrounded; the text rounds it for reading.
        var exactIndex = known ? Decimal(index, "R") : "n/a";
        var width = Decimal(index * 100, "0.####");
        var label = $"{name}: first-order Sobol index S1 = {indexText}";
        html.Append(s_invariant, $"<div class=\"s1-row\"><span class=\"query\" title=\"{name}\">{name}</span>");
        html.Append("<div class=\"s1-track\">");
        html.Append(s_invariant, $"<div class=\"s1-bar\" role=\"img\" style=\"width:{width}%\" ");
        html.Append(s_invariant, $"data-s1=\"{exactIndex}\" title=\"{label}\" aria-label=\"{label}\"></div></div>");
        html.Append(s_invariant, $"<span class=\"s1-value\">{indexText}</span>");
        html.Append(s_invariant, $"<span class=\"fraction\">{Percent(query.Fraction)} of rows read</span></div>\n");
    }

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Decimal(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Percent(double share) =>
        double.IsFinite(share) ? (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : "n/a";

    private static string Milliseconds(double seconds) => Decimal(seconds * 1000, "0.###");
}
