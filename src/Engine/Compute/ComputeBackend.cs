namespace Biathlon.Engine.Compute;

/// <summary>Where an engine computes sampled aggregates and evaluates its model (<see cref="EngineOptions.Compute"/>).</summary>
public enum ComputeBackend
{
    /// <summary>CUDA when ILGPU finds a CUDA device, else the CPU. The default.</summary>
    Auto,

    /// <summary>The SIMD CPU path, whatever devices exist.</summary>
    Cpu,

    /// <summary>CUDA; loading fails with a clear error when ILGPU finds no CUDA device.</summary>
    Cuda,

    /// <summary>
    /// ILGPU's CPU accelerator standing in for a GPU: the GPU path (kernels, batching, device memory, fallback) run
    /// without a GPU, for tests and dry runs. Far slower than <see cref="Cpu"/>; never for production.
    /// </summary>
    GpuSimulator,
}
