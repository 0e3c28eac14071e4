using Biathlon.Engine.Models.Export;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// Tree ensembles (the forest kernel): every backend writes, for every block of a batch, what
/// <see cref="Models.Native.NativeModel.Evaluate"/> writes for that block alone. Inputs are small: the CPU simulator
/// costs about 1 µs per device thread.
/// </summary>
public abstract class ForestEvaluationTests
{
    private readonly ModelBackend _backend;

    private protected ForestEvaluationTests(ModelBackend backend) => _backend = backend;

    [SkippableFact]
    public void One_row()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var model = GpuTestModels.ForestRegressor(seed: 1);
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Regression, GpuTestModels.Blocks(1, [1]), "forest, one row", mustVary: false);
    }

    [SkippableFact]
    public void Many_rows()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var model = GpuTestModels.ForestRegressor(seed: 2);
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Regression, GpuTestModels.Blocks(2, [300]), "forest, 300 rows");
    }

    [SkippableFact]
    public void A_batch_of_blocks_of_different_sizes_from_different_requests()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var model = GpuTestModels.ForestRegressor(seed: 3);
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Regression, GpuTestModels.Blocks(3, [7, 0, 64, 1, 33]), "forest, 5 blocks");
    }

    [SkippableFact]
    public void Averaged_trees_with_a_bias()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var model = GpuTestModels.ForestRegressor(seed: 4, trees: 9, aggregation: TreeAggregation.Average);
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Regression, GpuTestModels.Blocks(4, [40, 21]), "averaged forest");
    }

    [SkippableFact]
    public void Blocks_with_NaN_follow_the_missing_value_rules()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var model = GpuTestModels.ForestRegressor(seed: 5);
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Regression, GpuTestModels.Blocks(5, [30, 30, 12], nanBlocks: [1]), "forest, NaN in block 1");
    }

    [SkippableFact]
    public void A_binary_classifier_thresholds_its_calibrated_probability()
    {
        Skip.If(_backend.Unavailable is not null, _backend.Unavailable);
        var blocks = GpuTestModels.Blocks(6, [50, 17]);
        var model = GpuTestModels.ForestClassifier(seed: 6, GpuTestModels.Rows(6 * 31, 50));
        GpuTestModels.AssertAgrees(_backend, model, PredictionTask.Classification, blocks, "forest classifier");
    }
}

public sealed class SimdForestEvaluationTests() : ForestEvaluationTests(ModelBackend.Simd);

public sealed class CpuSimulatorForestEvaluationTests(CpuSimulatorFixture fixture)
    : ForestEvaluationTests(ModelBackend.Device(fixture.Device, "")), IClassFixture<CpuSimulatorFixture>;

public sealed class CudaForestEvaluationTests(CudaFixture fixture)
    : ForestEvaluationTests(ModelBackend.Device(fixture.Device, fixture.Reason)), IClassFixture<CudaFixture>;
