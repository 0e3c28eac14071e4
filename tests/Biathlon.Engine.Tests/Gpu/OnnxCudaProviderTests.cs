using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// ONNX Runtime's CUDA execution provider, compile-tested: the engine asks for it on a CUDA backend, and a process
/// holding ONNX Runtime's CPU build (this repository's, and CI's) gets a session on the CPU that says why, with the same
/// predictions. Where the GPU build and a GPU are present, the provider is taken and the same agreement must hold.
/// </summary>
public sealed class OnnxCudaProviderTests
{
    [Fact]
    public void Asking_for_the_cuda_provider_serves_the_same_predictions_and_names_the_provider_used()
    {
        var onnx = OnnxExporter.Regressor(GpuTestModels.Forest(seed: 5, trees: 16), GpuTestModels.Width);
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, onnx);

        using var cpu = OnnxModel.Load(path, PredictionTask.Regression);
        using var cuda = OnnxModel.Load(path, PredictionTask.Regression, new OnnxModelOptions { CudaExecutionProvider = true });
        Assert.Equal("CPU", cpu.ExecutionProvider);
        Assert.True(cuda.ExecutionProvider == "CUDA" || cuda.ExecutionProvider.StartsWith("CPU (the CUDA execution provider is not available", StringComparison.Ordinal),
            cuda.ExecutionProvider);

        const int rows = 64;
        var inputs = new float[rows * GpuTestModels.Width];
        var random = new Random(9);
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)random.NextDouble();
        }

        var expected = new float[rows];
        var actual = new float[rows];
        cpu.Evaluate(inputs, rows, expected);
        cuda.Evaluate(inputs, rows, actual);
        Assert.True(expected.Distinct().Count() > 1, "the inputs reach more than one leaf combination");
        for (var r = 0; r < rows; r++)
        {
            Assert.Equal(expected[r], actual[r], 1e-5f * (1 + Math.Abs(expected[r])));
        }
    }
}
