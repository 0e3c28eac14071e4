using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Biathlon.Engine.Models;
using Biathlon.Planner.Propagation;

namespace Biathlon.Tutorial.Tests;

/// <summary>
/// docs/your-own-pipeline.md, done as a new user does it: a dataset no built-in pipeline uses (vega-datasets'
/// weather.csv), a pipeline folder written from the page alone, trained, measured and reported by the harness CLI,
/// served by the scoring server and embedded through the packed NuGet package. No C# for the pipeline: the page's
/// commands run verbatim, then this test checks what they left behind.
/// </summary>
public sealed class YourOwnPipelineTutorialTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(25);

    [Fact]
    public void The_tutorial_runs_end_to_end_and_each_step_leaves_what_the_page_promises()
    {
        var page = Path.Combine(RealData.RepositoryRoot, "docs", "your-own-pipeline.md");
        var (script, commands, files) = TutorialScript.FromMarkdown(page);
        Assert.True(commands >= 6, $"the page has {commands} runnable bash blocks");
        Assert.Equal(1, files);

        using var work = new TempDirectory();
        var (exitCode, log) = RunScript(script, work.Path);
        Assert.True(exitCode == 0, $"the tutorial's commands failed (exit {exitCode}):\n{Tail(log)}");

        // Steps 1 and 3: the user's folder holds their data and the spec from the page; no file of it is in the repository.
        var pipeline = Path.Combine(work.Path, "weather");
        Assert.True(File.Exists(Path.Combine(pipeline, "weather.csv")));
        Assert.False(File.Exists(Path.Combine(RealData.RepositoryRoot, "pipelines", "weather", "pipeline.json")));

        // Step 4: train wrote the model with its validation error (δ when a spec asks for it by metadata).
        using (var model = OnnxModel.Load(Path.Combine(pipeline, "model.onnx"), PredictionTask.Regression))
        {
            var mae = double.Parse(model.Metadata["validation_mae"], CultureInfo.InvariantCulture);
            Assert.InRange(mae, 0.1, 10.0); // °C: a model that learnt nothing errs by far more than 10 °C on daily maxima
            Assert.Equal(13, model.InputWidth); // 2 one-hot location columns + 11 other inputs
        }

        // Step 5: run replayed 200 held-out requests per method; report wrote the report.
        var run = Path.Combine(work.Path, "results", "tutorial");
        using (var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))))
        {
            var methods = results.RootElement.GetProperty("methods").EnumerateArray()
                .Where(m => m.GetProperty("pipeline").GetString() == "weather")
                .ToDictionary(m => m.GetProperty("method").GetString()!, m => m.GetProperty("requests").GetInt32());
            foreach (var method in new[] { "exact", "biathlon", "duckdb" })
            {
                Assert.True(methods.TryGetValue(method, out var requests), $"results.json lacks method {method}: {string.Join(", ", methods.Keys)}");
                Assert.Equal(200, requests);
            }
        }

        var report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("| weather | regression |", report, StringComparison.Ordinal);
        Assert.Contains("per request (`tolerance`)", report, StringComparison.Ordinal); // δ comes from the request field

        // Step 6: the server answered with the request's own δ, and refused an undeclared category naming the field.
        using (var served = JsonDocument.Parse(File.ReadAllText(Path.Combine(work.Path, "served.json"))))
        {
            var value = served.RootElement.GetProperty("value").GetDouble();
            Assert.InRange(value, -30.0, 50.0); // a daily maximum in °C in Seattle in July
            Assert.Equal(1.5, served.RootElement.GetProperty("delta").GetDouble(), 9);
        }

        using (var refused = JsonDocument.Parse(File.ReadAllText(Path.Combine(work.Path, "unknown-location.json"))))
        {
            Assert.Equal(400, refused.RootElement.GetProperty("status").GetInt32());
            Assert.Equal("request.location", refused.RootElement.GetProperty("field").GetString());
        }

        // Step 7: the sample, built against the packed package, answered both requests; the second with its own δ.
        var answers = File.ReadAllLines(Path.Combine(work.Path, "embedded.jsonl")).Where(l => l.Length > 0).ToArray();
        Assert.Equal(2, answers.Length);
        using (var first = JsonDocument.Parse(answers[0]))
        using (var second = JsonDocument.Parse(answers[1]))
        {
            Assert.True(double.IsFinite(first.RootElement.GetProperty("prediction").GetDouble()));
            Assert.Equal(2.0, first.RootElement.GetProperty("delta").GetDouble(), 9);  // the spec's fill
            Assert.Equal(1.0, second.RootElement.GetProperty("delta").GetDouble(), 9); // the request's tolerance
        }
    }

    /// <summary>Runs the page's script with bash in the repository root, <c>TUTORIAL</c> set to <paramref name="folder"/>.</summary>
    private static (int ExitCode, string Log) RunScript(string script, string folder)
    {
        var file = Path.Combine(folder, "tutorial.sh");
        File.WriteAllText(file, script);
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RealData.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(file);
        start.Environment["TUTORIAL"] = folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"timed out after {s_limit}\n{output.Result}\n{errors.Result}");
        }

        return (process.ExitCode, output.Result + "\n" + errors.Result);
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];
}
