using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Reporting;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The harness CLI as a user runs it (a child process of the built tool): a reduced `all` (--quick: 400 training,
/// 100 validation, 60 test requests) end to end for two pipelines (with the calibration where the pipeline has one),
/// and clear one-line errors with a non-zero exit for bad input. Pipelines run on copies of their specs in a temporary folder, so the repository's pipeline folders
/// (used by the engine tests) are never written concurrently.
/// </summary>
public sealed class HarnessCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static (int ExitCode, string Output, string Errors) Cli(params string[] args) => HarnessCli.Run(args);

    private string CopyPipeline(string name)
    {
        var target = Path.Combine(_dir.Path, "pipelines", name);
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(RealData.RepositoryRoot, "pipelines", name, "pipeline.json"), Path.Combine(target, "pipeline.json"));
        return Path.Combine(_dir.Path, "pipelines");
    }

    [Theory]
    [InlineData("sensor-anomaly", "sensors", "wsn-multi-hop.csv")]
    [InlineData("flight-late", "flights", "flights-3m.parquet")]
    public void A_quick_all_runs_every_step_and_reports_biathlon_meeting_tau(string pipeline, string set, string file)
    {
        RealData.Require(set, file);
        var pipelines = CopyPipeline(pipeline);
        var results = Path.Combine(_dir.Path, "results");
        var (code, output, errors) = Cli("all", "--pipeline", pipeline, "--quick", "--results", results, "--pipelines", pipelines, "--run", "ci");
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");

        var run = ResultsStore.Load(Path.Combine(results, "ci"));
        var methods = run.Methods.Where(m => m.Pipeline == pipeline).ToDictionary(m => m.Method);
        Assert.Equal(["biathlon", "duckdb", "exact", "fixed-20%", "fixed-5%", "stale-cache"], methods.Keys.Order().ToArray());
        Assert.All(methods.Values, m => Assert.Equal(60, m.Requests));
        Assert.Equal(1.0, methods["exact"].AgreementWithExact);
        Assert.Equal(1.0, methods["duckdb"].AgreementWithExact);
        Assert.True(methods["biathlon"].AgreementWithExact >= run.Pipelines.Single().Tau, $"biathlon agreement {methods["biathlon"].AgreementWithExact:P1}");
        Assert.False(methods["stale-cache"].LatencyMeasured);
        Assert.True(File.Exists(Path.Combine(pipelines, pipeline, "model.onnx")));
        Assert.True(File.Exists(Path.Combine(pipelines, pipeline, "cost-profile.json")));
        Assert.True(File.Exists(Path.Combine(results, "ci", $"requests-{pipeline}.csv")));
        var report = File.ReadAllText(Path.Combine(results, "ci", "report.md"));
        Assert.Contains(pipeline, report);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(results, "ci", "plots"), "*.png"));

        // run includes the calibration for its pipelines (sensor-anomaly: δ = 0 only, three table seeds, the τ sweep).
        if (CalibrationSettings.DefaultPipelines.Contains(pipeline))
        {
            Assert.Equal([0, 1, 2], run.Calibration.Select(c => c.TableSeed).ToArray());
            Assert.All(run.Calibration, c => Assert.Equal(60, c.Requests));
            Assert.Equal(5, run.CalibrationSweep.Count);
            Assert.True(File.Exists(Path.Combine(results, "ci", $"calibration-{pipeline}.csv")));
            Assert.True(File.Exists(Path.Combine(results, "ci", "plots", "calibration.png")));
            Assert.Contains("## Calibration where the bound binds", report);
        }
        else
        {
            Assert.Empty(run.Calibration);
        }
    }

    [Theory]
    [InlineData(2, "unknown command 'launch'", "launch")]
    [InlineData(2, "unknown pipeline 'taxi'", "run", "--pipeline", "taxi")]
    [InlineData(2, "unknown option '--fast'", "run", "--fast")]
    [InlineData(2, "option --test-requests needs a positive integer", "run", "--test-requests", "0")]
    [InlineData(2, "option --tau needs a number in (0, 1)", "calibrate", "--tau", "1.5")]
    [InlineData(2, "option --table-seeds needs comma-separated non-negative integers", "calibrate", "--table-seeds", "0,x")]
    [InlineData(2, "unknown option '--bogus'", "train", "--bogus")]
    [InlineData(2, "option --model needs lightgbm, fasttree, fastforest, linear or mlp", "train", "--spec", "x", "--requests", "y", "--label", "z", "--model", "svm")]
    [InlineData(2, "usage:")]
    public void Bad_input_prints_a_clear_message_and_a_non_zero_exit_without_a_stack_trace(int expectedCode, string message, params string[] args)
    {
        var (code, output, errors) = Cli(args);
        Assert.Equal(expectedCode, code);
        Assert.Contains(message, output + errors);
        Assert.DoesNotContain("   at ", output + errors);
    }

    [Fact]
    public void Reporting_without_results_or_an_unknown_run_fails_clearly()
    {
        var empty = Path.Combine(_dir.Path, "no-results");
        var (code, _, errors) = Cli("report", "--results", empty);
        Assert.Equal(1, code);
        Assert.Contains("no run with results.json", errors);

        var (unknown, _, unknownErrors) = Cli("report", "--results", empty, "--run", "2020");
        Assert.Equal(2, unknown);
        Assert.Contains("no run '2020'", unknownErrors);
    }

    [Theory]
    [InlineData("train", "--label <COLUMN>")]
    [InlineData("run", "--test-requests <N>")]
    [InlineData("calibrate", "--table-seeds <LIST>")]
    public void Help_lists_a_verbs_typed_options(string verb, string option)
    {
        var (code, output, _) = Cli("help", verb);
        Assert.Equal(0, code);
        Assert.Contains(option, output);

        var (flagCode, flagOutput, _) = Cli(verb, "--help");
        Assert.Equal(0, flagCode);
        Assert.Contains(option, flagOutput);
    }

    [Fact]
    public void A_pipeline_folder_without_a_spec_is_named()
    {
        var (code, _, errors) = Cli("prepare", "--pipeline", "sensor-anomaly", "--pipelines", Path.Combine(_dir.Path, "empty"));
        Assert.Equal(2, code);
        Assert.Contains("has no spec", errors);
    }

    public void Dispose() => _dir.Dispose();
}
