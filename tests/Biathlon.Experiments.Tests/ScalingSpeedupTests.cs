using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Reporting;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// Speedup against rows per request (the scaling sweep with the exact shortcut on and off): the speedup points, the
/// agreement each point records, the per-pipeline plot, the report section, and results written before agreement was
/// recorded. The numbers are made up to exercise the computation; none is a measurement.
/// </summary>
public sealed class ScalingSpeedupTests
{
    private static readonly byte[] s_pngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Speedup_is_exact_mean_over_method_mean_at_the_same_setting_at_exact_rows()
    {
        List<ScalingPoint> scaling =
        [
            new("p", "biathlon", "7d", 999, 2, 8, 0.875),
            new("p", "exact", "7d", 1_000, 10, 8, 1),
            new("p", "exact", "1d", 100, 3, 8, 1),
            new("p", "biathlon", "1d", 100, 6, 8, 1),
            new("p", "biathlon-no-shortcut", "1d", 100, 1.5, 8, 0.5),
            new("p", "biathlon", "30d", 4_000, 1, 8, 1), // no exact point at 30d: no speedup
            new("q", "biathlon", "7d", 50, 0, 8, 1),     // no latency: no speedup
            new("q", "exact", "7d", 50, 4, 8, 1),
        ];

        var points = ScalingSpeedup.Points(scaling);

        Assert.Equal(
            [
                new SpeedupPoint("p", "biathlon", "1d", 100, 0.5, 1),
                new SpeedupPoint("p", "biathlon", "7d", 1_000, 5, 0.875),
                new SpeedupPoint("p", "biathlon-no-shortcut", "1d", 100, 2, 0.5),
            ],
            points);
    }

    [Fact]
    public void Agreement_counts_within_delta_for_regression_and_equal_labels_for_classification()
    {
        Assert.Equal(0.75, ScalingExperiment.Agreement([1, 2, 3, 4], [1.5, 2, 3.6, 4.5], classification: false, delta: 0.5));
        Assert.Equal(0.5, ScalingExperiment.Agreement([0, 1, 1, 0], [0, 0, 1, 1], classification: true, delta: 0));
        Assert.True(double.IsNaN(ScalingExperiment.Agreement([], [], classification: false, delta: 1)));
        Assert.Throws<ArgumentException>(() => ScalingExperiment.Agreement([1], [1, 2], classification: false, delta: 1));
    }

    [Fact]
    public void Each_pipeline_with_a_sweep_gets_a_speedup_plot_and_a_report_section()
    {
        using var dir = new TempDirectory();
        var results = Results();

        var files = Plots.WriteAll(results, Path.Combine(dir.Path, "plots"));
        var md = MarkdownReport.Render(results, dir.Path, files);

        var names = files.Select(Path.GetFileName).ToList();
        Assert.Contains("scaling-speedup-flight-delay.png", names);
        Assert.Contains("scaling-speedup-pm10-forecast.png", names);
        foreach (var file in files.Where(f => Path.GetFileName(f).StartsWith("scaling-speedup-", StringComparison.Ordinal)))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 10_000, $"{file} is only {bytes.Length} bytes");
            Assert.Equal(s_pngSignature, bytes[..8]);
        }

        Assert.Contains("## Speedup against rows per request", md, StringComparison.Ordinal);
        Assert.Contains("](plots/scaling-speedup-pm10-forecast.png)", md, StringComparison.Ordinal);
        // flight-delay at 90d: exact 400 ms, biathlon 8 ms (50×, 97.5% within δ), shortcut off 10 ms (40×).
        Assert.Contains("| flight-delay | 90d | 1,500,000 | 50.00× | 97.5% | 40.00× | 95.0% |", md, StringComparison.Ordinal);
        Assert.Contains("**pm10-forecast**: shortcut on: 0.50× at 600 rows to 4.00× at 50,000 rows", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Results_written_before_agreement_was_recorded_still_load_and_report()
    {
        using var dir = new TempDirectory();
        ResultsStore.Save(Results(), dir.Path);
        var path = ResultsStore.PathIn(dir.Path);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var point in json["scaling"]!.AsArray())
        {
            point!.AsObject().Remove("agreementWithExact");
        }

        File.WriteAllText(path, json.ToJsonString());

        var loaded = ResultsStore.Load(dir.Path);
        var md = MarkdownReport.Render(loaded, dir.Path, Plots.WriteAll(loaded, Path.Combine(dir.Path, "plots")));

        Assert.All(loaded.Scaling, p => Assert.True(double.IsNaN(p.AgreementWithExact)));
        Assert.Contains("| flight-delay | 90d | 1,500,000 | 50.00× | – | 40.00× | – |", md, StringComparison.Ordinal);
    }

    private static RunResults Results() => new()
    {
        RunId = "speedup-fixture",
        StartedUtc = new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc),
        Machine = "fixture",
        Command = "fixture",
        Seed = 0,
        Pipelines = [],
        Methods = [],
        Scaling =
        [
            new("flight-delay", "exact", "1d", 20_000, 20, 40, 1),
            new("flight-delay", "biathlon", "1d", 20_000, 10, 40, 1),
            new("flight-delay", "biathlon-no-shortcut", "1d", 20_000, 12, 40, 1),
            new("flight-delay", "exact", "90d", 1_500_000, 400, 40, 1),
            new("flight-delay", "biathlon", "90d", 1_500_000, 8, 40, 0.975),
            new("flight-delay", "biathlon-no-shortcut", "90d", 1_500_000, 10, 40, 0.95),
            new("pm10-forecast", "exact", "7d", 600, 1, 40, 1),
            new("pm10-forecast", "biathlon", "7d", 600, 2, 40, 1),
            new("pm10-forecast", "biathlon-no-shortcut", "7d", 600, 2.5, 40, 1),
            new("pm10-forecast", "exact", "730d", 50_000, 20, 40, 1),
            new("pm10-forecast", "biathlon", "730d", 50_000, 5, 40, 0.9),
            new("pm10-forecast", "biathlon-no-shortcut", "730d", 50_000, 4, 40, 0.925),
        ],
        TauSweep = [],
    };
}
