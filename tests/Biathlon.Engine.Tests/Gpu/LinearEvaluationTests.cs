using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>Linear models (the dense kernel, one layer): every backend agrees with the native evaluator block by block.</summary>
public abstract class LinearEvaluationTests
{
    private readonly ModelBackend _backend;

    private protected LinearEvaluationTests(ModelBackend backend) => _backend = backend;

    [SkippableFact]
    public void One_row()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.LinearRegressor(11), PredictionTask.Regression, GpuTestModels.Blocks(11, [1]), "linear, one row", mustVary: false);
    }

    [SkippableFact]
    public void Many_rows()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.LinearRegressor(12), PredictionTask.Regression, GpuTestModels.Blocks(12, [400]), "linear, 400 rows");
    }

    [SkippableFact]
    public void A_batch_of_blocks_of_different_sizes_from_different_requests()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.LinearRegressor(13), PredictionTask.Regression, GpuTestModels.Blocks(13, [3, 90, 0, 1, 26]), "linear, 5 blocks");
    }

    [SkippableFact]
    public void Blocks_with_NaN_are_evaluated_as_on_the_CPU()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var blocks = GpuTestModels.Blocks(14, [20, 20, 20], nanBlocks: [0, 2]);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.LinearRegressor(14), PredictionTask.Regression, blocks, "linear, NaN in blocks 0 and 2", mustVary: false);
        Assert.True(float.IsNaN(blocks[0].Outputs.Span[10]), "the NaN row of block 0 predicts NaN");
        Assert.False(float.IsNaN(blocks[1].Outputs.Span[10]));
    }

    [SkippableFact]
    public void A_binary_classifier_thresholds_its_calibrated_probability()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var blocks = GpuTestModels.Blocks(15, [60, 9]);
        var model = GpuTestModels.LinearClassifier(15, GpuTestModels.Rows(15 * 31, 60));
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Classification, blocks, "linear classifier");
    }
}

public sealed class SimdLinearEvaluationTests() : LinearEvaluationTests(ModelBackend.Simd);

public sealed class CpuSimulatorLinearEvaluationTests(CpuSimulatorFixture fixture)
    : LinearEvaluationTests(ModelBackend.Device(fixture.Device, "")), IClassFixture<CpuSimulatorFixture>;

public sealed class CudaLinearEvaluationTests(CudaFixture fixture)
    : LinearEvaluationTests(ModelBackend.Device(fixture.Device, fixture.Reason)), IClassFixture<CudaFixture>;
