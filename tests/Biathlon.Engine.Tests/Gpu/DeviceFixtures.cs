using Biathlon.Compute.Devices;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>ILGPU's CPU accelerator, one per test class (opening one costs about 0.1 s, its first kernel 0.15 s).</summary>
public sealed class CpuSimulatorFixture : IDisposable
{
    internal ComputeDevice Device { get; } = ComputeDevice.CreateCpuSimulator();

    public void Dispose() => Device.Dispose();
}

/// <summary>The first CUDA device, or null (with the reason) on a machine without one: the CUDA tests then skip.</summary>
public sealed class CudaFixture : IDisposable
{
    public CudaFixture()
    {
        Device = ComputeDevice.TryCreateCuda(0, out var reason);
        Reason = reason;
    }

    internal ComputeDevice? Device { get; }

    internal string Reason { get; }

    public void Dispose() => Device?.Dispose();
}
