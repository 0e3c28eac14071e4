using Biathlon.Compute.Devices;

namespace Biathlon.Engine.Compute;

/// <summary>
/// One device per kind per process, shared by every engine that chose it (a server's pipelines share its GPU and one
/// memory budget), opened on first use and freed when the last engine using it is disposed. Thread-safe.
/// </summary>
internal static class SharedDevices
{
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<(DeviceKind Kind, long Budget), (ComputeDevice Device, int Users)> s_open = [];

    // Why CUDA could not be opened, once probed: a machine without a GPU does not grow one, and probing costs ~0.1 s.
    private static string? s_noCuda;

    /// <summary>The shared device of <paramref name="kind"/>, opened when none is; null with the reason when CUDA has none.</summary>
    public static ComputeDevice? Acquire(DeviceKind kind, long memoryBudgetBytes, out string reason)
    {
        // One CUDA device whatever the budget (the first engine's budget holds for all); a simulator per budget, so
        // tests of the budget get a device of their own.
        var key = (kind, kind == DeviceKind.Cuda ? 0 : memoryBudgetBytes);
        lock (s_gate)
        {
            if (s_open.TryGetValue(key, out var open) && !open.Device.IsFailed)
            {
                s_open[key] = (open.Device, open.Users + 1);
                reason = kind == DeviceKind.Cuda ? "found a CUDA device" : "forced";
                return open.Device;
            }

            if (kind == DeviceKind.Cuda && s_noCuda is { } known)
            {
                reason = known;
                return null;
            }

            reason = "forced";
            var device = kind == DeviceKind.Cuda
                ? ComputeDevice.TryCreateCuda(memoryBudgetBytes, out reason)
                : ComputeDevice.CreateCpuSimulator(memoryBudgetBytes > 0 ? memoryBudgetBytes : 1L << 30);
            if (device is null)
            {
                s_noCuda = reason;
                return null;
            }

            reason = kind == DeviceKind.Cuda ? "found a CUDA device" : "forced";
            s_open[key] = (device, 1);
            return device;
        }
    }

    /// <summary>Device memory held now by each open device (the <c>biathlon.engine.compute.device_memory</c> gauge), tagged with its kind and limit.</summary>
    public static IEnumerable<System.Diagnostics.Metrics.Measurement<long>> MemoryInUse()
    {
        List<System.Diagnostics.Metrics.Measurement<long>> measurements;
        lock (s_gate)
        {
            measurements = new List<System.Diagnostics.Metrics.Measurement<long>>(s_open.Count);
            foreach (var (key, open) in s_open)
            {
                measurements.Add(new(open.Device.Memory.Used, new KeyValuePair<string, object?>("device", key.Kind == DeviceKind.Cuda ? "cuda" : "gpuSimulator"),
                    new KeyValuePair<string, object?>("limit", open.Device.Memory.Limit)));
            }
        }

        return measurements;
    }

    /// <summary>Drops one engine's use; the last one frees the device.</summary>
    public static void Release(ComputeDevice device)
    {
        lock (s_gate)
        {
            foreach (var (key, open) in s_open)
            {
                if (!ReferenceEquals(open.Device, device))
                {
                    continue;
                }

                if (open.Users > 1)
                {
                    s_open[key] = (device, open.Users - 1);
                    return;
                }

                s_open.Remove(key);
                break;
            }

            // The last user, or a failed device another one replaced since: free it.
            device.Dispose();
        }
    }
}
