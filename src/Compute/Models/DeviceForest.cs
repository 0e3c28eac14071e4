using Biathlon.Compute.Devices;

namespace Biathlon.Compute.Models;

/// <summary>
/// A single-output tree ensemble in fast form held on the device: its arrays are uploaded once (counted against the
/// device's memory budget), and <see cref="Evaluate"/> scores a whole batch of design blocks in one launch of
/// <see cref="ForestKernel"/>, returning each row's raw Σ of leaf values (base value, averaging and post-transform
/// stay with the caller). Thread-safe: every device use runs under the device's launch lock.
/// </summary>
internal sealed class DeviceForest : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly DeviceBuffer<int> _features;
    private readonly DeviceBuffer<float> _thresholds;
    private readonly DeviceBuffer<int> _left;
    private readonly DeviceBuffer<int> _right;
    private readonly DeviceBuffer<float> _leafValues;
    private readonly DeviceBuffer<int> _roots;
    private readonly DeviceBuffer<float> _inputs;
    private readonly DeviceBuffer<int> _rowStart;
    private readonly DeviceBuffer<double> _sums;

    /// <summary>
    /// Uploads a forest: internal node n tests <c>inputs[features[n]] ≤ thresholds[n]</c> and goes to
    /// <c>left[n]</c> or <c>right[n]</c> (c &lt; 0: leaf ~c, valued <c>leafValues[~c]</c>); tree t starts at <c>roots[t]</c>.
    /// Throws <see cref="DeviceMemoryException"/> when the budget refuses the arrays (nothing is kept then).
    /// </summary>
    public DeviceForest(
        ComputeDevice device,
        int inputWidth,
        ReadOnlySpan<int> features,
        ReadOnlySpan<float> thresholds,
        ReadOnlySpan<int> left,
        ReadOnlySpan<int> right,
        ReadOnlySpan<float> leafValues,
        ReadOnlySpan<int> roots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputWidth, 1);
        if (thresholds.Length != features.Length || left.Length != features.Length || right.Length != features.Length)
        {
            throw new ArgumentException("Features, thresholds and children must have one entry per internal node.");
        }

        _device = device;
        InputWidth = inputWidth;
        Trees = roots.Length;
        lock (device.LaunchLock)
        {
            var owned = new List<IDisposable>();
            try
            {
                _features = Upload(features, owned);
                _thresholds = Upload(thresholds, owned);
                _left = Upload(left, owned);
                _right = Upload(right, owned);
                _leafValues = Upload(leafValues, owned);
                _roots = Upload(roots, owned);
                _inputs = Track(new DeviceBuffer<float>(device), owned);
                _rowStart = Track(new DeviceBuffer<int>(device), owned);
                _sums = Track(new DeviceBuffer<double>(device), owned);
            }
            catch
            {
                foreach (var buffer in owned)
                {
                    buffer.Dispose();
                }

                throw;
            }
        }
    }

    /// <summary>Columns of a design row.</summary>
    public int InputWidth { get; }

    /// <summary>Trees summed per row.</summary>
    public int Trees { get; }

    /// <summary>
    /// Scores a batch: <paramref name="inputs"/> holds the blocks one after another, block b column-major with
    /// <c>rowStart[b+1] − rowStart[b]</c> rows (<see cref="BatchRows"/>); <paramref name="sums"/> gets each global
    /// row's Σ over trees of its leaf value. Inputs must hold no NaN (the fast form has no missing-value rule).
    /// </summary>
    public void Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> rowStart, Span<double> sums)
    {
        var rows = BatchRows.Validate(rowStart);
        if (inputs.Length != (long)rows * InputWidth || sums.Length != rows)
        {
            throw new ArgumentException($"A batch of {rows} rows needs {rows * (long)InputWidth} inputs and {rows} sums, not {inputs.Length} and {sums.Length}.");
        }

        if (rows == 0)
        {
            return;
        }

        lock (_device.LaunchLock)
        {
            var kernel = _device.Kernel("model.forest", ForestKernel.Load);
            _inputs.Upload(inputs);
            _rowStart.Upload(rowStart);
            _sums.EnsureLength(rows);
            kernel(rows, _inputs.View, _rowStart.View, rowStart.Length - 1, InputWidth, _features.View, _thresholds.View, _left.View, _right.View, _leafValues.View, _roots.View.SubView(0, Trees), _sums.View);
            _device.Accelerator.Synchronize();
            _sums.Download(sums);
        }
    }

    public void Dispose()
    {
        lock (_device.LaunchLock)
        {
            _features.Dispose();
            _thresholds.Dispose();
            _left.Dispose();
            _right.Dispose();
            _leafValues.Dispose();
            _roots.Dispose();
            _inputs.Dispose();
            _rowStart.Dispose();
            _sums.Dispose();
        }
    }

    private DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> values, List<IDisposable> owned)
        where T : unmanaged
    {
        var buffer = Track(new DeviceBuffer<T>(_device), owned);
        buffer.Upload(values);
        return buffer;
    }

    private static DeviceBuffer<T> Track<T>(DeviceBuffer<T> buffer, List<IDisposable> owned)
        where T : unmanaged
    {
        owned.Add(buffer);
        return buffer;
    }
}
