using Biathlon.Compute.Devices;
using Biathlon.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Biathlon.Engine.Compute;

/// <summary>
/// A pipeline's compute backend: the device it chose at load (none on the CPU), what of the pipeline runs there, and
/// the fallback rule. Device work that fails runs on the CPU instead, never failing the request: a refused allocation
/// (the memory budget) falls back for that launch only; any other device error marks the device failed, and every later
/// request stays on the CPU. Each fallback is counted (<c>biathlon.engine.compute.fallbacks</c>) and logged as a
/// warning, at most once a minute per stage and reason so a lost device does not flood the log. Thread-safe.
/// </summary>
internal sealed partial class PipelineCompute : IDisposable
{
    private static readonly long s_warningInterval = TimeSpan.FromMinutes(1).Ticks;
    private readonly ComputeDevice? _device;
    private readonly ILogger? _logger;
    private readonly string _pipeline;
    private readonly long[] _lastWarning = new long[4];
    private int _disposed;

    private PipelineCompute(string pipeline, ComputeBackend requested, ComputeBackend backend, ComputeDevice? device, string reason, ILogger? logger)
    {
        _pipeline = pipeline;
        _device = device;
        _logger = logger;
        Requested = requested;
        Backend = backend;
        Reason = reason;
    }

    /// <summary>What the options asked for.</summary>
    public ComputeBackend Requested { get; }

    /// <summary>What runs: Cpu, Cuda or GpuSimulator.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Why this backend.</summary>
    public string Reason { get; }

    /// <summary>The choice and what of the pipeline runs on the device, as reported.</summary>
    public ComputeInfo Info => new(Requested, Backend, _device?.Describe(), Reason, Aggregates is not null, _aggregates, Model is not null, _model);

    /// <summary>The device, or null on the CPU.</summary>
    public ComputeDevice? Device => _device;

    /// <summary>True while the device may take work: there is one and it has not failed.</summary>
    public bool DeviceUsable => _device is { IsFailed: false };

    /// <summary>A CPU-only backend (no device), for pipelines loaded without one.</summary>
    public static PipelineCompute Cpu(string pipeline, string reason) => new(pipeline, ComputeBackend.Cpu, ComputeBackend.Cpu, null, reason, null);

    /// <summary>Chooses the backend by <paramref name="options"/> (<see cref="ComputeSelection.Choose"/>).</summary>
    public static PipelineCompute Create(string pipeline, EngineOptions options)
    {
        var (backend, device, reason) = ComputeSelection.Choose(options);
        return new PipelineCompute(pipeline, options.Compute, backend, device, reason, options.Logger);
    }

    /// <summary>
    /// Handles an exception thrown by device work of <paramref name="stage"/> ("aggregates" or "model"): records the
    /// fallback and returns the reason to report in the result. A refused allocation leaves the device usable; anything
    /// else marks it failed.
    /// </summary>
    public string Fallback(string stage, Exception failure)
    {
        var memory = failure is DeviceMemoryException or OutOfMemoryException
            || failure.GetType().Name.Contains("OutOfMemory", StringComparison.Ordinal);
        if (!memory)
        {
            _device?.MarkFailed(failure);
        }

        var reason = memory ? "memory" : "device";
        EngineInstruments.ComputeFallbacks.Add(1, new System.Diagnostics.TagList { { "pipeline", _pipeline }, { "stage", stage }, { "reason", reason } });
        var slot = (stage == "model" ? 2 : 0) + (memory ? 1 : 0);
        var now = DateTime.UtcNow.Ticks;
        var last = Interlocked.Read(ref _lastWarning[slot]);
        if (_logger is not null && now - last >= s_warningInterval && Interlocked.CompareExchange(ref _lastWarning[slot], now, last) == last)
        {
            LogFallback(_logger, _pipeline, stage, memory ? "the device memory budget was exceeded" : "the device failed; the pipeline stays on the CPU", failure);
        }

        return $"{stage} on the CPU: {(memory ? "device memory budget" : "device failure")} ({failure.GetType().Name}: {failure.Message})";
    }

