namespace Biathlon.Engine;

/// <summary>How an engine loads a pipeline.</summary>
public sealed record EngineOptions
{
    /// <summary>What <c>${data}</c> in table sources stands for; default $BIATHLON_DATA, else the nearest <c>data/real</c> folder at or above the pipeline folder.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Where built tables are cached as Arrow IPC; default the pipeline folder's <c>.cache</c> subfolder.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>False to load tables and queries without the model (to compute training features before a model exists).</summary>
    public bool LoadModel { get; init; } = true;

    /// <summary>Receives a line per loading step (reading and building tables takes seconds).</summary>
    public IProgress<string>? Progress { get; init; }

    /// <summary>
    /// When set, replaces every table's partition seed (<c>tables[].seed</c>): the same pipeline as another deployment
    /// would build it, for measuring how calibration varies across deployments. Tables are cached per seed.
    /// </summary>
    public ulong? TableSeed { get; init; }

    /// <summary>
    /// When set, replaces the spec's <c>model.runtime</c>: for an operator who must force ONNX Runtime (or the native
    /// evaluator) without editing the spec, and for comparing the two on the same pipeline.
    /// </summary>
    public Models.ModelRuntime? ModelRuntime { get; init; }

    /// <summary>
    /// Where sampled aggregates and the model run: <see cref="Compute.ComputeBackend.Auto"/> (default: CUDA when ILGPU
    /// finds a device, else the CPU), <see cref="Compute.ComputeBackend.Cpu"/>, <see cref="Compute.ComputeBackend.Cuda"/>
    /// (loading fails without a device) or <see cref="Compute.ComputeBackend.GpuSimulator"/> (tests). The choice is in
    /// <see cref="BiathlonEngine.Compute"/> and every result's <see cref="PredictionResult.Compute"/>.
    /// </summary>
    public Compute.ComputeBackend Compute { get; init; } = Biathlon.Engine.Compute.ComputeBackend.Auto;

    /// <summary>
    /// Longest a device launch waits for concurrent requests' work to join it (default 200 µs; at most 10 ms; zero
    /// turns batching off). A request with no concurrent company never waits.
    /// </summary>
    public TimeSpan ComputeBatchWait { get; init; } = TimeSpan.FromMicroseconds(200);

    /// <summary>
    /// Device memory the process's engines may hold on the GPU, in bytes (uploaded columns, model arrays, launch buffers);
    /// 0 (default) means half the device's memory. Work that would pass it runs on the CPU. The first engine to open
    /// the device sets it for all.
    /// </summary>
    public long DeviceMemoryBudget { get; init; }

    /// <summary>Receives the compute backend chosen at load (information) and GPU fallbacks (warnings); none by default.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>
    /// The Redis store that tables with <c>"store": "redis"</c> are served from. When null, the environment variable
    /// <c>BIATHLON_REDIS</c> gives its configuration string (with default store options); a pipeline with a Redis table
    /// and neither fails to load, naming the table.
    /// </summary>
    public Biathlon.Redis.RedisStoreOptions? Redis { get; init; }
}

/// <summary>Per-call options of <see cref="BiathlonEngine.Predict"/>.</summary>
public sealed record PredictOptions
{
    /// <summary>δ for this call instead of the pipeline's (regression).</summary>
    public double? Delta { get; init; }

    /// <summary>τ for this call instead of the pipeline's.</summary>
    public double? Tau { get; init; }

    /// <summary>Time after which the best estimate so far is returned, flagged as not meeting τ.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Round limit for this call.</summary>
    public int? MaxRounds { get; init; }

    /// <summary>False to never take the exact shortcut on this call (for experiments that study the sampler).</summary>
    public bool? ExactShortcut { get; init; }

    /// <summary>
    /// Baseline mode for experiments: read every sampled query at this fraction in (0, 1], apply the model to the
    /// point estimates once, and skip propagation and the bound (<see cref="Planner.Planning.StopReason.FixedFraction"/>).
    /// </summary>
    public double? FixedFraction { get; init; }
}
