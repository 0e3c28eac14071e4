using Biathlon.Engine.Models.Native;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// A request's design evaluator: after <see cref="IDesignEvaluator.Specialize"/> with random constant inputs, its
/// outputs on a Saltelli design equal the full model's (<see cref="NativeModel.Evaluate"/>) on the same rows. The SIMD
/// backend is the specialising <see cref="NativeDesignEvaluator"/>; the device backends are a
/// <see cref="Models.Gpu.GpuDesignEvaluator"/> through the direct launcher, which evaluates the full model on the device.
/// </summary>
public abstract class DesignEvaluatorTests
{
    private readonly ModelBackend _backend;

    private protected DesignEvaluatorTests(ModelBackend backend) => _backend = backend;

    [SkippableFact]
    public void Forest_designs_agree_with_the_full_model()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        AssertDesignsAgree(GpuTestModels.ForestRegressor(31), PredictionTask.Regression, seed: 31);
    }

    [SkippableFact]
    public void Linear_designs_agree_and_the_affine_form_is_the_CPU_evaluator_s()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var model = GpuTestModels.LinearRegressor(32);
        AssertDesignsAgree(model, PredictionTask.Regression, seed: 32);

        var (evaluator, owner) = _backend.CreateDesignEvaluator(model);
        using var _ = owner;
        var reference = new NativeDesignEvaluator(model);
        int[] groups = [0, 1, 2, 3, 4];
        bool[] constant = [true, false, false, true, false];
        float[] values = [0.3f, 0, 0, 0.9f, 0];
        evaluator.Specialize(groups, constant, values);
        reference.Specialize(groups, constant, values);
        var (weights, expectedWeights) = (new double[5], new double[5]);
        Assert.True(evaluator.TryGetAffine(weights, out var intercept));
        Assert.True(reference.TryGetAffine(expectedWeights, out var expectedIntercept));
        Assert.Equal(expectedWeights, weights);
        Assert.Equal(expectedIntercept, intercept);
        Assert.NotEqual(0, intercept);
    }

    [SkippableFact]
    public void Mlp_designs_agree_with_the_full_model()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        AssertDesignsAgree(GpuTestModels.MlpRegressor(33), PredictionTask.Regression, seed: 33);
    }

    [SkippableFact]
    public void Classifier_designs_agree_with_the_full_model()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        AssertDesignsAgree(GpuTestModels.MlpMulticlass(34, GpuTestModels.Rows(34, 200)), PredictionTask.Classification, seed: 34);
    }

    /// <summary>Four designs (N = 8, groups {0}, {1, 2}, {3}, {4}) with random constants, on one evaluator.</summary>
    private void AssertDesignsAgree(NativeModel model, PredictionTask task, int seed)
    {
        var rng = new Random(seed);
        int[] groupOfInput = [0, 1, 1, 2, 3];
        const int n = 8;
        var (evaluator, owner) = _backend.CreateDesignEvaluator(model);
        using var _ = owner;
        var seen = new HashSet<float>();
        for (var trial = 0; trial < 4; trial++)
        {
            var constant = new bool[GpuTestModels.Width];
            var values = new float[GpuTestModels.Width];
            for (var j = 0; j < constant.Length; j++)
            {
                constant[j] = rng.NextDouble() < 0.4;
                values[j] = (float)rng.NextDouble();
            }

            constant[trial % constant.Length] = false;
            var groups = Enumerable.Range(0, 4).Where(g => Enumerable.Range(0, constant.Length).Any(j => groupOfInput[j] == g && !constant[j])).ToArray();
            var layout = new SaltelliLayout(n, groups);
            var rows = layout.Rows;
            var inputs = new float[rows * constant.Length];
            for (var j = 0; j < constant.Length; j++)
            {
                var column = inputs.AsSpan(j * rows, rows);
                if (constant[j])
                {
                    column.Fill(values[j]);
                    continue;
                }

                for (var i = 0; i < 2 * n; i++)
                {
                    column[i] = (float)rng.NextDouble();
                }

                for (var b = 0; b < groups.Length; b++)
                {
                    var source = groups[b] == groupOfInput[j] ? n : 0; // AB_b takes B's values in its group, A's elsewhere
                    column.Slice(source, n).CopyTo(column.Slice(layout.BlockStart(b), n));
                }
            }

            evaluator.Specialize(groupOfInput, constant, values);
            var expected = new float[rows];
            var actual = new float[rows];
            model.Evaluate(inputs, rows, expected);
            evaluator.Evaluate(inputs, layout, actual);
            for (var r = 0; r < rows; r++)
            {
                var ok = task == PredictionTask.Classification ? expected[r] == actual[r] : Math.Abs(expected[r] - actual[r]) <= 1e-5 * Math.Max(1, Math.Abs(expected[r]));
                Assert.True(ok, $"{model.Summary} on {_backend.Name}, design {trial}, row {r}: expected {expected[r]}, got {actual[r]}");
                seen.Add(expected[r]);
            }
        }

        Assert.True(seen.Count > (task == PredictionTask.Classification ? 1 : 10), $"{model.Summary}: the designs' outputs barely vary ({seen.Count} distinct)");
    }
}

public sealed class SimdDesignEvaluatorTests() : DesignEvaluatorTests(ModelBackend.Simd);

public sealed class CpuSimulatorDesignEvaluatorTests(CpuSimulatorFixture fixture)
    : DesignEvaluatorTests(ModelBackend.Device(fixture.Device, "")), IClassFixture<CpuSimulatorFixture>;

public sealed class CudaDesignEvaluatorTests(CudaFixture fixture)
    : DesignEvaluatorTests(ModelBackend.Device(fixture.Device, fixture.Reason)), IClassFixture<CudaFixture>;
