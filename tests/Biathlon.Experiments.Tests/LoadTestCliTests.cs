using System.Globalization;
using Biathlon.Experiments.Load;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The <c>loadtest</c> verb as a user runs it: about a second of closed-loop load per cell on sensor-anomaly, through
/// the scoring server the harness starts (the one built beside it), on a copy of the pipeline in a temporary folder;
/// and clear one-line errors for bad input.
/// </summary>
public sealed class LoadTestCliTests : IDisposable
{
    private const string Pipeline = "sensor-anomaly";

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_short_load_test_writes_csv_json_and_report_with_sane_figures_and_no_errors()
    {
        var pipelines = await CopyPipelineAsync();
        var output = Path.Combine(_dir.Path, "out");
        var (code, stdout, errors) = HarnessCli.Run(
            "loadtest", "--pipeline", Pipeline, "--pipelines", pipelines, "--clients", "1,2", "--duration", "1s", "--warmup", "300ms",
            "--audit", "off", "--modes", "approximate", "--requests", "20", "--out", output);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{errors}");

        var csv = File.ReadAllLines(Path.Combine(output, LoadTestReport.CsvFile));
        Assert.Equal(LoadTestReport.CsvHeader, csv[0]);
        Assert.Equal(3, csv.Length);
        var columns = csv[0].Split(',');
        var rows = csv.Skip(1).Select(line => columns.Zip(line.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToArray();
        Assert.Equal(["1", "2"], rows.Select(r => r["clients"]).ToArray());
        Assert.All(rows, r =>
        {
            Assert.Equal(Pipeline, r["pipeline"]);
            Assert.Equal("approximate", r["mode"]);
            Assert.Equal("off", r["audit"]);
            Assert.Equal("0", r["errors"]);
            Assert.True(D(r["throughput_rps"]) > 0);
            Assert.True(D(r["p50_ms"]) > 0);
            Assert.True(D(r["p50_ms"]) <= D(r["p99_ms"]) && D(r["p99_ms"]) <= D(r["p999_ms"]), $"p50 {r["p50_ms"]}, p99 {r["p99_ms"]}, p99.9 {r["p999_ms"]}");
        });

        var results = LoadTestReport.Load(Path.Combine(output, LoadTestReport.JsonFile));
        Assert.Equal(2, results.Cells.Count);
        Assert.All(results.Cells, c =>
        {
            Assert.Equal(0, c.Errors);
            Assert.Empty(c.ErrorsByStatus);
            Assert.True(c.Requests > 0 && c.Throughput > 0);
            Assert.True(c.P50Ms <= c.P99Ms && c.P99Ms <= c.P999Ms && c.P999Ms <= c.MaxMs);
            Assert.True(c.MeanMs > 0 && c.StdDevMs >= 0);
            // The engine's own time is part of the round trip, so the overhead is positive and below the round trip.
            Assert.True(c.EngineP50Ms > 0 && c.OverheadP50Ms > 0 && c.OverheadP50Ms < c.P50Ms, $"engine {c.EngineP50Ms}, overhead {c.OverheadP50Ms}, p50 {c.P50Ms}");
            Assert.False(c.Audited);
            Assert.InRange(c.OtherCpuShare, 0, 1);
        });
        Assert.Equal(1.0, results.Cells.Single(c => c.Clients == 1).ScalingVsOneClient);
        Assert.Equal(20, results.RequestSets.Single().Requests);
        Assert.Equal(4, results.Goals.Count);
        var s1 = Assert.Single(results.S1Checks);
        Assert.Equal((1, 2), (s1.LowClients, s1.HighClients));
        Assert.True(s1.LowAnswers > 0, "the probe request was never answered at 1 client");

        var report = File.ReadAllText(Path.Combine(output, LoadTestReport.MarkdownFile));
        Assert.Contains("## Goals", report);
        Assert.Contains("### sensor-anomaly, approximate", report);
        Assert.Contains("## S1 stability under load", report);

        // The report can be written again from loadtest.json alone.
        File.Delete(Path.Combine(output, LoadTestReport.MarkdownFile));
        var (again, againOut, againErrors) = HarnessCli.Run("loadtest", "--report", output);
        Assert.True(again == 0, $"exit {again}\n{againOut}\n{againErrors}");
        Assert.Equal(report, File.ReadAllText(Path.Combine(output, LoadTestReport.MarkdownFile)));
    }

    [Theory]
    [InlineData(2, "option --clients: '0' is not allowed", "--clients", "0")]
    [InlineData(2, "option --duration needs a duration", "--duration", "0s")]
    [InlineData(2, "option --audit: 'maybe' is not allowed", "--audit", "maybe")]
    [InlineData(2, "option --modes: 'fast' is not allowed", "--modes", "fast")]
    [InlineData(2, "option --audit cannot be used with --server", "--server", "http://127.0.0.1:9", "--audit", "on")]
    [InlineData(2, "option --server needs an http:// or https:// URL", "--server", "ftp://example")]
    [InlineData(2, "unknown pipeline 'taxi'", "--pipeline", "taxi")]
    [InlineData(2, "unknown option '--rps'", "--rps", "5")]
    public void Bad_input_prints_a_clear_message_and_exit_2(int expectedCode, string message, params string[] args)
    {
        var (code, output, errors) = HarnessCli.Run(["loadtest", .. args]);
        Assert.Equal(expectedCode, code);
        Assert.Contains(message, output + errors);
        Assert.DoesNotContain("   at ", output + errors);
    }

    [Fact]
    public void A_server_that_does_not_answer_is_named()
    {
        RealData.Require("sensors", "wsn-multi-hop.csv");
        var (code, output, errors) = HarnessCli.Run("loadtest", "--pipeline", Pipeline, "--server", "http://127.0.0.1:9", "--requests", "5", "--out", Path.Combine(_dir.Path, "none"));
        Assert.Equal(1, code);
        Assert.Contains("The server at http://127.0.0.1:9/ is not ready", errors);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "none")));
        Assert.Empty(output.Trim());
    }

    [Theory]
    [InlineData("10s", 10.0)]
    [InlineData("500ms", 0.5)]
    [InlineData("1.5", 1.5)]
    [InlineData("2m", 120.0)]
    public void Durations_take_a_unit(string text, double seconds) =>
        Assert.Equal(seconds, LoadTestOptions.Time(text, "--duration", allowZero: false).TotalSeconds, 9);

    [Fact]
    public void Options_default_to_the_full_grid_and_a_running_server_runs_as_configured()
    {
        var defaults = LoadTestOptions.Parse([]);
        Assert.Equal(["flight-delay", "sensor-anomaly"], defaults.Pipelines);
        Assert.Equal([1, 2, 4, 8, 16], defaults.Clients);
        Assert.Equal([AuditSetting.Off, AuditSetting.On], defaults.Audit);
        Assert.Equal([LoadMode.Approximate, LoadMode.Exact], defaults.Modes);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.Duration);

        var remote = LoadTestOptions.Parse(["--server", "http://10.0.0.5:8080/some/path", "--clients", "4,1"]);
        Assert.Equal(new Uri("http://10.0.0.5:8080/"), remote.Server);
        Assert.Equal([AuditSetting.AsConfigured], remote.Audit);
        Assert.Equal([4, 1], remote.Clients);
    }

    /// <summary>sensor-anomaly's spec, self-test and model in a temporary pipelines folder (the model trained there when the repository has none).</summary>
    private async Task<string> CopyPipelineAsync()
    {
        var recipe = RecipeCatalog.Find(Pipeline);
        RealData.Require(recipe.DatasetSet, recipe.DatasetFile);
        var root = Path.Combine(_dir.Path, "pipelines");
        var folder = Path.Combine(root, Pipeline);
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "pipeline.json", "selftest.json", "model.onnx", "cost-profile.json" })
        {
            var source = Path.Combine(RealData.RepositoryRoot, "pipelines", Pipeline, file);
            if (File.Exists(source))
            {
                File.Copy(source, Path.Combine(folder, file));
            }
        }

        if (!File.Exists(Path.Combine(folder, "model.onnx")))
        {
            var requests = await recipe.LoadRequestsAsync(RealData.Directory, RecipeSizes.Quick, seed: 0);
            await PipelinePreparation.PrepareAsync(recipe, folder, RealData.Directory, requests, retrain: false, seed: 0);
        }

        return root;
    }

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    public void Dispose() => _dir.Dispose();
}
