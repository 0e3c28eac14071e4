using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// MLPs (the dense kernel, one launch per layer with ReLU, sigmoid or tanh fused): every backend agrees with the
/// native evaluator block by block, including the CPU steps after the device prefix (softmax, arg-max, thresholds).
/// </summary>
public abstract class MlpEvaluationTests
{
    private readonly ModelBackend _backend;

    private protected MlpEvaluationTests(ModelBackend backend) => _backend = backend;

    [SkippableFact]
    public void One_row()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.MlpRegressor(21), PredictionTask.Regression, GpuTestModels.Blocks(21, [1]), "MLP, one row", mustVary: false);
    }

    [SkippableFact]
    public void Many_rows()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.MlpRegressor(22), PredictionTask.Regression, GpuTestModels.Blocks(22, [200]), "MLP, 200 rows");
    }

    [SkippableFact]
    public void A_batch_of_blocks_of_different_sizes_from_different_requests()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.MlpRegressor(23), PredictionTask.Regression, GpuTestModels.Blocks(23, [16, 1, 0, 45, 8]), "MLP, 5 blocks");
    }

    [SkippableFact]
    public void Blocks_with_NaN_are_evaluated_as_on_the_CPU()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var blocks = GpuTestModels.Blocks(24, [25, 25], nanBlocks: [1]);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.MlpRegressor(24), PredictionTask.Regression, blocks, "MLP, NaN in block 1", mustVary: false);
    }

    [SkippableFact]
    public void A_binary_classifier_thresholds_its_sigmoid_output()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var blocks = GpuTestModels.Blocks(25, [40, 13]);
        var model = GpuTestModels.MlpClassifier(25, GpuTestModels.Rows(25 * 31, 40));
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Classification, blocks, "binary MLP");
    }

    [SkippableFact]
    public void A_multiclass_classifier_takes_the_arg_max_of_its_softmax()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.MlpMulticlass(26, GpuTestModels.Rows(26, 200)), PredictionTask.Classification, GpuTestModels.Blocks(26, [60, 5]), "multiclass MLP");
    }

    [SkippableFact]
    public void A_tanh_layer()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.TanhNetwork(27, skip: false), PredictionTask.Regression, GpuTestModels.Blocks(27, [50, 11]), "tanh network");
    }

    [SkippableFact]
    public void An_affine_value_read_twice_stays_for_the_CPU_steps()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        GpuTestModels.AssertAgrees(_backend, GpuTestModels.TanhNetwork(28, skip: true), PredictionTask.Regression, GpuTestModels.Blocks(28, [50, 11]), "tanh network with a skip connection");
    }
}

public sealed class SimdMlpEvaluationTests() : MlpEvaluationTests(ModelBackend.Simd);

public sealed class CpuSimulatorMlpEvaluationTests(CpuSimulatorFixture fixture)
    : MlpEvaluationTests(ModelBackend.Device(fixture.Device, "")), IClassFixture<CpuSimulatorFixture>;

public sealed class CudaMlpEvaluationTests(CudaFixture fixture)
    : MlpEvaluationTests(ModelBackend.Device(fixture.Device, fixture.Reason)), IClassFixture<CudaFixture>;
