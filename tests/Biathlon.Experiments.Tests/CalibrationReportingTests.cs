using System.Text.Json.Nodes;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Reporting;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The calibration in results.json, report.md and calibration.png, from made-up cells (a rendering fixture whose numbers
/// are chosen to trigger each case: a pass, a fail, a cell with no BoundMet request, a classifier; never measurements).
/// </summary>
public sealed class CalibrationReportingTests
{
    [Fact]
    public void Calibration_cells_round_trip_through_results_json()
    {
        using var dir = new TempDirectory();
        var original = Fixture();

        ResultsStore.Save(original, dir.Path);
        var loaded = ResultsStore.Load(dir.Path);

        Assert.Equal(original.Calibration, loaded.Calibration);
        Assert.Equal(original.CalibrationSweep, loaded.CalibrationSweep);
    }

    [Fact]
    public void Results_written_before_calibration_existed_load_with_none()
    {
        using var dir = new TempDirectory();
        var path = ResultsStore.Save(Fixture(), dir.Path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json.Remove("calibration");
        json.Remove("calibrationSweep");
        File.WriteAllText(path, json.ToJsonString());

        var loaded = ResultsStore.Load(dir.Path);

        Assert.Empty(loaded.Calibration);
        Assert.Empty(loaded.CalibrationSweep);
        Assert.DoesNotContain("## Calibration", MarkdownReport.Render(loaded, dir.Path, []), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_has_the_calibration_table_the_rule_and_its_failures()
    {
        using var dir = new TempDirectory();

        var md = MarkdownReport.Render(Fixture(), dir.Path, []);

        Assert.Contains("## Calibration where the bound binds", md, StringComparison.Ordinal);
        Assert.Contains("m = 2.3263 · √(τ(1 − τ)/n)", md, StringComparison.Ordinal);
        Assert.Contains("sensor-anomaly is a classifier: δ = 0 always", md, StringComparison.Ordinal);
        Assert.Contains("| flight-delay | 0 | MAE/10 | 1.611 | 0.95 | 300 | 300 | 293 | 97.67% | 0.0293 | 0.9207 | yes | 0 | 0 | 0 |", md, StringComparison.Ordinal);
        Assert.Contains("| flight-delay | 1 | MAE/10 | 1.611 | 0.95 | 300 | 300 | 270 | 90.0% | 0.0293 | 0.9207 | **NO** |", md, StringComparison.Ordinal);
        Assert.Contains("| sensor-anomaly | 0 | same label | 0 | 0.95 | 300 | 0 | 0 | – | – | – | n/a (n = 0) | 300 |", md, StringComparison.Ordinal);
        Assert.Contains("- **flight-delay, table seed 1, δ = MAE/10, τ = 0.95: 270 of 300 BoundMet requests within δ (90.0%), below τ − m = 0.9207.**", md, StringComparison.Ordinal);
        Assert.Contains("- sensor-anomaly, table seed 0, δ = same label: no request stopped with the bound met (AllExact 300, MaxRounds 0), so the cell tested nothing.", md, StringComparison.Ordinal);
        Assert.Contains("### τ sweep", md, StringComparison.Ordinal);
        Assert.Contains("on table seed 0 only", md, StringComparison.Ordinal);
        Assert.Contains("| flight-delay | 0 | MAE/10 | 1.611 | 0.5 | 300 | 300 | 253 | 84.33% | 0.0672 | 0.4328 | yes |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void The_calibration_plot_has_one_panel_per_pipeline()
    {
        using var dir = new TempDirectory();

        var files = Plots.WriteAll(Fixture(), dir.Path);

        var plot = Assert.Single(files);
        Assert.Equal("calibration.png", Path.GetFileName(plot));
        Assert.StartsWith("Calibration", Plots.Caption(plot), StringComparison.Ordinal);
        var bytes = File.ReadAllBytes(plot);
        Assert.True(bytes.Length > 10_000, $"{plot} is only {bytes.Length} bytes");
        // Two pipelines with a finite share (sensor-anomaly's only cell has n = 0): two 560-pixel panels.
        Assert.Equal(1120, (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]);
        Assert.Equal(Plots.Height, (bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23]);
    }

    [Fact]
    public void Summarise_counts_only_bound_met_requests_in_n()
    {
        CalibrationRecord Record(int i, string stop, bool within) =>
            new("p", 0, "MAE", 1, 0.9, i, stop, 0, 0, within ? 0 : 2, within, 0.95, 3, 0.5, 1, 2, false);
        var records = new List<CalibrationRecord>();
        for (var i = 0; i < 100; i++)
        {
            records.Add(Record(i, "BoundMet", within: i >= 5));
        }

        records.Add(Record(100, "AllExact", within: true));
        records.Add(Record(101, "MaxRounds", within: false));
        records.Add(Record(102, "Deadline", within: false));

        var cell = CalibrationExperiment.Summarise("regression", records);

        Assert.Equal(103, cell.Requests);
        Assert.Equal(100, cell.BoundMet);
        Assert.Equal(95, cell.Within);
        Assert.Equal(0.95, cell.Share);
        Assert.Equal(CalibrationRule.Margin(0.9, 100), cell.Margin);
        Assert.True(cell.Pass);
        Assert.Equal(1, cell.AllExact);
        Assert.Equal(1, cell.MaxRounds);
        Assert.Equal(1, cell.OtherStops);
        Assert.Equal(96.0 / 103, cell.ShareAll, 12);
    }

    private static RunResults Fixture() => new()
    {
        RunId = "calibration-fixture",
        StartedUtc = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc),
        Machine = "fixture machine",
        Command = "biathlon-experiments calibrate",
        Seed = 0,
        Pipelines = [],
        Methods = [],
        Scaling = [],
        TauSweep = [],
        Calibration =
        [
            Cell("flight-delay", 0, "MAE/10", 1.6105, 0.95, boundMet: 300, within: 293),
            Cell("flight-delay", 1, "MAE/10", 1.6105, 0.95, boundMet: 300, within: 270),
            Cell("sensor-anomaly", 0, "same label", 0, 0.95, boundMet: 0, within: 0) with { Task = "binary", AllExact = 300 },
        ],
        CalibrationSweep =
        [
            Cell("flight-delay", 0, "MAE/10", 1.6105, 0.5, boundMet: 300, within: 253),
            Cell("flight-delay", 0, "MAE/10", 1.6105, 0.95, boundMet: 300, within: 293),
            Cell("fx-next-price", 0, "MAE", 0.0015, 0.5, boundMet: 300, within: 300),
            Cell("fx-next-price", 0, "MAE", 0.0015, 0.95, boundMet: 300, within: 300),
            Cell("sensor-anomaly", 0, "same label", 0, 0.95, boundMet: 0, within: 0) with { Task = "binary", AllExact = 300 },
        ],
    };

    private static CalibrationCell Cell(string pipeline, int seed, string label, double delta, double tau, int boundMet, int within)
    {
        var verdict = CalibrationRule.Evaluate(boundMet, within, tau);
        return new CalibrationCell
        {
            Pipeline = pipeline,
            Task = "regression",
            TableSeed = seed,
            DeltaLabel = label,
            Delta = delta,
            Tau = tau,
            Requests = 300,
            BoundMet = verdict.N,
            Within = verdict.K,
            Share = verdict.Share,
            Margin = verdict.Margin,
            Pass = verdict.Pass,
            AllExact = 300 - boundMet,
            MaxRounds = 0,
            OtherStops = 0,
            ShareAll = (within + 300.0 - boundMet) / 300,
            MeanConfidence = boundMet == 0 ? double.NaN : tau + 0.02,
            MeanRounds = 4,
            MeanFraction = 0.5,
            MeanMs = 2,
            ExactMeanMs = 5,
            DependedOnCosts = 0,
        };
    }
}
