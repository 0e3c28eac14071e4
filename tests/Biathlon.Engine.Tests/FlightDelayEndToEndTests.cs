using Biathlon.Engine.Diagnostics;
using Biathlon.Experiments;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Xunit.Abstractions;

namespace Biathlon.Engine.Tests;

/// <summary>Flight-Delay on real data, end to end: the bound holds on held-out requests, exact serving is the model on exact features, and the engine is safe to share.</summary>
[Collection(FlightDelayCollection.Name)]
public sealed class FlightDelayEndToEndTests(FlightDelayFixture pipeline, ITestOutputHelper output)
{
    [Fact]
    public void On_200_held_out_requests_at_least_tau_of_approximate_predictions_are_within_delta_of_exact()
    {
        var report = ReplayReport.Run(pipeline.Engine, pipeline.Test);
        using var writer = new StringWriter();
        report.Print(writer);
        output.WriteLine(writer.ToString());

        Assert.Equal(200, report.Records.Count);
        Assert.True(report.WithinDelta >= pipeline.Engine.Definition.Bound.Tau,
            $"only {report.WithinDelta:P1} within δ = {report.Delta:0.###}; τ = {report.Tau}");
        Assert.True(report.Delta > 0, "δ comes from the model's validation MAE");
        Assert.All(report.Records, r => Assert.True(r.MeanFraction is > 0 and <= 1));
        output.WriteLine($"mean sample fraction {report.MeanFraction:0.000}, mean rounds {report.MeanRounds:0.00}");
    }

    [Fact]
    public void Exact_prediction_is_the_model_applied_to_the_exact_features()
    {
        var engine = pipeline.Engine;
        using var model = Models.OnnxModel.Load(engine.Definition.ModelFile, PredictionTask.Regression);
        foreach (var flight in pipeline.Test.Take(20))
        {
            var features = new float[engine.InputNames.Count];
            new PipelineDiagnostics(engine).ComputeExactFeatures(flight.ToRequest(), features);
            var expected = new float[1];
            model.EvaluateRowMajor(features, 1, expected);
            var exact = engine.PredictExact(flight.ToRequest());
            Assert.True(exact.IsExact);
            Assert.Equal(StopReason.AllExact, exact.StopReason);
            Assert.Equal(1, exact.Confidence);
            // ONNX Runtime here, the native evaluator in the engine: they agree within 1e-5 relative (NativeModelTests).
            Assert.InRange(exact.Value, expected[0] - 1e-5 * Math.Max(1, Math.Abs(expected[0])), expected[0] + 1e-5 * Math.Max(1, Math.Abs(expected[0])));
            Assert.Equal(Models.ModelRuntime.Native, exact.ModelRuntime);
            Assert.All(exact.Queries, q => Assert.Equal(1, q.Fraction));
            Assert.All(exact.Features, f => Assert.Equal(Sampling.Estimators.ErrorKind.Exact, f.Error));
        }
    }

    [Fact]
    public void A_prediction_reports_its_rounds_fractions_features_sensitivity_and_timings()
    {
        var result = pipeline.Engine.Predict(pipeline.Test[0].ToRequest(), new PredictOptions { ExactShortcut = false });
        Assert.True(result.Rounds >= 1);
        Assert.Equal(pipeline.Engine.Definition.Queries.Count, result.Queries.Count);
        Assert.Equal(pipeline.Engine.InputNames, result.Features.Select(f => f.Name).ToArray());
        Assert.All(result.Queries, q => Assert.InRange(q.Fraction, 0.01, 1));
        Assert.True(result.Timings.Total >= result.Timings.Sampling + result.Timings.Propagation);
        Assert.Equal(pipeline.Engine.Delta, result.Delta);
        if (!result.IsExact)
        {
            Assert.Contains(result.Queries, q => q.Fraction < 1);
            Assert.True(result.Confidence >= result.Tau || !result.MeetsBound);
        }
    }

    [Fact]
    public void Per_call_delta_and_tau_override_the_pipeline_bound()
    {
        var request = pipeline.Test[5].ToRequest();
        var strict = pipeline.Engine.Predict(request, new PredictOptions { Delta = 0.01, Tau = 0.999, ExactShortcut = false, MaxRounds = 3 });
        Assert.Equal(0.01, strict.Delta);
        Assert.Equal(0.999, strict.Tau);
        Assert.True(strict.IsExact || strict.StopReason == StopReason.MaxRounds || strict.Confidence >= 0.999);

        // With the shortcut off, tiny queries start at 5% too and their first rounds may lack support; once every
        // feature has an error estimate a bound of 1000 minutes holds at once. (The planner may also finish every
        // query exactly first, when its measured costs say that is cheaper than another round: both meet the bound.)
        var loose = pipeline.Engine.Predict(request, new PredictOptions { Delta = 1000, ExactShortcut = false });
        Assert.Equal(1000, loose.Delta);
        Assert.True(loose.MeetsBound);
        Assert.Contains(loose.StopReason, new[] { StopReason.BoundMet, StopReason.AllExact });
        Assert.Equal(1, loose.Confidence);
    }

    [Fact]
    public void A_deadline_returns_the_best_estimate_so_far_flagged_as_not_meeting_tau()
    {
        var result = pipeline.Engine.Predict(
            pipeline.Test[7].ToRequest(),
            new PredictOptions { Delta = 0.001, Tau = 0.9999, Deadline = TimeSpan.FromTicks(1), ExactShortcut = false });
        Assert.Equal(StopReason.Deadline, result.StopReason);
        Assert.False(result.MeetsBound);
        Assert.Equal(1, result.Rounds);
        Assert.True(double.IsFinite(result.Value));
    }

    [Fact]
    public void Cancellation_stops_a_request_between_rounds()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => pipeline.Engine.Predict(
            pipeline.Test[9].ToRequest(), new PredictOptions { Delta = 0.001, Tau = 0.9999, ExactShortcut = false }, cancelled.Token));
    }

    [Fact]
    public void Concurrent_requests_on_one_engine_give_the_sequential_exact_results_and_meet_the_bound()
    {
        var engine = pipeline.Engine;
        var requests = pipeline.Test.Take(60).ToArray();
        var sequential = requests.Select(r => engine.PredictExact(r.ToRequest()).Value).ToArray();
        var parallelExact = new double[requests.Length];
        var parallelApproximate = new PredictionResult[requests.Length];
        Parallel.For(0, requests.Length * 2, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var r = i / 2;
            if (i % 2 == 0)
            {
                parallelExact[r] = engine.PredictExact(requests[r].ToRequest()).Value;
            }
            else
            {
                parallelApproximate[r] = engine.Predict(requests[r].ToRequest());
            }
        });

        Assert.Equal(sequential, parallelExact);
        var within = parallelApproximate.Select((p, r) => Math.Abs(p.Value - sequential[r]) <= engine.Delta).Count(x => x);
        Assert.True(within >= 0.95 * requests.Length, $"{within} of {requests.Length} within δ");
    }
}
