using Biathlon.Compute.Aggregates;
using Biathlon.Compute.Devices;

namespace Biathlon.Compute.Tests;

/// <summary>An aggregate executor under test, or why there is none on this machine.</summary>
internal sealed class Backend(IAggregateExecutor? executor, string reason, ComputeDevice? device = null, DeviceColumnStore? store = null)
{
    public IAggregateExecutor? Executor { get; } = executor;

    /// <summary>Why <see cref="Executor"/> is null (the skip reason).</summary>
    public string Reason { get; } = reason;

    public ComputeDevice? Device { get; } = device;

    public DeviceColumnStore? Store { get; } = store;

    /// <summary>A device backend with every test table's columns uploaded.</summary>
    public static Backend OnDevice(ComputeDevice device)
    {
        var store = new DeviceColumnStore(device);
        foreach (var layout in TestTables.Layouts())
        {
            store.Upload(layout, [TestTables.X, TestTables.Y, TestTables.N, TestTables.S]);
        }

        return new Backend(new GpuAggregateExecutor(device, store), "", device, store);
    }
}

/// <summary>The SIMD CPU executor.</summary>
public sealed class SimdFixture
{
    internal Backend Backend { get; } = new(new SimdAggregateExecutor(), "");
}

/// <summary>ILGPU's CPU accelerator (a simulated GPU), shared by a test class.</summary>
public sealed class CpuSimulatorFixture : IDisposable
{
    private readonly ComputeDevice _device = ComputeDevice.CreateCpuSimulator();

    public CpuSimulatorFixture() => Backend = Backend.OnDevice(_device);

    internal Backend Backend { get; }

    public void Dispose()
    {
        (Backend.Executor as IDisposable)?.Dispose();
        Backend.Store?.Dispose();
        _device.Dispose();
    }
}

/// <summary>The first CUDA device, when there is one; its tests are skipped otherwise.</summary>
public sealed class CudaFixture : IDisposable
{
    private readonly ComputeDevice? _device;

    public CudaFixture()
    {
        _device = ComputeDevice.TryCreateCuda(1L << 30, out var reason);
        Backend = _device is null ? new Backend(null, $"No CUDA device: {reason}") : Backend.OnDevice(_device);
    }

    internal Backend Backend { get; }

    public void Dispose()
    {
        (Backend.Executor as IDisposable)?.Dispose();
        Backend.Store?.Dispose();
        _device?.Dispose();
    }
}
