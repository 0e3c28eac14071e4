using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Biathlon.Compute.Devices;

/// <summary>
/// One ILGPU accelerator shared by every pipeline of an engine: a CUDA GPU in production, or ILGPU's CPU accelerator
/// (a simulated GPU, about 1 µs per thread) as the kernels' test oracle. It owns the device-memory budget, serialises
/// launches (an accelerator's default stream is not thread-safe), caches compiled kernels, and remembers a failure: once
/// the device is lost every caller goes back to the CPU path. Thread-safe.
/// </summary>
internal sealed class ComputeDevice : IDisposable
{
    private readonly Context _context;
    private readonly Dictionary<string, object> _kernels = [];
    private Exception? _failure;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceKind kind, long memoryBudgetBytes)
    {
        _context = context;
        Accelerator = accelerator;
        Kind = kind;
        var limit = memoryBudgetBytes > 0 ? Math.Min(memoryBudgetBytes, accelerator.MemorySize) : accelerator.MemorySize / 2;
        Memory = new DeviceMemoryBudget(limit);
    }

    /// <summary>The ILGPU accelerator. Launch on it only inside <see cref="LaunchLock"/>.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>CUDA or the CPU simulator.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The device's name as the driver reports it, for logs, <c>/readyz</c> and result diagnostics.</summary>
    public string Name => Accelerator.Name;

    /// <summary>Device memory this engine may hold (columns, model arrays, launch buffers), and what it holds now.</summary>
    public DeviceMemoryBudget Memory { get; }

    /// <summary>Held for a whole launch sequence (uploads, kernels, downloads): one sequence at a time per device.</summary>
    public object LaunchLock { get; } = new();

    /// <summary>True once the device failed beyond one launch (lost, disposed): every caller then stays on the CPU.</summary>
    public bool IsFailed => Volatile.Read(ref _failure) is not null;

    /// <summary>What made the device fail, or null.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Marks the device failed; the first failure is the one kept.</summary>
    public void MarkFailed(Exception failure) => Interlocked.CompareExchange(ref _failure, failure, null);

    /// <summary>A short description: "CUDA NVIDIA H200 (139.8 GiB, budget 69.9 GiB)".</summary>
    public string Describe() => Kind == DeviceKind.Cuda
        ? $"CUDA {Name} ({Gib(Accelerator.MemorySize)} GiB, budget {Gib(Memory.Limit)} GiB)"
        : $"ILGPU CPU accelerator (simulated GPU; budget {Gib(Memory.Limit)} GiB)";

    /// <summary>
    /// The first CUDA device, or null with the reason when ILGPU finds none (no driver, no GPU) or cannot open it.
    /// <paramref name="memoryBudgetBytes"/> caps what this engine allocates on it; 0 means half the device's memory.
    /// </summary>
    public static ComputeDevice? TryCreateCuda(long memoryBudgetBytes, out string reason)
    {
        Context? context = null;
        try
        {
            context = Context.Create(builder => builder.Cuda());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                reason = "ILGPU found no CUDA device";
                context.Dispose();
                return null;
            }

            var accelerator = devices[0].CreateAccelerator(context);
            reason = "";
            return new ComputeDevice(context, accelerator, DeviceKind.Cuda, memoryBudgetBytes);
        }
#pragma warning disable CA1031 // probing: any driver or runtime error means "no usable CUDA device", reported as the reason
        catch (Exception e)
#pragma warning restore CA1031
        {
            context?.Dispose();
            reason = $"CUDA could not be opened: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// ILGPU's CPU accelerator: the same kernels simulated on OS threads. For tests and the GPU benchmark's dry run only;
    /// it is far slower than the SIMD CPU path and never the production fallback.
    /// </summary>
    public static ComputeDevice CreateCpuSimulator(long memoryBudgetBytes = 256L << 20)
    {
        var context = Context.Create(builder => builder.CPU());
        var accelerator = context.CreateCPUAccelerator(0);
        return new ComputeDevice(context, accelerator, DeviceKind.CpuSimulator, memoryBudgetBytes);
    }

    /// <summary>A kernel compiled once per device and key (compiling one costs 30–150 ms).</summary>
    public TKernel Kernel<TKernel>(string key, Func<Accelerator, TKernel> load)
        where TKernel : class
    {
        lock (_kernels)
        {
            if (!_kernels.TryGetValue(key, out var kernel))
            {
                kernel = load(Accelerator);
                _kernels.Add(key, kernel);
            }

            return (TKernel)kernel;
        }
    }

    public void Dispose()
    {
        lock (LaunchLock)
        {
            Accelerator.Dispose();
            _context.Dispose();
        }
    }

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What an ILGPU accelerator is.</summary>
internal enum DeviceKind
{
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator, which simulates a GPU (tests only).</summary>
    CpuSimulator,
}
