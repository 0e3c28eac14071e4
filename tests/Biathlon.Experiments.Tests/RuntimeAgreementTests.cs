using Biathlon.Engine;
using Biathlon.Engine.Models;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Propagation;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The engine serves the same predictions whichever runtime evaluates the model: every built-in pipeline, prepared as
/// the harness prepares it (quick sizes: 400 training and 100 validation requests, seed 0) on a copy of its spec, is
/// loaded twice, with <see cref="EngineOptions.ModelRuntime"/> forced to the native evaluator and to ONNX Runtime, and
/// its first 40 held-out test requests are served by both, exactly and approximately with the exact shortcut off (so
/// no answer depends on measured timings and both engines make the same seeded draws).
/// </summary>
/// <remarks>
/// Exact predictions: within 1e-5 relative to max(1, |value|) (classification: the same label). Approximate predictions: the native and
/// ONNX Runtime outputs of one design differ by float rounding only, which can move a QMC output across the δ edge and
/// change a confidence, hence a stop; so at least 38 of the 40 requests must take the same number of rounds, and those
/// must agree within 1e-4 relative to max(1, |value|) (classification: the same label).
/// </remarks>
public sealed class RuntimeAgreementTests(ITestOutputHelper output) : IDisposable
{
    private const int Requests = 40;
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Pipelines => new() { "flight-delay", "flight-late", "pm10-forecast", "fx-next-price", "sensor-anomaly" };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public async Task Native_and_onnxruntime_engines_serve_the_same_predictions(string name)
    {
        var (folder, requests) = await PreparedCopy.PrepareAsync(_dir.Path, name, RecipeSizes.Quick);

        using var native = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory, ModelRuntime = ModelRuntime.Native });
        using var onnx = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory, ModelRuntime = ModelRuntime.OnnxRuntime });
        Assert.Equal(ModelRuntime.Native, native.ModelRuntime);
        Assert.Equal(ModelRuntime.OnnxRuntime, onnx.ModelRuntime);
        var classification = native.Definition.Task == PredictionTask.Classification;
        var options = new PredictOptions { ExactShortcut = false };

        int sameRounds = 0, propagated = 0;
        double worstExact = 0, worstApproximate = 0;
        foreach (var request in requests.Test.Take(Requests))
        {
            var exactNative = native.PredictExact(request.ToRequest());
            var exactOnnx = onnx.PredictExact(request.ToRequest());
            Assert.Equal(ModelRuntime.Native, exactNative.ModelRuntime);
            Assert.Equal(ModelRuntime.OnnxRuntime, exactOnnx.ModelRuntime);
            worstExact = Math.Max(worstExact, Check(exactNative.Value, exactOnnx.Value, 1e-5, classification, "exact"));

            var approximateNative = native.Predict(request.ToRequest(), options);
            var approximateOnnx = onnx.Predict(request.ToRequest(), options);
            Assert.False(approximateNative.DependsOnMeasuredCosts);
            if (approximateNative.Rounds != approximateOnnx.Rounds)
            {
                continue;
            }

            sameRounds++;
            propagated += approximateNative.ValueKind is ValueKind.QmcMean or ValueKind.QmcMode ? 1 : 0;
            Assert.Equal(approximateNative.StopReason, approximateOnnx.StopReason);
            worstApproximate = Math.Max(worstApproximate, Check(approximateNative.Value, approximateOnnx.Value, 1e-4, classification, "approximate"));
        }

        output.WriteLine($"{name}: {Requests} requests, worst relative difference exact {worstExact:E2}, approximate {worstApproximate:E2}; "
            + $"{sameRounds} took the same rounds, {propagated} of them ended on a propagated round");
        Assert.True(sameRounds >= Requests - 2, $"{name}: only {sameRounds} of {Requests} requests took the same number of rounds under both runtimes");
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The relative difference of two predictions, asserted at most <paramref name="tolerance"/> (labels: equal).</summary>
    private static double Check(double native, double onnx, double tolerance, bool classification, string what)
    {
        if (classification)
        {
            Assert.True(native == onnx, $"{what}: native label {native}, ONNX Runtime label {onnx}");
            return 0;
        }

        var relative = Math.Abs(native - onnx) / Math.Max(1, Math.Abs(onnx));
        Assert.True(relative <= tolerance, $"{what}: native {native}, ONNX Runtime {onnx} (relative difference {relative:E2} > {tolerance:E0})");
        return relative;
    }
}
