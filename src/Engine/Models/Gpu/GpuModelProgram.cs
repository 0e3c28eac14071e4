using Biathlon.Compute.Devices;
using Biathlon.Compute.Models;
using Biathlon.Engine.Models.Native;
using ILGPU.Runtime;

namespace Biathlon.Engine.Models.Gpu;

/// <summary>
/// A <see cref="NativeModel"/> split between the device and the CPU. The longest prefix of its steps the kernels
/// implement runs on the device for a whole batch of designs in one launch per layer: a leading single-output tree
/// ensemble in fast form (<see cref="DeviceForest"/>, one launch), or a chain of dense layers each with its following
/// ReLU, sigmoid, tanh or copy fused in (<see cref="DeviceNetwork"/>). The prefix's last value is copied back into a
/// CPU workspace per block, and the rest runs there: the forest's base value, averaging and post-transform
/// (<see cref="TreeStep.Finish"/>) and labels, the remaining steps (calibration, softmax, comparisons, arg-max) and the
/// output rule, so each block gets exactly what <see cref="NativeModel.Evaluate"/> writes, to float rounding.
/// </summary>
/// <remarks>
/// The CPU path (<see cref="NativeModel.Evaluate"/>) takes a block whose inputs hold a NaN (the fast form drops the
/// ONNX missing-value rules, and a dense layer's skipped zero weights would turn NaN into a value on one side only),
/// every block of a batch the device-memory budget refuses, and every batch once the program or the device failed
/// (<see cref="Failure"/>): callers never see a device error. Thread-safe: batches are evaluated one at a time.
/// </remarks>
internal sealed class GpuModelProgram : IDisposable
{
    /// <summary>Staged elements (rows × widest value) per launch at most: the kernels index threads with 32 bits.</summary>
    private const long MaxStagedElements = int.MaxValue / 2;

    private readonly ComputeDevice _device;
    private readonly TreeStep? _tree;
    private readonly DeviceForest? _forest;
    private readonly DeviceNetwork? _network;
    private readonly int _deviceSteps;
    private readonly int _deviceValue;
    private readonly int _deviceWidth;
    private readonly bool _remainderReadsInput;
    private readonly Lock _gate = new();
    private readonly NativeWorkspace _workspace;
    private float[] _inputs = [];
    private int[] _rowStart = [];
    private int[] _slots = [];
    private double[] _sums = [];
    private float[] _values = [];
    private Exception? _failure;

    private GpuModelProgram(NativeModel model, ComputeDevice device, Plan plan, DeviceForest? forest, DeviceNetwork? network)
    {
        Model = model;
        _device = device;
        _tree = plan.Tree;
        _forest = forest;
        _network = network;
        _deviceSteps = plan.Steps;
        _deviceValue = plan.Value;
        _deviceWidth = plan.Width;
        _workspace = new NativeWorkspace(model.Values);
        _remainderReadsInput = model.OutputValue == 0 || IsRead(model, 0, plan.Steps);
        Summary = plan.Tree is not null
            ? $"{model.Summary}: tree ensemble on the device ({forest!.Trees} trees, one launch), {model.Steps.Length - 1} more steps on the CPU"
            : $"{model.Summary}: {network!.Layers} dense layer(s) on the device (one launch each), {model.Steps.Length - plan.Steps} more steps on the CPU";
    }

    /// <summary>The model evaluated.</summary>
    public NativeModel Model { get; }

    /// <summary>Steps of <see cref="NativeModel.Steps"/> run on the device (the rest run on the CPU).</summary>
    public int DeviceSteps => _deviceSteps;

    /// <summary>What runs where, for logs: "tree ensemble (…): tree ensemble on the device (100 trees, one launch), 4 more steps on the CPU".</summary>
    public string Summary { get; }

    /// <summary>Called with the exception whenever a batch meant for the device ran on the CPU instead (the engine's fallback metric and warning).</summary>
    public Action<Exception>? FellBack { get; set; }

    /// <summary>Why the program stopped using the device (it then evaluates on the CPU), or null.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>False once the program or its device failed: every batch then runs on the CPU.</summary>
    public bool UsesDevice => Failure is null && !_device.IsFailed;

    /// <summary>
    /// The program of <paramref name="model"/> on <paramref name="device"/> with its model arrays uploaded, or null
    /// with the reason (for logs) when no leading step has a kernel or the memory budget refuses the arrays.
    /// </summary>
    public static GpuModelProgram? TryCompile(NativeModel model, ComputeDevice device, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        if (device.IsFailed)
        {
            reason = $"the device failed earlier ({device.Failure!.Message})";
            return null;
        }

        var plan = Analyze(model, out reason);
        if (plan is null)
        {
            return null;
        }

        DeviceForest? forest = null;
        DeviceNetwork? network = null;
        try
        {
            if (plan.Tree is { } tree)
            {
                var forestArrays = tree.Forest;
                forest = new DeviceForest(device, model.InputWidth, forestArrays.Features, forestArrays.Thresholds, forestArrays.Left, forestArrays.Right, forestArrays.Leaves, tree.Ensemble.Roots);
            }
            else
            {
                network = new DeviceNetwork(device, plan.Layers);
            }
        }
        catch (DeviceMemoryException e)
        {
            reason = $"the device memory budget refused the model's arrays: {e.Message}";
            return null;
        }

        reason = "";
        return new GpuModelProgram(model, device, plan, forest, network);
    }

