using Biathlon.Compute.Batching;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models.Gpu;
using Biathlon.Engine.Models.Native;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Compute;

/// <summary>
/// A pipeline's model on the device: its <see cref="GpuModelProgram"/> and the batcher that gathers concurrent
/// requests' QMC designs into one <see cref="GpuModelProgram.EvaluateBatch(ReadOnlySpan{DesignBlock}, Span{bool})"/>.
/// Each request reaches it through its own <see cref="IBatchModel"/> (<see cref="ForRequest"/>), whose design evaluator
/// sends whole designs here and records in the request's <see cref="RequestComputeUse"/> whether the device took them.
/// Thread-safe.
/// </summary>
internal sealed class DeviceModel : IDisposable
{
    private readonly GpuModelProgram _program;
    private readonly LaunchBatcher<ModelLaunch> _batcher;
    private readonly PipelineCompute _owner;
    private DesignBlock[] _blocks = [];
    private bool[] _onDevice = [];
    private string? _launchFallback;

    public DeviceModel(GpuModelProgram program, PipelineCompute owner, TimeSpan batchWait, string pipeline)
    {
        _program = program;
        _owner = owner;
        _program.FellBack = e => _launchFallback = owner.Fallback("model", e);
        _batcher = new LaunchBatcher<ModelLaunch>(Launch, batchWait, maxItems: 256)
        {
            Launched = n => EngineInstruments.ComputeBatchSize.Record(n, new System.Diagnostics.TagList { { "pipeline", pipeline }, { "stage", "model" } }),
        };
    }

    /// <summary>What runs where, for logs and <see cref="ComputeInfo.Model"/>.</summary>
    public string Summary => _program.Summary;

    /// <summary>False once the program or the device failed: requests then evaluate on the CPU.</summary>
    public bool UsesDevice => _program.UsesDevice;

    public void Enter() => _batcher.Enter();

    public void Exit() => _batcher.Exit();

    /// <summary>A model for one pooled request context: design evaluation goes through the batcher, single rows to the CPU.</summary>
    public IBatchModel ForRequest(RequestComputeUse use) => new RequestModel(this, use);

    public void Dispose() => _program.Dispose();

    private void Launch(List<ModelLaunch> items)
    {
        if (_blocks.Length < items.Count)
        {
            _blocks = new DesignBlock[Math.Max(items.Count, 2 * _blocks.Length)];
            _onDevice = new bool[_blocks.Length];
        }

        for (var i = 0; i < items.Count; i++)
        {
            _blocks[i] = items[i].Block;
        }

        // Launches are serialised by the batcher's leader and the program's lock: the fallback seen is this launch's.
        _launchFallback = null;
        _program.EvaluateBatch(_blocks.AsSpan(0, items.Count), _onDevice.AsSpan(0, items.Count));
        for (var i = 0; i < items.Count; i++)
        {
            items[i].OnDevice = _onDevice[i];
            items[i].Fallback = _onDevice[i] ? null : _launchFallback;
            _blocks[i] = default;
        }
    }

    /// <summary>One request's design, handed to the batcher (one per request context, reused).</summary>
    private sealed class ModelLaunch
    {
        public DesignBlock Block;
        public bool OnDevice;

        /// <summary>Why the device did not take the block (null when it did, or when the CPU took it for its missing values).</summary>
        public string? Fallback;
    }

    private sealed class RequestModel(DeviceModel owner, RequestComputeUse use) : IBatchModel, IDesignLauncher
    {
        private readonly ModelLaunch _launch = new();

        public int InputWidth => owner._program.Model.InputWidth;

        public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs) => owner._program.Model.Evaluate(inputs, rows, outputs);

        public IDesignEvaluator CreateDesignEvaluator() => new GpuDesignEvaluator(owner._program, new NativeDesignEvaluator(owner._program.Model), this);

        public void Launch(GpuModelProgram program, DesignBlock block)
        {
            _launch.Block = block;
            _launch.OnDevice = false;
            _launch.Fallback = null;
            try
            {
                owner._batcher.Submit(_launch);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // EvaluateBatch handles device errors itself; anything else (a bad block) is this request's alone.
                use.FellBack(owner._owner.Fallback("model", e));
                program.Model.Evaluate(block.Inputs.Span[..(block.Rows * program.Model.InputWidth)], block.Rows, block.Outputs.Span);
                return;
            }
            finally
            {
                _launch.Block = default;
            }

            if (_launch.OnDevice)
            {
                use.Model = true;
            }
            else if (_launch.Fallback is { } reason)
            {
                use.FellBack(reason);
            }
        }
    }
}