    /// <summary>Logs the backend chosen at load.</summary>
    public void LogChoice(ComputeInfo info)
    {
        if (_logger is not null)
        {
            LogChosen(_logger, _pipeline, info.ToString());
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Aggregates?.Dispose();
            Model?.Dispose();
            if (_device is not null)
            {
                SharedDevices.Release(_device);
            }
        }
    }

    /// <summary>Where the aggregates run, in words (<see cref="ComputeInfo.Aggregates"/>).</summary>
    private string _aggregates = "on the CPU";

    /// <summary>Where the model runs, in words (<see cref="ComputeInfo.Model"/>).</summary>
    private string _model = "on the CPU";

    /// <summary>
    /// Puts the pipeline's work on the device: uploads the columns its queries read and the model's native program.
    /// What does not fit the memory budget, or has no kernel, stays on the CPU (reported in <see cref="Info"/>).
    /// </summary>
    public void Attach(Runtime.CompiledQuery[] queries, Models.LoadedModel? model, TimeSpan batchWait, IProgress<string>? progress)
    {
        if (_device is null)
        {
            return;
        }

        if (_device.Failure is { } failure)
        {
            // Another engine lost the shared device since this one chose it: nothing is uploaded to it.
            _aggregates = _model = $"on the CPU (the device failed earlier: {failure.GetType().Name}: {failure.Message})";
            return;
        }

        progress?.Report($"uploading the queries' columns to {_device.Describe()}");
        if (Array.Find(queries, q => q.Table.IsRemote) is { } remote)
        {
            // The rows of a remote table arrive per round from the store; the device holds uploaded columns only.
            _aggregates = $"on the CPU (table '{remote.Table.Name}' is served from a remote store)";
        }
        else
        {
            try
            {
                Aggregates = DeviceAggregates.TryCreate(_device, queries, this, batchWait, _pipeline, out var refused);
                _aggregates = Aggregates is null ? $"on the CPU ({refused})" : "on the device";
            }
#pragma warning disable CA1031 // a device error at load leaves the aggregates on the CPU (counted and logged), never a failed load
            catch (Exception e)
#pragma warning restore CA1031
            {
                _aggregates = $"on the CPU ({Fallback("aggregates", e)})";
            }
        }

        if (model?.Model is Models.Native.NativeModel native)
        {
            try
            {
                var program = Models.Gpu.GpuModelProgram.TryCompile(native, _device, out var why);
                Model = program is null ? null : new DeviceModel(program, this, batchWait, _pipeline);
                _model = program?.Summary ?? $"on the CPU ({why})";
            }
#pragma warning disable CA1031 // as above, for the model's arrays
            catch (Exception e)
#pragma warning restore CA1031
            {
                _model = $"on the CPU ({Fallback("model", e)})";
            }
        }
        else if (model?.Model is Models.OnnxModel onnx)
        {
            _model = onnx.ExecutionProvider == "CUDA"
                ? "ONNX Runtime's CUDA execution provider"
                : $"on the CPU: ONNX Runtime's {onnx.ExecutionProvider} (the device kernels cover the native evaluator's trees, linear models and MLPs)";
        }
    }

    /// <summary>The model on the device, or null.</summary>
    public DeviceModel? Model { get; private set; }

    /// <summary>The aggregates on the device, or null.</summary>
    public DeviceAggregates? Aggregates { get; private set; }

    /// <summary>Counts a request as a possible joiner of device launches until <see cref="ExitRequest"/>.</summary>
    public void EnterRequest()
    {
        Aggregates?.Enter();
        Model?.Enter();
    }

    /// <summary>The request will submit no more device work.</summary>
    public void ExitRequest()
    {
        Aggregates?.Exit();
        Model?.Exit();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: {Stage} fell back to the CPU: {What}")]
    private static partial void LogFallback(ILogger logger, string pipeline, string stage, string what, Exception failure);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: compute backend {Backend}")]
    private static partial void LogChosen(ILogger logger, string pipeline, string backend);
}