    /// <summary>
    /// Evaluates every block (full model, no specialisation: constant inputs are in the design), writing each block's
    /// <see cref="DesignBlock.Rows"/> predictions as <see cref="NativeModel.Evaluate"/> would. All device-eligible
    /// blocks go in one launch sequence (one launch for a forest, one per layer for dense layers).
    /// </summary>
    public void EvaluateBatch(ReadOnlySpan<DesignBlock> blocks) => EvaluateBatch(blocks, []);

    /// <summary>
    /// <see cref="EvaluateBatch(ReadOnlySpan{DesignBlock})"/>, also telling per block whether the device computed it
    /// (<paramref name="onDevice"/>, as long as <paramref name="blocks"/> or empty): false for a block the CPU did.
    /// </summary>
    public void EvaluateBatch(ReadOnlySpan<DesignBlock> blocks, Span<bool> onDevice)
    {
        var width = Model.InputWidth;
        foreach (var block in blocks)
        {
            if (block.Rows < 0 || block.Inputs.Length < (long)block.Rows * width || block.Outputs.Length < block.Rows)
            {
                throw new ArgumentException($"A block of {block.Rows} rows needs {(long)block.Rows * width} inputs and {block.Rows} outputs, not {block.Inputs.Length} and {block.Outputs.Length}.", nameof(blocks));
            }
        }

        lock (_gate)
        {
            var staged = Stage(blocks);
            if (staged > 0 && !TryLaunch(staged))
            {
                staged = 0;
                _slots.AsSpan(0, blocks.Length).Fill(-1);
            }

            for (var b = 0; b < blocks.Length; b++)
            {
                var block = blocks[b];
                if (block.Rows == 0)
                {
                    continue;
                }

                if (!onDevice.IsEmpty)
                {
                    onDevice[b] = _slots[b] >= 0;
                }

                if (_slots[b] < 0)
                {
                    Model.Evaluate(block.Inputs.Span[..(block.Rows * width)], block.Rows, block.Outputs.Span);
                }
                else
                {
                    FinishOnCpu(block, _rowStart[_slots[b]]);
                }
            }
        }
    }

    public void Dispose()
    {
        _forest?.Dispose();
        _network?.Dispose();
    }

    /// <summary>Copies the device-eligible blocks into the staging buffers; returns how many (slot −1: CPU path).</summary>
    private int Stage(ReadOnlySpan<DesignBlock> blocks)
    {
        var width = Model.InputWidth;
        var widest = Math.Max(width, _deviceWidth);
        if (_slots.Length < blocks.Length)
        {
            _slots = new int[blocks.Length];
            _rowStart = new int[blocks.Length + 1];
        }

        var useDevice = UsesDevice;
        var staged = 0;
        var total = 0;
        for (var b = 0; b < blocks.Length; b++)
        {
            var block = blocks[b];
            var eligible = useDevice && block.Rows > 0 && (long)(total + block.Rows) * widest <= MaxStagedElements
                && !NativeWorkspace.HasNaN(block.Inputs.Span[..(block.Rows * width)]);
            if (!eligible)
            {
                _slots[b] = -1;
                continue;
            }

            _slots[b] = staged;
            _rowStart[staged++] = total;
            total += block.Rows;
        }

        Grow(ref _inputs, total * width);
        for (var b = 0; b < blocks.Length; b++)
        {
            if (_slots[b] >= 0)
            {
                var block = blocks[b];
                block.Inputs.Span[..(block.Rows * width)].CopyTo(_inputs.AsSpan(_rowStart[_slots[b]] * width));
            }
        }

        _rowStart[staged] = total;
        return staged;
    }

