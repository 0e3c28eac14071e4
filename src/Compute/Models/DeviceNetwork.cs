using Biathlon.Compute.Devices;
using ILGPU.Runtime;

namespace Biathlon.Compute.Models;

/// <summary>
/// A chain of dense layers (a linear model or an MLP's layers) held on the device: weights and biases are uploaded once
/// (counted against the memory budget), and <see cref="Evaluate"/> runs a whole batch of design blocks through every
/// layer with one launch of <see cref="DenseKernel"/> per layer, activations fused, intermediate values staying on the
/// device. Thread-safe: every device use runs under the device's launch lock.
/// </summary>
internal sealed class DeviceNetwork : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly DeviceDenseLayer[] _layers;
    private readonly List<DeviceBuffer<float>> _owned = [];
    private readonly DeviceBuffer<float>[] _weights;
    private readonly DeviceBuffer<float>[] _bias;
    private readonly DeviceBuffer<float> _inputs;
    private readonly DeviceBuffer<int> _rowStart;
    private readonly DeviceBuffer<float>[] _values;

    /// <summary>
    /// Uploads the layers (each reading the previous one's output). Throws <see cref="DeviceMemoryException"/> when the
    /// budget refuses them (nothing is kept then).
    /// </summary>
    public DeviceNetwork(ComputeDevice device, IReadOnlyList<DeviceDenseLayer> layers)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        }

        for (var l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            if (layer.InputWidth < 1 || layer.Width < 1 || layer.Weights.Length != layer.InputWidth * layer.Width || layer.Bias.Length != layer.Width
                || (l > 0 && layer.InputWidth != layers[l - 1].Width))
            {
                throw new ArgumentException($"Layer {l} is not a [{layer.InputWidth} × {layer.Width}] layer reading the previous layer's output.", nameof(layers));
            }
        }

        _device = device;
        _layers = [.. layers];
        _weights = new DeviceBuffer<float>[_layers.Length];
        _bias = new DeviceBuffer<float>[_layers.Length];
        lock (device.LaunchLock)
        {
            try
            {
                for (var l = 0; l < _layers.Length; l++)
                {
                    _weights[l] = Upload(_layers[l].Weights);
                    _bias[l] = Upload(_layers[l].Bias);
                }

                _inputs = Upload([]);
                _values = [Upload([]), Upload([])];
                _rowStart = new DeviceBuffer<int>(device);
            }
            catch
            {
                DisposeBuffers();
                throw;
            }
        }
    }

    /// <summary>Columns of a design row.</summary>
    public int InputWidth => _layers[0].InputWidth;

    /// <summary>Columns of the last layer's output.</summary>
    public int OutputWidth => _layers[^1].Width;

    /// <summary>Dense layers, so launches per batch.</summary>
    public int Layers => _layers.Length;

    /// <summary>
    /// Runs a batch: <paramref name="inputs"/> holds the blocks one after another, block b column-major with
    /// <c>rowStart[b+1] − rowStart[b]</c> rows (<see cref="BatchRows"/>); <paramref name="outputs"/> gets the last
    /// layer's values in the same per-block layout (width <see cref="OutputWidth"/>).
    /// </summary>
    public void Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> rowStart, Span<float> outputs)
    {
        var rows = BatchRows.Validate(rowStart);
        var widest = 0;
        foreach (var layer in _layers)
        {
            widest = Math.Max(widest, layer.Width);
        }

        if (inputs.Length != (long)rows * InputWidth || outputs.Length != (long)rows * OutputWidth)
        {
            throw new ArgumentException($"A batch of {rows} rows needs {rows * (long)InputWidth} inputs and {rows * (long)OutputWidth} outputs, not {inputs.Length} and {outputs.Length}.");
        }

        if ((long)rows * widest > int.MaxValue)
        {
            throw new ArgumentException($"A batch of {rows} rows × {widest} columns passes the kernels' 32-bit thread index; split it.", nameof(rowStart));
        }

        if (rows == 0)
        {
            return;
        }

        lock (_device.LaunchLock)
        {
            var kernel = _device.Kernel("model.dense", DenseKernel.Load);
            _inputs.Upload(inputs);
            _rowStart.Upload(rowStart);
            _values[0].EnsureLength((long)rows * widest);
            _values[1].EnsureLength((long)rows * widest);
            var current = _inputs.View;
            for (var l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                var next = _values[l % 2].View;
                kernel(rows * layer.Width, current, _rowStart.View, rowStart.Length - 1, layer.InputWidth, layer.Width, _weights[l].View, _bias[l].View, (int)layer.Activation, next);
                current = next;
            }

            _device.Accelerator.Synchronize();
            current.SubView(0, outputs.Length).CopyToCPU(outputs);
        }
    }

    public void Dispose()
    {
        lock (_device.LaunchLock)
        {
            DisposeBuffers();
        }
    }

    private void DisposeBuffers()
    {
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
        _rowStart?.Dispose();
    }

    private DeviceBuffer<float> Upload(ReadOnlySpan<float> values)
    {
        var buffer = new DeviceBuffer<float>(_device);
        _owned.Add(buffer);
        buffer.Upload(values);
        return buffer;
    }
}
