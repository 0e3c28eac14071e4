using System.Numerics;
using System.Runtime.InteropServices;

namespace Biathlon.Engine.Models.Native;

/// <summary>
/// The buffers one evaluation of a native program uses: one per program value (value 0 is the caller's input), plus
/// tree scratch. Grown to the largest design seen, then reused: an evaluation allocates nothing in steady state.
/// </summary>
internal sealed class NativeWorkspace(int values)
{
    private readonly float[][] _values = new float[values][];
    private float[] _input = [];
    private int _inputLength;
    private double[] _sums = [];
    private float[] _leaves = [];
    private ulong[] _bits = [];

    /// <summary>Makes <paramref name="input"/> value 0 for the steps that follow (copied: spans cannot be kept).</summary>
    public void SetInput(ReadOnlySpan<float> input)
    {
        if (_input.Length < input.Length)
        {
            _input = new float[input.Length];
        }

        input.CopyTo(_input);
        _inputLength = input.Length;
    }

    /// <summary>Value 0's buffer, for an evaluator that fills the input in place instead of copying.</summary>
    public Span<float> InputBuffer(int length)
    {
        if (_input.Length < length)
        {
            _input = new float[length];
        }

        _inputLength = length;
        return _input.AsSpan(0, length);
    }

    public ReadOnlySpan<float> Read(int value, int length) =>
        value == 0 ? _input.AsSpan(0, Math.Min(length, _inputLength)) : _values[value].AsSpan(0, length);

    public Span<float> Write(int value, int length)
    {
        ref var buffer = ref _values[value];
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer.AsSpan(0, length);
    }

    public Span<double> Sums(int length)
    {
        if (_sums.Length < length)
        {
            _sums = new double[length];
        }

        return _sums.AsSpan(0, length);
    }

    public Span<float> Leaves(int length)
    {
        if (_leaves.Length < length)
        {
            _leaves = new float[length];
        }

        return _leaves.AsSpan(0, length);
    }

    /// <summary>Leaf-vector scratch of the QuickScorer kernel.</summary>
    public Span<ulong> Bits(int length)
    {
        if (_bits.Length < length)
        {
            _bits = new ulong[length];
        }

        return _bits.AsSpan(0, length);
    }

    /// <summary>Whether any value is NaN (NaN ≠ NaN), 8 or 16 lanes at a time.</summary>
    public static bool HasNaN(ReadOnlySpan<float> values)
    {
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        foreach (var v in vectors)
        {
            if (!Vector.EqualsAll(v, v))
            {
                return true;
            }
        }

        for (var i = vectors.Length * Vector<float>.Count; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                return true;
            }
        }

        return false;
    }
}