    /// <summary>Runs the device prefix on the staged blocks; false (the batch goes to the CPU) when the device refuses or fails.</summary>
    private bool TryLaunch(int staged)
    {
        var total = _rowStart[staged];
        var inputs = _inputs.AsSpan(0, total * Model.InputWidth);
        var rowStart = _rowStart.AsSpan(0, staged + 1);
        try
        {
            if (_forest is not null)
            {
                Grow(ref _sums, total);
                _forest.Evaluate(inputs, rowStart, _sums.AsSpan(0, total));
            }
            else
            {
                Grow(ref _values, total * _deviceWidth);
                _network!.Evaluate(inputs, rowStart, _values.AsSpan(0, total * _deviceWidth));
            }

            return true;
        }
        catch (DeviceMemoryException e)
        {
            FellBack?.Invoke(e);
            return false; // this batch did not fit beside what else the engine holds now; a later one may
        }
        catch (AcceleratorException e)
        {
            _device.MarkFailed(e); // a driver-level error: the device is gone for every caller
            Interlocked.CompareExchange(ref _failure, e, null);
            FellBack?.Invoke(e);
            return false;
        }
#pragma warning disable CA1031 // any other error (a kernel the backend cannot compile, …) retires this program to the CPU, logged by the caller via Failure
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            FellBack?.Invoke(e);
            return false;
        }
    }

    /// <summary>Puts the device's value for <paramref name="block"/> (global rows from <paramref name="start"/>) into the workspace and runs the CPU remainder.</summary>
    private void FinishOnCpu(DesignBlock block, int start)
    {
        var rows = block.Rows;
        var workspace = _workspace;
        if (_remainderReadsInput)
        {
            workspace.SetInput(block.Inputs.Span[..(rows * Model.InputWidth)]);
        }

        if (_tree is not null)
        {
            _tree.Finish(_sums.AsSpan(start, rows), rows, workspace.Write(_tree.Output, rows * _tree.Width));
            _tree.WriteLabels(workspace, rows);
        }
        else
        {
            var length = rows * _deviceWidth;
            _values.AsSpan(start * _deviceWidth, length).CopyTo(workspace.Write(_deviceValue, length));
        }

        var steps = Model.Steps;
        for (var s = _deviceSteps; s < steps.Length; s++)
        {
            steps[s].Run(workspace, rows);
        }

        Model.ReadOutput(workspace, rows, block.Outputs.Span);
    }

    /// <summary>Makes <paramref name="buffer"/> at least <paramref name="length"/> long; contents are not kept.</summary>
    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Math.Max(length, buffer.Length + buffer.Length / 2)];
        }
    }

    /// <summary>The device prefix of a program, or null with the reason.</summary>
    private static Plan? Analyze(NativeModel model, out string reason)
    {
        var steps = model.Steps;
        if (steps.Length == 0)
        {
            reason = "the program has no steps";
            return null;
        }

        if (steps[0] is TreeStep tree)
        {
            if (tree.Ensemble.Targets != 1)
            {
                reason = $"its tree ensemble has {tree.Ensemble.Targets} outputs; the device kernel scores single-output ensembles";
                return null;
            }

            if (!tree.Ensemble.HasFastForm)
            {
                reason = "its tree ensemble tests equality, so it has no fast form for the device kernel";
                return null;
            }

            reason = "";
            return new Plan(1, tree.Output, 1, tree, []);
        }

        // Dense layers, each reading the previous one's value, an activation fused into each when nothing else reads
        // the affine value; the prefix ends where a value it computed (other than its last) is read after it.
        var layers = new List<DeviceDenseLayer>();
        var produced = new List<int>();
        Plan? best = null;
        var current = 0;
        var s = 0;
        while (s < steps.Length && steps[s] is DenseStep dense && dense.Input == current)
        {
            var activation = DeviceActivation.Identity;
            var value = dense.Output;
            var used = 1;
            produced.Add(dense.Output);
            if (s + 1 < steps.Length && steps[s + 1] is MapStep map && map.Input == dense.Output && TryActivation(map.Kind, out var fused)
                && model.OutputValue != dense.Output && !IsRead(model, dense.Output, s + 2))
            {
                activation = fused;
                value = map.Output;
                used = 2;
                produced.Add(map.Output);
            }

            layers.Add(new DeviceDenseLayer(dense.InputWidth, dense.Width, dense.Weights, dense.Bias, activation));
            s += used;
            current = value;
            var intermediatesDead = true;
            foreach (var v in produced)
            {
                intermediatesDead &= v == current || (model.OutputValue != v && !IsRead(model, v, s));
            }

            if (intermediatesDead)
            {
                best = new Plan(s, current, dense.Width, null, [.. layers]);
            }
        }

        if (best is null)
        {
            reason = $"its first step ({steps[0].GetType().Name}) has no device kernel: the device runs a leading single-output tree ensemble or dense layers on the model input";
            return null;
        }

        reason = "";
        return best;
    }

    private static bool TryActivation(MapKind kind, out DeviceActivation activation)
    {
        activation = kind switch
        {
            MapKind.Relu => DeviceActivation.Relu,
            MapKind.Sigmoid => DeviceActivation.Sigmoid,
            MapKind.Tanh => DeviceActivation.Tanh,
            _ => DeviceActivation.Identity,
        };
        return kind is MapKind.Relu or MapKind.Sigmoid or MapKind.Tanh or MapKind.Copy;
    }

    /// <summary>Whether a step from index <paramref name="from"/> on reads value <paramref name="value"/>.</summary>
    private static bool IsRead(NativeModel model, int value, int from)
    {
        var steps = model.Steps;
        for (var s = from; s < steps.Length; s++)
        {
            if (steps[s].Input == value || (steps[s] is ValueBinaryStep binary && binary.Other == value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What runs on the device: the first <paramref name="Steps"/> steps, leaving value <paramref name="Value"/> of width <paramref name="Width"/>.</summary>
    private sealed record Plan(int Steps, int Value, int Width, TreeStep? Tree, DeviceDenseLayer[] Layers);
}
