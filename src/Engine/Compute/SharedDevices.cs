using Biathlon.Compute.Devices;

namespace Biathlon.Engine.Compute;

/// <summary>
/// One device per kind per process, shared by every engine that chose it (a server's pipelines share its GPU and one
/// memory budget), opened on first use and freed when the last engine using it is disposed. Thread-safe.
/// </summary>
internal static class SharedDevices
{
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<DeviceKind, (ComputeDevice Device, int Users)> s_open = [];

    /// <summary>The shared device of <paramref name="kind"/>, opened when none is; null with the reason when CUDA has none.</summary>
    public static ComputeDevice? Acquire(DeviceKind kind, long memoryBudgetBytes, out string reason)
    {
        lock (s_gate)
        {
            if (s_open.TryGetValue(kind, out var open) && !open.Device.IsFailed)
            {
                s_open[kind] = (open.Device, open.Users + 1);
                reason = kind == DeviceKind.Cuda ? "found a CUDA device" : "forced";
                return open.Device;
            }

            reason = "forced";
            var device = kind == DeviceKind.Cuda
                ? ComputeDevice.TryCreateCuda(memoryBudgetBytes, out reason)
                : ComputeDevice.CreateCpuSimulator(memoryBudgetBytes > 0 ? memoryBudgetBytes : 256L << 20);
            if (device is null)
            {
                return null;
            }

            reason = kind == DeviceKind.Cuda ? "found a CUDA device" : "forced";
            s_open[kind] = (device, 1);
            return device;
        }
    }

    /// <summary>Drops one engine's use; the last one frees the device.</summary>
    public static void Release(ComputeDevice device)
    {
        lock (s_gate)
        {
            if (!s_open.TryGetValue(device.Kind, out var open) || !ReferenceEquals(open.Device, device))
            {
                device.Dispose();
                return;
            }

            if (open.Users > 1)
            {
                s_open[device.Kind] = (device, open.Users - 1);
                return;
            }

            s_open.Remove(device.Kind);
            device.Dispose();
        }
    }
}
