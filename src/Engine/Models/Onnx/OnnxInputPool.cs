using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace Biathlon.Engine.Models.Onnx;

/// <summary>
/// Pooled row-major input tensors of one ONNX Runtime session, by row count. A QMC round has one of a few row counts
/// (N·(U+2) for U uncertain groups, or 1), so after warm-up every model call reuses a pinned buffer and the
/// <see cref="OrtValue"/> over it instead of creating both. Thread-safe: concurrent calls rent different slots.
/// </summary>
internal sealed class OnnxInputPool(int width) : IDisposable
{
    private readonly ConcurrentDictionary<int, ConcurrentBag<Slot>> _slots = new();

    /// <summary>A buffer of <paramref name="rows"/> × width floats and the tensor over it; return it with <see cref="Return"/>.</summary>
    public Slot Rent(int rows)
    {
        if (_slots.TryGetValue(rows, out var bag) && bag.TryTake(out var slot))
        {
            return slot;
        }

        // Pinned, so the tensor can point at it for the slot's whole life.
        var buffer = GC.AllocateUninitializedArray<float>(rows * width, pinned: true);
        return new Slot(rows, buffer, OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(), [rows, width]));
    }

    public void Return(Slot slot) => _slots.GetOrAdd(slot.Rows, static _ => []).Add(slot);

    public void Dispose()
    {
        foreach (var bag in _slots.Values)
        {
            while (bag.TryTake(out var slot))
            {
                slot.Value.Dispose();
            }
        }
    }

    /// <summary>One pooled input: its row count, its row-major buffer and the tensor over that buffer.</summary>
    internal sealed record Slot(int Rows, float[] Buffer, OrtValue Value);
}
