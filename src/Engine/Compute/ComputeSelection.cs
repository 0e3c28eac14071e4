using Biathlon.Compute.Devices;
using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Compute;

/// <summary>Resolves <see cref="EngineOptions.Compute"/> to a backend and, for a GPU backend, the shared device.</summary>
internal static class ComputeSelection
{
    /// <summary>The longest <see cref="EngineOptions.ComputeBatchWait"/> accepted: beyond it batching costs more latency than it saves.</summary>
    public static readonly TimeSpan MaxBatchWait = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The backend to run and its device (null on the CPU), with the reason. Throws <see cref="ConfigurationException"/>
    /// naming the option when it is out of range, or when CUDA is forced and ILGPU finds no device.
    /// </summary>
    public static (ComputeBackend Backend, ComputeDevice? Device, string Reason) Choose(EngineOptions options)
    {
        if (options.ComputeBatchWait < TimeSpan.Zero || options.ComputeBatchWait > MaxBatchWait)
        {
            throw new ConfigurationException("ComputeBatchWait", $"The compute batch wait must lie in [0, {MaxBatchWait.TotalMilliseconds} ms] (got {options.ComputeBatchWait.TotalMilliseconds} ms).");
        }

        if (options.DeviceMemoryBudget < 0)
        {
            throw new ConfigurationException("DeviceMemoryBudget", $"The device memory budget must be 0 (half the device) or a positive byte count (got {options.DeviceMemoryBudget}).");
        }

        switch (options.Compute)
        {
            case ComputeBackend.Cpu:
                return (ComputeBackend.Cpu, null, "forced");
            case ComputeBackend.GpuSimulator:
            {
                var simulator = SharedDevices.Acquire(DeviceKind.CpuSimulator, options.DeviceMemoryBudget, out var why);
                return (ComputeBackend.GpuSimulator, simulator, why);
            }

            case ComputeBackend.Cuda:
            {
                var cuda = SharedDevices.Acquire(DeviceKind.Cuda, options.DeviceMemoryBudget, out var why)
                    ?? throw new ConfigurationException("Compute", $"The compute backend is forced to CUDA, but {why}. Use auto or cpu.");
                return (ComputeBackend.Cuda, cuda, "forced");
            }

            case ComputeBackend.Auto:
            {
                var cuda = SharedDevices.Acquire(DeviceKind.Cuda, options.DeviceMemoryBudget, out var why);
                return cuda is null ? (ComputeBackend.Cpu, null, $"auto: {why}") : (ComputeBackend.Cuda, cuda, $"auto: {why}");
            }

            default:
                throw new ConfigurationException("Compute", $"Unknown compute backend {(int)options.Compute}: use auto, cpu, cuda or gpuSimulator.");
        }
    }
}
