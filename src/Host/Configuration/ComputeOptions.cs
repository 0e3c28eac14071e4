using Biathlon.Engine.Compute;

namespace Biathlon.Host.Configuration;

/// <summary>
/// The compute backend of every pipeline the server loads: configuration section <c>Biathlon:Compute</c>. The choice
/// is logged at load and shown per pipeline in <c>/readyz</c>, <c>GET /v1/pipelines/{name}</c> and every result.
/// </summary>
internal sealed class ComputeOptions
{
    /// <summary><c>auto</c> (default: CUDA when ILGPU finds a device, else CPU), <c>cpu</c>, <c>cuda</c> (a pipeline fails to load without a device) or <c>gpuSimulator</c> (tests only).</summary>
    public ComputeBackend Backend { get; set; } = ComputeBackend.Auto;

    /// <summary>Longest a device launch waits for concurrent requests' work, in microseconds (default 200, at most 10,000; 0 turns batching off). A lone request never waits.</summary>
    public double BatchWaitMicroseconds { get; set; } = 200;

    /// <summary>Device memory the pipelines may hold on the GPU, in MiB (default 0: half the device).</summary>
    public long DeviceMemoryBudgetMiB { get; set; }
}
