namespace Biathlon.Engine.Compute;

/// <summary>The compute backend an engine chose at load, and why (<see cref="BiathlonEngine.Compute"/>, the server's <c>/readyz</c>).</summary>
/// <param name="Requested">What <see cref="EngineOptions.Compute"/> asked for.</param>
/// <param name="Backend">What runs: <see cref="ComputeBackend.Cpu"/>, <see cref="ComputeBackend.Cuda"/> or <see cref="ComputeBackend.GpuSimulator"/>; never <see cref="ComputeBackend.Auto"/>.</param>
/// <param name="Device">The device, for example "CUDA NVIDIA H200 (139.8 GiB, budget 69.9 GiB)"; null on the CPU.</param>
/// <param name="Reason">Why this backend: "forced", "found …" or why no device was usable.</param>
/// <param name="AggregatesOnDevice">Whether sampled aggregates run on the device.</param>
/// <param name="Aggregates">Where the aggregates run, in words: "on the device", or "on the CPU (why)".</param>
/// <param name="ModelOnDevice">Whether the model runs on the device, wholly or its leading steps.</param>
/// <param name="Model">Where the model runs, in words: what of its program runs on the device, or "on the CPU (why)".</param>
public sealed record ComputeInfo(
    ComputeBackend Requested, ComputeBackend Backend, string? Device, string Reason, bool AggregatesOnDevice, string Aggregates, bool ModelOnDevice, string Model)
{
    /// <summary>One line for logs: "cuda on CUDA NVIDIA H200 (…) (auto: found a CUDA device); aggregates on the device; model: …".</summary>
    public override string ToString() =>
        Backend == ComputeBackend.Cpu
            ? $"cpu ({Reason})"
            : $"{Name(Backend)} on {Device} ({Reason}); aggregates {Aggregates}; model: {Model}";

    /// <summary>The backend's lower-case name as configured: auto, cpu, cuda, gpuSimulator.</summary>
    public static string Name(ComputeBackend backend) => backend switch
    {
        ComputeBackend.Auto => "auto",
        ComputeBackend.Cpu => "cpu",
        ComputeBackend.Cuda => "cuda",
        _ => "gpuSimulator",
    };
}
