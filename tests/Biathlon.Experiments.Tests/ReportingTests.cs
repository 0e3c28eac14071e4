using System.Globalization;
using System.Text.Json;
using Biathlon.Experiments.Reporting;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// results.json round trip, plots and report.md. The RunResults here is a made-up fixture for exercising the rendering
/// only: its numbers are chosen to trigger each finding, are never measurements, and everything is written to a
/// temporary folder, never to the repository's results/ or reports.
/// </summary>
public sealed class ReportingTests
{
    private static readonly byte[] s_pngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Save_then_load_round_trips_every_field()
    {
        using var dir = new TempDirectory();
        var original = Fixture();

        var path = ResultsStore.Save(original, dir.Path);
        var loaded = ResultsStore.Load(dir.Path);

        Assert.Equal(Path.Combine(dir.Path, "results.json"), path);
        Assert.Equal(original.RunId, loaded.RunId);
        Assert.Equal(original.StartedUtc, loaded.StartedUtc);
        Assert.Equal(DateTimeKind.Utc, loaded.StartedUtc.Kind);
        Assert.Equal(original.Machine, loaded.Machine);
        Assert.Equal(original.Command, loaded.Command);
        Assert.Equal(original.Seed, loaded.Seed);
        // The element records compare by value.
        Assert.Equal(original.Pipelines, loaded.Pipelines);
        Assert.Equal(original.Methods, loaded.Methods);
        Assert.Equal(original.Scaling, loaded.Scaling);
        Assert.Equal(original.TauSweep, loaded.TauSweep);
    }

