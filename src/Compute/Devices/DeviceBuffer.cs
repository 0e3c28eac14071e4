using ILGPU;
using ILGPU.Runtime;

namespace Biathlon.Compute.Devices;

/// <summary>
/// A 1-D device buffer whose bytes are counted against the device's <see cref="DeviceMemoryBudget"/> for as long as it
/// lives. Grows by reallocation (<see cref="EnsureLength"/>), so a launch buffer reused across batches allocates only
/// when a batch is larger than any before. Not thread-safe: use under the device's launch lock.
/// </summary>
internal sealed class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly ComputeDevice _device;
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;
    private long _reserved;

    public DeviceBuffer(ComputeDevice device, long length = 0)
    {
        _device = device;
        if (length > 0)
        {
            EnsureLength(length);
        }
    }

    /// <summary>Elements the buffer holds now.</summary>
    public long Length => _buffer?.Length ?? 0;

    /// <summary>The whole buffer (length at least 1, so a kernel can always bind it).</summary>
    public ArrayView<T> View => (_buffer ?? Grow(1)).View.AsContiguous();

    /// <summary>Makes the buffer hold at least <paramref name="length"/> elements; earlier contents are not kept.</summary>
    public void EnsureLength(long length)
    {
        if (length > Length)
        {
            Grow(Math.Max(length, Length + Length / 2));
        }
    }

    /// <summary>Copies <paramref name="source"/> to the start of the buffer, growing it when needed.</summary>
    public void Upload(ReadOnlySpan<T> source)
    {
        EnsureLength(Math.Max(1, source.Length));
        if (!source.IsEmpty)
        {
            View.SubView(0, source.Length).CopyFromCPU(source);
        }
    }

    /// <summary>Copies the first <paramref name="target"/>.Length elements of the buffer to <paramref name="target"/>.</summary>
    public void Download(Span<T> target)
    {
        if (!target.IsEmpty)
        {
            View.SubView(0, target.Length).CopyToCPU(target);
        }
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Grow(long length)
    {
        var bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        _device.Memory.Reserve(bytes);
        try
        {
            var next = _device.Accelerator.Allocate1D<T>(length);
            Free();
            _buffer = next;
            _reserved = bytes;
            return next;
        }
        catch
        {
            _device.Memory.Release(bytes);
            throw;
        }
    }

    private void Free()
    {
        _buffer?.Dispose();
        _buffer = null;
        _device.Memory.Release(_reserved);
        _reserved = 0;
    }

    public void Dispose() => Free();
}
