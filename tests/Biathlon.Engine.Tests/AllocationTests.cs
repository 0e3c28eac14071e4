using Biathlon.Engine.Models;
using Biathlon.Planner.Propagation;
using Xunit.Abstractions;

namespace Biathlon.Engine.Tests;

/// <summary>
/// Steady-state managed allocation of one request on the real Flight-Delay pipeline, counted with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> around each call after every request was served once (pooled
/// request contexts, cursors and buffers warm). What is counted: everything the calling thread allocates during the
/// call. What is subtracted, and measured here rather than assumed: the result object (a <see cref="PredictionResult"/>
/// with its Queries and Features arrays, rebuilt with the same lengths) and, only when the pipeline's model runs on ONNX
/// Runtime, its managed allocation per model call (timed on a second session of the same model, at 1 row and at the
/// QMC batch's rows), times the request's model calls. Flight-delay's model runs on the native evaluator
/// (<c>model.runtime: auto</c>), so there nothing is exempt but the result: the model calls are counted too.
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class AllocationTests(FlightDelayFixture pipeline, ITestOutputHelper output)
{
    /// <summary>Bytes a request may allocate besides its result object and ONNX Runtime's own allocation.</summary>
    private const long Budget = 2048;

    private const int Requests = 24;

    /// <summary>
    /// PredictExact: one single-row model call per request. 24 held-out June requests, each served twice before the
    /// measured call.
    /// </summary>
    [Fact]
    public void PredictExact_allocates_at_most_the_budget_besides_its_result_and_the_model_call()
    {
        var engine = pipeline.Engine;
        var requests = pipeline.Test.Take(Requests).Select(r => r.ToRequest()).ToArray();
        var (single, _) = OnnxAllocation(engine);
        foreach (var request in requests)
        {
            engine.PredictExact(request);
            engine.PredictExact(request);
        }

        long total = 0, results = 0;
        foreach (var request in requests)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var result = engine.PredictExact(request);
            total += GC.GetAllocatedBytesForCurrentThread() - before;
            results += ResultBytes(result);
        }

        var perRequest = (double)total / Requests;
        var resultBytes = (double)results / Requests;
        var engineBytes = perRequest - resultBytes - single;
        output.WriteLine($"PredictExact: {perRequest:F0} B per request = result {resultBytes:F0} B + ONNX Runtime {single} B (1 single-row call) + engine {engineBytes:F0} B");
        Assert.True(engineBytes <= Budget, $"PredictExact allocates {engineBytes:F0} B besides its result and the model call (budget {Budget} B).");
    }

    /// <summary>
    /// Predict with the exact shortcut off (so a request's rounds depend on the request alone and replay): 24 held-out
    /// June requests. A round calls the model at most once: a QMC batch when it propagates, one row when it stops on
    /// exact features or point estimates; each request's calls are read off replays stopped after 1, 2, … rounds.
    /// </summary>
    [Fact]
    public void Predict_allocates_at_most_the_budget_besides_its_result_and_the_model_calls()
    {
        var engine = pipeline.Engine;
        var options = new PredictOptions { ExactShortcut = false };
        var requests = pipeline.Test.Take(Requests).Select(r => r.ToRequest()).ToArray();
        var (single, batch) = OnnxAllocation(engine);
        var onnx = new long[Requests];
        var rounds = 0;
        for (var i = 0; i < Requests; i++)
        {
            var full = engine.Predict(requests[i], options);
            engine.Predict(requests[i], options);
            rounds += full.Rounds;
            onnx[i] = OnnxBytes(full, single, batch);
            for (var k = 1; k < full.Rounds; k++)
            {
                // Round k of the full run is the last round of a run stopped after k rounds: it called the QMC batch when that run's value came from it.
                var stopped = engine.Predict(requests[i], new PredictOptions { ExactShortcut = false, MaxRounds = k });
                onnx[i] += stopped.ValueKind == ValueKind.QmcMean ? batch : 0;
            }
        }

        long total = 0, results = 0;
        for (var i = 0; i < Requests; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var result = engine.Predict(requests[i], options);
            total += GC.GetAllocatedBytesForCurrentThread() - before;
            results += ResultBytes(result);
        }

        var perRequest = (double)total / Requests;
        var resultBytes = (double)results / Requests;
        var onnxBytes = (double)onnx.Sum() / Requests;
        var engineBytes = perRequest - resultBytes - onnxBytes;
        output.WriteLine(
            $"Predict: {perRequest:F0} B per request ({(double)rounds / Requests:F2} rounds) = result {resultBytes:F0} B + ONNX Runtime {onnxBytes:F0} B "
            + $"({single} B a single-row call, {batch} B a QMC batch) + engine {engineBytes:F0} B");
        Assert.True(engineBytes <= Budget, $"Predict allocates {engineBytes:F0} B besides its result and the model calls (budget {Budget} B).");
    }

    /// <summary>ONNX Runtime's bytes for the last round's call of <paramref name="result"/>: a QMC batch when its value came from one, else one row.</summary>
    private static long OnnxBytes(PredictionResult result, long single, long batch) =>
        result.ValueKind is ValueKind.QmcMean or ValueKind.QmcMode ? batch : single;

    /// <summary>Managed bytes of one model call on a second session of the pipeline's model, after warm-up: (1 row, the QMC batch); the larger of 5 calls each.</summary>
    private static (long Single, long Batch) OnnxAllocation(BiathlonEngine engine)
    {
        if (engine.ModelRuntime != ModelRuntime.OnnxRuntime)
        {
            return (0, 0); // the native evaluator's allocations are the engine's: counted, not subtracted
        }

        using var model = OnnxModel.Load(engine.Definition.ModelFile, engine.Definition.Task);
        var width = engine.InputNames.Count;
        var queries = engine.Definition.Queries.Count;
        var groupOfInput = engine.Definition.Inputs.Select(i => i.Query >= 0 ? i.Query : queries).ToArray();
        var rows = new UncertaintyPropagator(groupOfInput, new PropagationOptions(baseSamples: engine.Definition.Planner.BaseSamples)).MaxRows;
        var inputs = new float[rows * width];
        var outputs = new float[rows];
        long Measure(int count)
        {
            model.Evaluate(inputs, count, outputs);
            long most = 0;
            for (var i = 0; i < 5; i++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                model.Evaluate(inputs.AsSpan(0, count * width), count, outputs);
                most = Math.Max(most, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            return most;
        }

        return (Measure(1), Measure(rows));
    }

    /// <summary>Bytes of a result object like <paramref name="result"/>: the object and its two arrays, rebuilt with the same lengths.</summary>
    private static long ResultBytes(PredictionResult result)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var copy = new PredictionResult
        {
            Value = result.Value,
            ValueKind = result.ValueKind,
            BoundKind = result.BoundKind,
            Delta = result.Delta,
            RequestedDelta = result.RequestedDelta,
            Tau = result.Tau,
            Confidence = result.Confidence,
            ErrorAtTau = result.ErrorAtTau,
            MeetsBound = result.MeetsBound,
            IsExact = result.IsExact,
            StopReason = result.StopReason,
            Rounds = result.Rounds,
            Queries = new QueryOutcome[result.Queries.Count],
            Features = new FeatureOutcome[result.Features.Count],
            Timings = result.Timings,
        };
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(copy);
        return bytes;
    }
}