    [Fact]
    public void Saved_json_is_indented_camel_case()
    {
        using var dir = new TempDirectory();
        var path = ResultsStore.Save(Fixture(), dir.Path);

        var text = File.ReadAllText(path);
        Assert.Contains("\n  \"runId\": \"fixture-run\"", text, StringComparison.Ordinal);
        Assert.Contains("\"agreementWithExact\":", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"RunId\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_names_the_missing_file()
    {
        using var dir = new TempDirectory();

        var ex = Assert.ThrowsAny<Exception>(() => ResultsStore.Load(dir.Path));

        Assert.Equal("CliException", ex.GetType().Name);
        Assert.Contains(Path.Combine(dir.Path, "results.json"), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("null")]
    [InlineData("{\"runId\": \"x\"}")]
    public void Load_names_a_malformed_file(string content)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("results.json"), content);

        var ex = Assert.ThrowsAny<Exception>(() => ResultsStore.Load(dir.Path));

        Assert.Equal("CliException", ex.GetType().Name);
        Assert.Contains(Path.Combine(dir.Path, "results.json"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_rejects_a_null_list()
    {
        using var dir = new TempDirectory();
        var path = ResultsStore.Save(Fixture(), dir.Path);
        var json = JsonDocument.Parse(File.ReadAllText(path));
        var edited = json.RootElement.EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Name == "methods" ? (object?)null : p.Value);
        File.WriteAllText(path, JsonSerializer.Serialize(edited));

        var ex = Assert.ThrowsAny<Exception>(() => ResultsStore.Load(dir.Path));

        Assert.Equal("CliException", ex.GetType().Name);
        Assert.Contains("methods", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plots_are_png_files_with_content()
    {
        using var dir = new TempDirectory();
        var plotFolder = Path.Combine(dir.Path, "plots");

        var files = Plots.WriteAll(Fixture(), plotFolder);

        var names = files.Select(Path.GetFileName).ToList();
        Assert.Equal(
            [
                "speedup.png", "accuracy-latency-flight-delay.png", "accuracy-latency-sensor-anomaly.png", "scaling.png",
                "scaling-speedup-flight-delay.png", "tau-sweep.png",
            ],
            names);
        foreach (var file in files)
        {
            Assert.Equal(plotFolder, Path.GetDirectoryName(file));
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 10_000, $"{file} is only {bytes.Length} bytes");
            Assert.Equal(s_pngSignature, bytes[..8]);
            // IHDR: width and height, big-endian, right after the signature and the chunk header.
            Assert.Equal(Plots.Width, ReadBigEndian(bytes, 16));
            Assert.Equal(Plots.Height, ReadBigEndian(bytes, 20));
        }
    }

    [Fact]
    public void Plots_skip_what_the_run_has_no_data_for()
    {
        using var dir = new TempDirectory();
        var results = Fixture() with { Scaling = [], TauSweep = [] };

        var names = Plots.WriteAll(results, dir.Path).Select(Path.GetFileName).ToList();

        Assert.DoesNotContain("scaling.png", names);
        Assert.DoesNotContain("tau-sweep.png", names);
        Assert.Contains("speedup.png", names);
    }

    [Fact]
    public void Report_has_header_tables_and_plot_links()
    {
        using var dir = new TempDirectory();
        var results = Fixture();
        var plots = Plots.WriteAll(results, Path.Combine(dir.Path, "plots"));

        var path = MarkdownReport.Write(results, dir.Path, plots);
        var md = File.ReadAllText(path);

        Assert.Equal(Path.Combine(dir.Path, "report.md"), path);
        Assert.StartsWith("# Biathlon run fixture-run\n", md, StringComparison.Ordinal);
        Assert.Contains("fixture machine, 2 cores", md, StringComparison.Ordinal);
        Assert.Contains("`biathlon-experiments run --all`", md, StringComparison.Ordinal);
        Assert.Contains("2026-11-22 18:00:00 UTC", md, StringComparison.Ordinal);
        // Pipeline table: δ, τ, sizes with invariant thousands separators, validation metric.
        Assert.Contains("| flight-delay | regression | LightGbm, 100 trees | 5 | 0.95 | 8,000 | 2,000 | MAE 11.25 |", md, StringComparison.Ordinal);
        Assert.Contains("| sensor-anomaly | binary | FastTree, 50 trees | 0 | 0.9 | 4,000 | 1,000 | F1 0.88 |", md, StringComparison.Ordinal);
        // Method table header and a full row: latencies, speedup, accuracy, agreement, fraction, rounds, stage shares.
        Assert.Contains("| Method | Requests | Mean ms | p50 ms | p95 ms | p99 ms | Speedup | R2 | Agreement with exact |", md, StringComparison.Ordinal);
        Assert.Contains(
            "| biathlon | 2,000 | 4.00 | 3.50 | 9.00 | 12.00 | 5.00× | 0.850 | 97.5% | 12.0% | 2.40 | 50.0% | 35.0% | 10.0% | 5.0% |",
            md, StringComparison.Ordinal);
        Assert.Contains("| stale-cache | 2,000 | n/a (background refresh) | n/a (background refresh) | n/a (background refresh) | n/a (background refresh) | n/a |", md, StringComparison.Ordinal);
        // Plots linked relative to the report.
        Assert.Contains("](plots/speedup.png)", md, StringComparison.Ordinal);
        Assert.Contains("](plots/accuracy-latency-flight-delay.png)", md, StringComparison.Ordinal);
        Assert.Contains("](plots/scaling.png)", md, StringComparison.Ordinal);
        Assert.Contains("](plots/tau-sweep.png)", md, StringComparison.Ordinal);
        Assert.DoesNotContain(dir.Path, md, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_states_where_biathlon_is_slower_with_the_stages_that_explain_it()
    {
        using var dir = new TempDirectory();

        var md = MarkdownReport.Render(Fixture(), dir.Path, []);

        var section = Section(md, "## Where Biathlon is slower");
        // sensor-anomaly: biathlon 3 ms against exact 2.5 ms and duckdb 1.5 ms; propagation + model dominates.
        Assert.Contains("**sensor-anomaly**: biathlon is slower than exact: mean 3.00 ms vs 2.50 ms", section, StringComparison.Ordinal);
        Assert.Contains("**sensor-anomaly**: biathlon is slower than duckdb: mean 3.00 ms vs 1.50 ms", section, StringComparison.Ordinal);
        Assert.Contains("Propagation + model is 61.0% of biathlon's time", section, StringComparison.Ordinal);
        // flight-delay: biathlon is faster than exact (4 ms vs 20 ms) but slower than duckdb (4 ms vs 3 ms).
        Assert.DoesNotContain("**flight-delay**: biathlon is slower than exact", section, StringComparison.Ordinal);
        Assert.Contains("**flight-delay**: biathlon is slower than duckdb: mean 4.00 ms vs 3.00 ms", section, StringComparison.Ordinal);
        Assert.Contains("Sampling is 50.0% of biathlon's time", section, StringComparison.Ordinal);
        // Cost sweep: at 1d biathlon (2.5 ms) is above exact (2 ms); at 1d and 7d above duckdb; never elsewhere.
        Assert.Contains(
            "**flight-delay**, cost against rows per request: biathlon is slower than exact at 1d (2,000 rows per request: 2.50 ms vs 2.00 ms).",
            section, StringComparison.Ordinal);
        Assert.Contains(
            "biathlon is slower than duckdb at 1d (2,000 rows per request: 2.50 ms vs 1.00 ms), 7d (14,000 rows per request: 3.00 ms vs 2.00 ms).",
            section, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_says_so_when_biathlon_is_never_slower()
    {
        using var dir = new TempDirectory();
        var results = Fixture();
        results = results with
        {
            Methods = results.Methods.Select(m => m.Method == "biathlon" ? m with { MeanMs = 1, P99Ms = 1 } : m).ToList(),
            Scaling = results.Scaling.Select(p => p.Method == "biathlon" ? p with { MeanMs = 0.5 } : p).ToList(),
        };

        var section = Section(MarkdownReport.Render(results, dir.Path, []), "## Where Biathlon is slower");

        Assert.DoesNotContain("slower than", section, StringComparison.Ordinal);
        Assert.Contains("below exact's and duckdb's", section, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_flags_agreement_below_tau_in_bold()
    {
        using var dir = new TempDirectory();

        var md = MarkdownReport.Render(Fixture(), dir.Path, []);

        var section = Section(md, "## Agreement with exact against τ");
        // sensor-anomaly: 85% < τ = 0.9 is flagged; flight-delay: 97.5% ≥ 0.95 is not.
        Assert.Contains("- **sensor-anomaly: biathlon agrees with exact on 85.0% of requests, below τ = 0.9.**", section, StringComparison.Ordinal);
        Assert.Contains("- flight-delay: biathlon agrees with exact on 97.5% of requests (τ = 0.95).", section, StringComparison.Ordinal);
        Assert.DoesNotContain("**flight-delay", section, StringComparison.Ordinal);
        // The τ sweep point at τ = 0.99 agrees on 98% only.
        Assert.Contains("**98.0% (below τ)**", md, StringComparison.Ordinal);
        Assert.Contains("| flight-delay | 0.999 | 12.00 | 1.67× | 99.92% |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_numbers_ignore_the_current_culture()
    {
        using var dir = new TempDirectory();
        var culture = CultureInfo.CurrentCulture;
        // The build runs with invariant globalization, so no named culture exists: make one that writes "4,00".
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.NumberGroupSeparator = ".";
        comma.NumberFormat.PercentDecimalSeparator = ",";
        try
        {
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("4,00", 4.0.ToString("0.00"));
            var md = MarkdownReport.Render(Fixture(), dir.Path, []);
            Assert.Contains("| 4.00 | 3.50 |", md, StringComparison.Ordinal);
            Assert.Contains("| 8,000 | 2,000 |", md, StringComparison.Ordinal);
            Assert.DoesNotContain("| 4,00 |", md, StringComparison.Ordinal);
            Assert.DoesNotContain("8.000", md, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section '{heading}'");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    private static int ReadBigEndian(byte[] bytes, int offset) =>
        (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];

    /// <summary>Made-up numbers shaped like a run (rendering fixture; not a measurement).</summary>
    private static RunResults Fixture() => new()
    {
        RunId = "fixture-run",
        StartedUtc = new DateTime(2026, 11, 22, 18, 0, 0, DateTimeKind.Utc),
        Machine = "fixture machine, 2 cores",
        Command = "biathlon-experiments run --all",
        Seed = 7,
        Pipelines =
        [
            new("flight-delay", "regression", "LightGbm, 100 trees", 5, 0.95, 8000, 2000, "MAE", 11.25, "fixture data"),
            new("sensor-anomaly", "binary", "FastTree, 50 trees", 0, 0.9, 4000, 1000, "F1", 0.88, "fixture data"),
        ],
        Methods =
        [
            Method("flight-delay", "exact", 20, 1, "R2", 0.86, 1, 1, 1, (0.9, 0.05, 0, 0.05)),
            Method("flight-delay", "biathlon", 4, 5, "R2", 0.85, 0.975, 0.12, 2.4, (0.5, 0.35, 0.1, 0.05)) with
            {
                P50Ms = 3.5, P95Ms = 9, P99Ms = 12,
            },
            Method("flight-delay", "fixed-5%", 2, 10, "R2", 0.7, 0.8, 0.05, 1, (0.7, 0.25, 0, 0.05)),
            Method("flight-delay", "fixed-20%", 6, 3.33, "R2", 0.8, 0.9, 0.2, 1, (0.85, 0.1, 0, 0.05)),
            Method("flight-delay", "duckdb", 3, 6.67, "R2", 0.86, 1, 1, 1, (0.95, 0.03, 0, 0.02)),
            Method("flight-delay", "stale-cache", 0, 0, "R2", 0.6, 0.7, 1, 1, (0, 0, 0, 0)) with { LatencyMeasured = false },
            Method("sensor-anomaly", "exact", 2.5, 1, "F1", 0.9, 1, 1, 1, (0.8, 0.15, 0, 0.05)),
            Method("sensor-anomaly", "biathlon", 3, 0.83, "F1", 0.84, 0.85, 0.3, 3.1, (0.2, 0.61, 0.14, 0.05)),
            Method("sensor-anomaly", "fixed-5%", 1, 2.5, "F1", 0.7, 0.8, 0.05, 1, (0.5, 0.45, 0, 0.05)),
            Method("sensor-anomaly", "fixed-20%", 1.5, 1.67, "F1", 0.8, 0.9, 0.2, 1, (0.6, 0.35, 0, 0.05)),
            Method("sensor-anomaly", "duckdb", 1.5, 1.67, "F1", 0.9, 1, 1, 1, (0.9, 0.08, 0, 0.02)),
        ],
        Scaling =
        [
            new("flight-delay", "exact", "1d", 2_000, 2, 200),
            new("flight-delay", "exact", "7d", 14_000, 12, 200),
            new("flight-delay", "exact", "30d", 60_000, 50, 200),
            new("flight-delay", "exact", "365d", 730_000, 600, 200),
            new("flight-delay", "biathlon", "1d", 2_000, 2.5, 200),
            new("flight-delay", "biathlon", "7d", 14_000, 3, 200),
            new("flight-delay", "biathlon", "30d", 60_000, 3.5, 200),
            new("flight-delay", "biathlon", "365d", 730_000, 5, 200),
            new("flight-delay", "duckdb", "1d", 2_000, 1, 200),
            new("flight-delay", "duckdb", "7d", 14_000, 2, 200),
            new("flight-delay", "duckdb", "30d", 60_000, 6, 200),
            new("flight-delay", "duckdb", "365d", 730_000, 40, 200),
        ],
        TauSweep =
        [
            new("flight-delay", 0.8, 2.5, 8, 0.9, 0.06, 1.5),
            new("flight-delay", 0.9, 3.2, 6.25, 0.95, 0.09, 2),
            new("flight-delay", 0.95, 4, 5, 0.975, 0.12, 2.4),
            new("flight-delay", 0.99, 7, 2.86, 0.98, 0.25, 3.5),
            new("flight-delay", 0.999, 12, 1.67, 0.9992, 0.5, 4.8),
        ],
    };

    private static MethodSummary Method(
        string pipeline, string method, double meanMs, double speedup, string metric, double accuracy, double agreement,
        double fraction, double rounds, (double Sampling, double Propagation, double Planning, double Other) shares) => new()
        {
            Pipeline = pipeline,
            Method = method,
            Requests = 2000,
            LatencyMeasured = true,
            MeanMs = meanMs,
            P50Ms = meanMs * 0.9,
            P95Ms = meanMs * 1.8,
            P99Ms = meanMs * 2.5,
            Speedup = speedup,
            AccuracyMetric = metric,
            Accuracy = accuracy,
            AgreementWithExact = agreement,
            MeanFraction = fraction,
            MeanRounds = rounds,
            SamplingShare = shares.Sampling,
            PropagationShare = shares.Propagation,
            PlanningShare = shares.Planning,
            OtherShare = shares.Other,
        };
}
